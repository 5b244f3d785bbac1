package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/lsos/lsosgov/governance"
)

// tableDigest is a table's row count and md5 over its rows in a fixed order, for the
// rows matching where.
type tableDigest struct {
	Rows int64
	MD5  string
}

func digests(t *testing.T, db *pgxpool.Pool, cat *TableCatalog, where func(tb *Table) string) map[string]tableDigest {
	t.Helper()
	out := map[string]tableDigest{}
	for i := range cat.Tables {
		tb := &cat.Tables[i]
		var d tableDigest
		q := "SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM " + tb.Name.Quoted() + " x WHERE " + where(tb)
		if err := db.QueryRow(context.Background(), q).Scan(&d.Rows, &d.MD5); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[tb.Key()] = d
	}
	return out
}

func otherTenants(tenant string) func(*Table) string {
	return func(tb *Table) string {
		switch {
		case tb.Root:
			return "x.id <> " + tenant
		case tb.TenantColumn != "":
			return "x.tenant_id <> " + tenant
		}
		return "true"
	}
}

func thisTenant(tenant string) func(*Table) string {
	return func(tb *Table) string {
		switch {
		case tb.Root:
			return "x.id = " + tenant
		case tb.TenantColumn != "":
			return "x.tenant_id = " + tenant
		}
		return "false"
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openBucket(t *testing.T) *blob.Bucket {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestOffboardingEndToEnd(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	p := governance.Default()
	const tenant = "3"
	clk := &clock{t: sampleNow}
	stopAfter := 0
	ob, err := NewOffboarder(db, p, OffboardConfig{Actor: "ops@lsos", Now: clk.now, BatchSize: 40,
		AfterBatch: func(table string, batch int, rows int64) error {
			if stopAfter > 0 {
				if stopAfter--; stopAfter == 0 {
					return errors.New("injected crash")
				}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	othersBefore := digests(t, db, cat, otherTenants(tenant))
	mine := digests(t, db, cat, thisTenant(tenant))

	if _, err := ob.HardDelete(ctx, tenant); !errors.Is(err, ErrWrongStage) {
		t.Fatalf("hard delete of an active tenant = %v, want ErrWrongStage", err)
	}
	if _, err := ob.SoftDelete(ctx, "999"); !errors.Is(err, ErrUnknownTenant) {
		t.Fatalf("soft delete of an unknown tenant = %v", err)
	}
	st, err := ob.SoftDelete(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stage != StageExportWindow || !st.ExportWindowEnd.Equal(sampleNow.AddDate(0, 0, 30)) {
		t.Fatalf("after soft delete: %+v", st)
	}
	var status string
	var deletedAt *time.Time
	if err := db.QueryRow(ctx, `SELECT status, deleted_at FROM tenants WHERE id = 3`).Scan(&status, &deletedAt); err != nil || status != "deleted" || deletedAt == nil || !deletedAt.Equal(sampleNow) {
		t.Fatalf("tenants row: %q %v %v", status, deletedAt, err)
	}
	if again, err := ob.SoftDelete(ctx, tenant); err != nil || !again.SoftDeletedAt.Equal(*st.SoftDeletedAt) {
		t.Fatalf("second soft delete: %+v %v", again, err)
	}
	softDeleted := digests(t, db, cat, thisTenant(tenant)) // only the tenants row changed
	if softDeleted["public.tenants"] == mine["public.tenants"] || softDeleted["public.users"] != mine["public.users"] {
		t.Fatal("soft delete must mark the tenants row and leave the data")
	}

	// During the export window: refused, nothing deleted.
	clk.t = sampleNow.AddDate(0, 0, 29)
	if _, err := ob.HardDelete(ctx, tenant); !errors.Is(err, ErrExportWindow) {
		t.Fatalf("hard delete in the export window = %v, want ErrExportWindow", err)
	}
	clk.t = sampleNow.AddDate(0, 0, 31)
	if _, err := ob.HardDelete(ctx, tenant); !errors.Is(err, ErrNotExported) {
		t.Fatalf("hard delete before export = %v, want ErrNotExported", err)
	}

	// Export: one object per table with a manifest whose count and checksum match.
	bucket := openBucket(t)
	exp, err := ob.Export(ctx, tenant, bucket, "offboarding")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range exp.Manifests {
		if err := VerifyExport(ctx, bucket, m); err != nil || m.Rows != mine[m.Table].Rows || m.Format != "parquet" {
			t.Errorf("%s: manifest rows %d (tenant rows %d), verify: %v", m.Table, m.Rows, mine[m.Table].Rows, err)
		}
		col := "tenant_id"
		if m.Table == "public.tenants" {
			col = "id"
		}
		for _, v := range int64Column(t, bucket, m.Object, col) {
			if v != 3 {
				t.Fatalf("%s export holds a row of tenant %d", m.Table, v)
			}
		}
		if rm, err := ReadManifest(ctx, bucket, m.Object); err != nil || rm.SHA256 != m.SHA256 {
			t.Errorf("stored manifest %+v %v", rm, err)
		}
	}
	if len(exp.Manifests) != len(lsosTenantTables(cat)) {
		t.Errorf("%d manifests for %d tenant tables", len(exp.Manifests), len(lsosTenantTables(cat)))
	}

	// Audit and delivery rows are younger than their legal floors: refused.
	_, err = ob.HardDelete(ctx, tenant)
	var fe *FloorError
	if !errors.As(err, &fe) {
		t.Fatalf("hard delete inside the audit floor = %v, want FloorError", err)
	}
	var floorTables []string
	for _, b := range fe.Tables {
		floorTables = append(floorTables, b.Table)
	}
	if !slices.Equal(floorTables, []string{"public.audit_log", "public.delivery_log"}) {
		t.Errorf("floor blocks %v", floorTables)
	}
	// Once the newest audit row has aged 24 months, a legal hold still blocks.
	clk.t = fe.Tables[0].Until
	h, err := AddHold(ctx, db, HoldSpec{TenantID: tenant, Reason: "pending claim", By: "legal", From: sampleNow})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ob.HardDelete(ctx, tenant)
	var he *HeldError
	if !errors.As(err, &he) || !slices.Equal(HoldIDs(he.Holds), []int64{h.ID}) || !strings.Contains(err.Error(), fmt.Sprint(h.ID)) {
		t.Fatalf("hard delete under a hold = %v", err)
	}
	if d := digests(t, db, cat, thisTenant(tenant)); fmt.Sprint(d) != fmt.Sprint(softDeleted) {
		t.Fatal("a refused hard delete changed the tenant's data")
	}
	if err := ReleaseHold(ctx, db, h.ID, "legal", clk.t.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}

	// Dry run: children before parents, tenants last, counts as in the data.
	plan, err := ob.Plan(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, cat, plan)
	for _, s := range plan.Steps {
		if s.Rows != mine[s.Table].Rows {
			t.Errorf("plan %s: %d rows, want %d", s.Table, s.Rows, mine[s.Table].Rows)
		}
	}

	// Crash after 5 batches, then again after 3 more, then finish.
	stopAfter = 5
	if _, err := ob.HardDelete(ctx, tenant); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("injected crash = %v", err)
	}
	if st, _ := ob.Status(ctx, tenant); st.Stage != StageHardDeleting {
		t.Fatalf("after a crash the stage is %s", st.Stage)
	}
	stopAfter = 3
	if _, err := ob.HardDelete(ctx, tenant); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("second injected crash = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ob.HardDelete(cctx, tenant); err == nil {
		t.Fatal("a cancelled context must stop the hard delete")
	}
	res, err := ob.HardDelete(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := ob.Status(ctx, tenant); st.Stage != StagePurged || st.PurgedAt == nil {
		t.Fatalf("after hard delete: %+v", st)
	}
	// Every row of the tenant is gone, other tenants are unchanged.
	for table, d := range digests(t, db, cat, thisTenant(tenant)) {
		if d.Rows != 0 {
			t.Errorf("%s still has %d rows of tenant %s", table, d.Rows, tenant)
		}
	}
	if after := digests(t, db, cat, otherTenants(tenant)); fmt.Sprint(after) != fmt.Sprint(othersBefore) {
		t.Errorf("other tenants changed:\nbefore %v\nafter  %v", othersBefore, after)
	}
	// One finished audit record per table with the rows the table held.
	recs, err := AuditRecords(ctx, db, "offboard:"+tenant)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(plan.Steps) {
		t.Fatalf("%d audit records for %d tables", len(recs), len(plan.Steps))
	}
	var total int64
	for _, r := range recs {
		if r.FinishedAt == nil || r.Actor != "ops@lsos" || r.Rows != mine[r.Table].Rows || (r.Rows > 0) != (r.Batches > 0) {
			t.Errorf("audit record %+v (tenant rows %d)", r, mine[r.Table].Rows)
		}
		if want := (mine[r.Table].Rows + 39) / 40; r.Rows > 0 && int64(r.Batches) < want {
			t.Errorf("%s: %d batches for %d rows at batch size 40", r.Table, r.Batches, r.Rows)
		}
		total += r.Rows
	}
	if res.Rows != total || res.LongestBatch <= 0 {
		t.Errorf("result rows %d (records %d), longest batch %s", res.Rows, total, res.LongestBatch)
	}
	// Idempotent: a purged tenant returns the recorded result and changes nothing.
	again, err := ob.HardDelete(ctx, tenant)
	if err != nil || again.Rows != res.Rows {
		t.Fatalf("hard delete after purge: %+v %v", again, err)
	}

	// The same offboarding without crashes on a fresh copy ends in the same database.
	db2 := sampleDB(t)
	clk2 := &clock{t: sampleNow}
	ob2, err := NewOffboarder(db2, p, OffboardConfig{Actor: "ops@lsos", Now: clk2.now, BatchSize: 40})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob2.SoftDelete(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	clk2.t = clk.t
	if _, err := ob2.Export(ctx, tenant, openBucket(t), ""); err != nil {
		t.Fatal(err)
	}
	res2, err := ob2.HardDelete(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Rows != res.Rows {
		t.Errorf("clean run deleted %d rows, crashed run %d", res2.Rows, res.Rows)
	}
	all := func(*Table) string { return "true" }
	if a, b := digests(t, db, cat, all), digests(t, db2, cat, all); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("crashed-and-resumed and clean runs differ:\n%v\n%v", a, b)
	}
}

func lsosTenantTables(cat *TableCatalog) []string {
	var out []string
	for _, t := range cat.Tables {
		if t.TenantColumn != "" || t.Root {
			out = append(out, t.Key())
		}
	}
	return out
}

func checkOrder(t *testing.T, cat *TableCatalog, plan *DeletePlan) {
	t.Helper()
	pos := map[string]int{}
	for i, s := range plan.Steps {
		pos[s.Table] = i
	}
	if len(plan.Steps) != len(lsosTenantTables(cat)) || plan.Steps[len(plan.Steps)-1].Table != "public.tenants" {
		t.Fatalf("plan steps %v", plan.Steps)
	}
	for _, tb := range cat.Tables {
		for _, fk := range tb.ForeignKeys {
			if pos[tb.Key()] >= pos[fk.Parent.String()] {
				t.Errorf("%s (child) is deleted after its parent %s", tb.Key(), fk.Parent)
			}
		}
	}
}

func TestDeleteOrderCycles(t *testing.T) {
	mk := func(name string, parents ...string) Table {
		tb := tbl(name, "", true)
		for _, p := range parents {
			tb.ForeignKeys = append(tb.ForeignKeys, ForeignKey{Name: name + "_fk", Parent: tbl(p, "", true).Name})
		}
		return tb
	}
	root := mk("tenants")
	root.Root, root.TenantColumn = true, ""
	cat := handCatalog(root, mk("a", "tenants", "b"), mk("b", "tenants", "a"), mk("c", "tenants"), mk("d", "c", "d"))
	_, err := DeleteOrder(cat)
	var ce *CycleError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCycle) {
		t.Fatalf("DeleteOrder = %v, want a CycleError", err)
	}
	// c is referenced by d, which references itself, so c and tenants wait behind cycles.
	if !slices.Equal(ce.Tables, []string{"public.a", "public.b", "public.d"}) || !slices.Equal(ce.Behind, []string{"public.c", "public.tenants"}) {
		t.Errorf("cycle tables %v, behind %v", ce.Tables, ce.Behind)
	}
	ok := handCatalog(root, mk("a", "tenants"), mk("b", "a"), mk("c", "b", "tenants"))
	order, err := DeleteOrder(ok)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range order {
		names = append(names, tb.Name.Name)
	}
	if !slices.Equal(names, []string{"c", "b", "a", "tenants"}) {
		t.Errorf("order %v", names)
	}
}
