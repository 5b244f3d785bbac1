package retention

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// bareSampleDB is the sample schema and data without the package's schema: tests
// install it under the policy they exercise.
func bareSampleDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgtest.DB(t, "retention-sample-bare", func(ctx context.Context, c *pgx.Conn) error {
		if err := lsos.Apply(ctx, c); err != nil {
			return err
		}
		return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: sampleNow})
	})
}

// opsPolicy is the default policy with sdk.prefix ops_.
func opsPolicy(t testing.TB) *governance.Policy {
	t.Helper()
	p, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// schemasLike lists the schemas whose name starts with prefix.
func schemasLike(t testing.TB, db DB, prefix string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestSDKPrefixFromPolicy: with the policy's sdk.prefix "ops_", the package's schema is
// ops_retention; InstallActiveViews puts the views in ops_active and DropActiveViews
// without a schema finds them there; the catalog leaves out the policy's SDK schemas
// (ops_retention, a table in ops_data) and lists a hand-made lsos_notes table, which
// under that prefix is the application's.
func TestSDKPrefixFromPolicy(t *testing.T) {
	ctx := context.Background()
	db := bareSampleDB(t)
	mustExec(t, db, `CREATE SCHEMA ops_data; CREATE TABLE ops_data.notes (tenant_id text, body text);
		CREATE SCHEMA lsos_notes; CREATE TABLE lsos_notes.notes (tenant_id text, body text)`)
	p := opsPolicy(t)
	if got := For(p).Schema(); got != "ops_retention" {
		t.Fatalf("For(ops_).Schema() = %q", got)
	}
	if got := For(nil).Schema(); got != Schema {
		t.Fatalf("For(nil).Schema() = %q, want %q", got, Schema)
	}
	if err := For(p).Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	var notes bool
	for _, tb := range cat.Tables {
		if s := tb.Name.Schema; strings.HasPrefix(s, "ops_") {
			t.Errorf("the catalog lists %s, a table of an SDK schema", tb.Name)
		}
		notes = notes || tb.Name.String() == "lsos_notes.notes"
	}
	if !notes {
		t.Error("under sdk.prefix ops_ the catalog leaves out lsos_notes.notes, an application table")
	}
	res, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Views) == 0 {
		t.Fatal("no views")
	}
	for _, v := range res.Views {
		if !strings.HasPrefix(v.View, "ops_active.") {
			t.Errorf("view %s is not in ops_active", v.View)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM pg_views WHERE schemaname = 'lsos_active'`); n != 0 {
		t.Errorf("%d views in lsos_active", n)
	}
	if got := schemasLike(t, db, "lsos_"); !slices.Equal(got, []string{"lsos_notes"}) {
		t.Errorf("schemas named lsos_*: %v; want only the hand-made lsos_notes", got)
	}
	dropped, err := DropActiveViews(ctx, db, ActiveViewOptions{})
	if err != nil || len(dropped) != len(res.Views) {
		t.Fatalf("DropActiveViews: %v, %v", dropped, err)
	}
	var views []string
	for _, v := range res.Views {
		views = append(views, v.View)
	}
	slices.Sort(views)
	if !slices.Equal(dropped, views) {
		t.Errorf("dropped %v; installed %v", dropped, views)
	}
}

// TestSDKPrefixHoldsAndOffboarding runs legal holds and a whole offboarding under
// sdk.prefix ops_: every hold, state change and audit record lands in ops_retention, a
// hold placed there blocks the hard delete, and no lsos_* schema is ever created. The
// default policy's bookkeeping sees nothing (its schema does not exist).
func TestSDKPrefixHoldsAndOffboarding(t *testing.T) {
	ctx := context.Background()
	db := bareSampleDB(t)
	p := opsPolicy(t)
	bk := For(p)
	if _, err := bk.AddHold(ctx, db, HoldSpec{TenantID: "3", Reason: "r", By: "me"}); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "ops_retention") {
		t.Fatalf("AddHold before Install = %v, want ErrNotInstalled naming ops_retention", err)
	}
	if err := bk.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if got := tablesIn(t, db, "ops_retention"); !slices.Equal(got, []string{"deletions", "legal_holds", "offboarding", "revision_log", "revisions"}) {
		t.Fatalf("ops_retention holds %v", got)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_retention.revisions`); n != len(dirVersions(t)) {
		t.Fatalf("ops_retention.revisions holds %d rows, want %d", n, len(dirVersions(t)))
	}

	// Holds: written to and read from ops_retention.
	table, err := bk.AddHold(ctx, db, HoldSpec{Table: "public.audit_log", Reason: "audit", By: "legal", From: sampleNow.AddDate(-3, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_retention.legal_holds`); n != 1 {
		t.Fatalf("ops_retention.legal_holds holds %d rows after AddHold", n)
	}
	if hs, err := bk.HoldsBlocking(ctx, db, "public.audit_log", []string{"1"}, sampleNow); err != nil || !slices.Equal(HoldIDs(hs), []int64{table.ID}) {
		t.Fatalf("HoldsBlocking: %v %v", hs, err)
	}
	if err := bk.ReleaseHold(ctx, db, table.ID, "legal", sampleNow); err != nil {
		t.Fatal(err)
	}
	if hs, err := bk.ListHolds(ctx, db, ListOptions{}); err != nil || len(hs) != 1 || hs[0].ReleasedAt == nil {
		t.Fatalf("ListHolds after release: %+v %v", hs, err)
	}
	if _, err := ListHolds(ctx, db, ListOptions{}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("the default policy's ListHolds = %v, want ErrNotInstalled (lsos_retention does not exist)", err)
	}

	// Offboarding: state, the hold check and the audit records, all in ops_retention.
	const tenant = "3"
	clk := &clock{t: sampleNow}
	ob, err := NewOffboarder(db, p, OffboardConfig{Actor: "ops@lsos", Now: clk.now, BatchSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.SoftDelete(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_retention.offboarding WHERE tenant_id = '3' AND state = 'soft-deleted'`); n != 1 {
		t.Fatal("the soft delete is not recorded in ops_retention.offboarding")
	}
	clk.t = sampleNow.AddDate(0, 0, 31)
	if _, err := ob.Export(ctx, tenant, openBucket(t), "offboarding"); err != nil {
		t.Fatal(err)
	}
	_, err = ob.HardDelete(ctx, tenant)
	var fe *FloorError
	if !errors.As(err, &fe) {
		t.Fatalf("hard delete inside the floors = %v, want FloorError", err)
	}
	for _, b := range fe.Tables {
		if b.Until.After(clk.t) {
			clk.t = b.Until
		}
	}
	h, err := bk.AddHold(ctx, db, HoldSpec{TenantID: tenant, Reason: "pending claim", By: "legal", From: sampleNow})
	if err != nil {
		t.Fatal(err)
	}
	var he *HeldError
	if _, err := ob.HardDelete(ctx, tenant); !errors.As(err, &he) || !slices.Equal(HoldIDs(he.Holds), []int64{h.ID}) {
		t.Fatalf("hard delete under a hold in ops_retention = %v", err)
	}
	if err := bk.ReleaseHold(ctx, db, h.ID, "legal", clk.t.Add(-1)); err != nil {
		t.Fatal(err)
	}
	res, err := ob.HardDelete(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := ob.Status(ctx, tenant); err != nil || st.Stage != StagePurged {
		t.Fatalf("after hard delete: %+v %v", st, err)
	}
	recs, err := bk.AuditRecords(ctx, db, "offboard:"+tenant)
	if err != nil || len(recs) == 0 {
		t.Fatalf("AuditRecords: %d records, %v", len(recs), err)
	}
	var total int64
	for _, r := range recs {
		total += r.Rows
	}
	if total != res.Rows || res.Rows == 0 {
		t.Errorf("audit records count %d rows; the hard delete deleted %d", total, res.Rows)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_retention.deletions WHERE operation = 'offboard:3' AND finished_at IS NOT NULL`); n != len(recs) {
		t.Errorf("ops_retention.deletions holds %d finished records; AuditRecords returned %d", n, len(recs))
	}
	if got := schemasLike(t, db, "lsos_"); len(got) != 0 {
		t.Errorf("sdk.prefix ops_ created the schemas %v", got)
	}
}

// TestSDKPrefixRefusesWhileDefaultInstalled: a database whose holds live in
// lsos_retention (installed under the default prefix) is not silently given an empty
// ops_retention: Install refuses, naming the rename that carries the holds over, and
// after that rename the holds are there under the new prefix.
func TestSDKPrefixRefusesWhileDefaultInstalled(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t) // lsos_retention installed
	h, err := AddHold(ctx, db, HoldSpec{TenantID: "2", Reason: "litigation", By: "legal", From: sampleNow})
	if err != nil {
		t.Fatal(err)
	}
	p := opsPolicy(t)
	err = For(p).Install(ctx, db)
	if err == nil || !strings.Contains(err.Error(), `ALTER SCHEMA "lsos_retention" RENAME TO "ops_retention"`) {
		t.Fatalf("Install under ops_ beside lsos_retention = %v; want a refusal naming the rename", err)
	}
	if got := schemasLike(t, db, "ops_"); len(got) != 0 {
		t.Fatalf("the refused install created %v", got)
	}
	// Legal holds must never silently stop applying: the hold blocks under ops_ only once moved.
	mustExec(t, db, `ALTER SCHEMA lsos_retention RENAME TO ops_retention`)
	if err := For(p).Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	hs, err := For(p).HoldsBlocking(ctx, db, "public.audit_log", []string{"2"}, sampleNow)
	if err != nil || !slices.Equal(HoldIDs(hs), []int64{h.ID}) {
		t.Fatalf("after the rename the hold %d is not found under ops_: %v %v", h.ID, hs, err)
	}
}

func tablesIn(t testing.TB, db DB, schema string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}
