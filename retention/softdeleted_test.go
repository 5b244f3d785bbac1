package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// softDeleted returns the sample database with tenant id soft-deleted by the Offboarder.
func softDeleted(t *testing.T, id string) (DB, *governance.Policy) {
	t.Helper()
	db := sampleDB(t)
	p := governance.Default()
	ob, err := NewOffboarder(db, p, OffboardConfig{Actor: "test", Now: func() time.Time { return sampleNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.SoftDelete(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return db, p
}

func TestActiveViewsExcludeSoftDeletedTenant(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	p := governance.Default()
	ob, err := NewOffboarder(db, p, OffboardConfig{Actor: "test", Now: func() time.Time { return sampleNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.SoftDelete(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Marker != "public.tenants.deleted_at" {
		t.Errorf("marker %q", res.Marker)
	}
	// Every tenant-owned table and the tenants table get a view; nothing else.
	var want []string
	for i := range cat.Tables {
		if tb := &cat.Tables[i]; tb.Root || tb.TenantColumn != "" {
			want = append(want, "lsos_active."+tb.Name.Name)
		}
	}
	var got []string
	for _, v := range res.Views {
		got = append(got, v.View)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) || len(got) < 10 {
		t.Fatalf("views %v, want %v", got, want)
	}
	// Each view holds exactly the other tenants' rows, unchanged, and none of tenant 2.
	others := digestsOf(t, db, cat, "public", otherTenants("2"))
	views := digestsOf(t, db, cat, "lsos_active", func(*Table) string { return "true" })
	gone := digestsOf(t, db, cat, "lsos_active", thisTenant("2"))
	for _, v := range want {
		k := "public." + strings.TrimPrefix(v, "lsos_active.")
		if views[k] != others[k] || others[k].Rows == 0 {
			t.Errorf("%s: view %+v, other tenants in the table %+v", v, views[k], others[k])
		}
		if gone[k].Rows != 0 {
			t.Errorf("%s shows %d rows of the soft-deleted tenant", v, gone[k].Rows)
		}
	}
	// The views do not widen privileges and hide rows from leaky functions.
	var opts []string
	if err := db.QueryRow(ctx, `SELECT reloptions FROM pg_class WHERE oid = 'lsos_active.reviews'::regclass`).Scan(&opts); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(opts, "security_barrier=true") || !slices.Contains(opts, "security_invoker=true") {
		t.Errorf("reloptions %v", opts)
	}
	// The filter runs at query time: soft-deleting tenant 3 needs no re-install.
	if _, err := ob.SoftDelete(ctx, "3"); err != nil {
		t.Fatal(err)
	}
	var n, live int64
	if err := db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE tenant_id = 1) FROM lsos_active.ranking_snapshots`).Scan(&n, &live); err != nil {
		t.Fatal(err)
	}
	if n != live || n == 0 {
		t.Errorf("after soft-deleting tenant 3 the view shows %d rows, %d of tenant 1", n, live)
	}
	// Idempotent; new columns appear after a new call; a retyped column needs
	// DropActiveViews before the migration.
	again, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{})
	if err != nil || len(again.Views) != len(res.Views) || len(again.Dropped) != 0 {
		t.Fatalf("second install: %+v, %v", again, err)
	}
	mustExec(t, db, `ALTER TABLE reviews ADD COLUMN moderated boolean`)
	if _, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `SELECT moderated FROM lsos_active.reviews LIMIT 1`)
	if _, err := db.Exec(ctx, `ALTER TABLE branding_assets ALTER COLUMN kind TYPE varchar(40)`); err == nil {
		t.Fatal("retyping a column a view shows should fail while the view exists")
	}
	dropped, err := DropActiveViews(ctx, db, ActiveViewOptions{})
	if err != nil || len(dropped) != len(res.Views) {
		t.Fatalf("DropActiveViews: %v, %v", dropped, err)
	}
	mustExec(t, db, `ALTER TABLE branding_assets ALTER COLUMN kind TYPE varchar(40)`)
	mustExec(t, db, `DROP TABLE report_summaries`)
	final, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{})
	if err != nil || len(final.Views) != len(res.Views)-1 {
		t.Fatalf("install after the migration: %+v, %v", final, err)
	}
	// A view of a table that is gone is dropped by the next call.
	mustExec(t, db, `DROP VIEW lsos_active.reviews; ALTER TABLE reviews RENAME TO reviews_old`)
	mustExec(t, db, `CREATE VIEW lsos_active.reviews_old AS SELECT 1 AS x`)
	if _, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{}); err == nil || !strings.Contains(err.Error(), "was not created by InstallActiveViews") {
		t.Errorf("a foreign view of the same name must stop the install; got %v", err)
	}
}

// digestsOf is digests over the same-named relations of schema.
func digestsOf(t *testing.T, db DB, cat *TableCatalog, schema string, where func(*Table) string) map[string]tableDigest {
	t.Helper()
	out := map[string]tableDigest{}
	for i := range cat.Tables {
		tb := &cat.Tables[i]
		if !tb.Root && tb.TenantColumn == "" {
			continue
		}
		var d tableDigest
		q := `SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM "` + schema + `".` + `"` + tb.Name.Name + `" x WHERE ` + where(tb)
		if err := db.QueryRow(context.Background(), q).Scan(&d.Rows, &d.MD5); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[tb.Key()] = d
	}
	return out
}

func TestActiveViewsCheckPrivilegesAsTheCaller(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t, "retention-sample", sampleSetup)
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	role := fmt.Sprintf("lsos_av_%d", sampleNow.Unix()%100000)
	mustExec(t, admin, `DROP ROLE IF EXISTS `+role+`; CREATE ROLE `+role+` LOGIN`)
	defer func() {
		if _, err := admin.Exec(context.Background(), `DROP OWNED BY `+role+`; DROP ROLE IF EXISTS `+role); err != nil {
			t.Errorf("drop role: %v", err)
		}
	}()
	p := governance.Default()
	if _, err := InstallActiveViews(ctx, admin, p, ActiveViewOptions{Grant: []string{role}}); err != nil {
		t.Fatal(err)
	}
	roURL := url[:strings.Index(url, "://")+3] + role + url[strings.Index(url, "@"):]
	ro, err := pgx.Connect(ctx, roURL)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	defer ro.Close(ctx)
	var n int64
	err = ro.QueryRow(ctx, `SELECT count(*) FROM lsos_active.reviews`).Scan(&n)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("a role with SELECT on the view only must be refused (security_invoker); got %d rows, %v", n, err)
	}
	mustExec(t, admin, `GRANT SELECT ON reviews, tenants TO `+role+`; UPDATE tenants SET deleted_at = now() WHERE id = 1`)
	var t1 int64
	if err := ro.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE tenant_id = 1) FROM lsos_active.reviews`).Scan(&n, &t1); err != nil {
		t.Fatal(err)
	}
	if n == 0 || t1 != 0 {
		t.Errorf("with the table privileges the role reads %d rows, %d of the soft-deleted tenant", n, t1)
	}
}

// Without tenants.deleted_at the library's offboarding record marks soft-deleted tenants.
func TestActiveViewsOffboardingMarker(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "retention-no-deleted-at", pgtest.SQLSetup(`
		CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL);
		CREATE TABLE notes (id int PRIMARY KEY, tenant_id text REFERENCES tenants, body text);
		INSERT INTO tenants VALUES ('a', 'A'), ('b', 'B');
		INSERT INTO notes SELECT g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, 'note ' || g FROM generate_series(1, 10) g;
		INSERT INTO notes VALUES (11, NULL, 'global note');`))
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	p := governance.Default()
	ob, err := NewOffboarder(db, p, OffboardConfig{Actor: "test", Now: func() time.Time { return sampleNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.SoftDelete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	res, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{Schema: "live"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Marker != "lsos_retention.offboarding" || len(res.Views) != 2 {
		t.Fatalf("%+v", res)
	}
	var ids []int32
	rows, _ := db.Query(ctx, `SELECT id FROM live.notes ORDER BY id`)
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[int32]); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []int32{1, 3, 5, 7, 9, 11}) {
		t.Errorf("live.notes ids %v; want tenant b's and the global row", ids)
	}
	var tenants []string
	rows, _ = db.Query(ctx, `SELECT id FROM live.tenants ORDER BY id`)
	if tenants, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || !slices.Equal(tenants, []string{"b"}) {
		t.Errorf("live.tenants %v, %v", tenants, err)
	}
	soft, err := SoftDeletedTenants(ctx, db, p)
	if err != nil || len(soft) != 1 || !soft["a"] {
		t.Errorf("SoftDeletedTenants = %v, %v", soft, err)
	}
}

// A soft-deleted tenant's plan no longer extends retention (its rows follow the default
// keep), but a legal hold on it still blocks.
func TestEligibilitySoftDeletedTenantFollowsDefaultKeep(t *testing.T) {
	ctx := context.Background()
	db, _ := softDeleted(t, "2") // tenant 2 is the enterprise tenant
	p := governance.Default()
	p.Retention[0].Plans = map[string]governance.Keep{"enterprise": governance.Months(20)}
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	te := findTable(t, rep, "public.ranking_snapshots")
	tb, _ := cat.Find("ranking_snapshots")
	// The 13-month default: cutoff 2025-10-26, as if no tenant had a longer plan.
	wantE, _ := expectedEligible(t, tb.Partitions, sampleNow.AddDate(0, -13, 0))
	if got := eligibleNames(te); !slices.Equal(got, wantE) || len(wantE) == 0 {
		t.Errorf("eligible %v, want %v", got, wantE)
	}
	for _, b := range te.Blocked {
		if strings.Contains(b.Reason, "enterprise") {
			t.Errorf("%s still blocked by the soft-deleted tenant's plan: %s", b.Partition, b.Reason)
		}
	}
	// Tenants present still lists the soft-deleted tenant (the archive must know its rows
	// are there), and a hold on it blocks every partition holding them.
	if len(te.Eligible) > 0 && !slices.Contains(te.Eligible[0].Tenants, "2") {
		t.Errorf("tenants of %s: %v", te.Eligible[0].Partition, te.Eligible[0].Tenants)
	}
	h, err := AddHold(ctx, db, HoldSpec{TenantID: "2", Reason: "dispute", By: "legal@lsos", From: sampleNow.AddDate(0, -1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	te = findTable(t, rep, "public.ranking_snapshots")
	if len(te.Eligible) != 0 {
		t.Errorf("held soft-deleted tenant: eligible %v", eligibleNames(te))
	}
	for _, b := range te.Blocked {
		if strings.Contains(b.Reason, "range ends") {
			continue
		}
		if !slices.Equal(b.HoldIDs, []int64{h.ID}) {
			t.Errorf("%s blocked by %v: %s", b.Partition, b.HoldIDs, b.Reason)
		}
	}
}

// Integrity keeps reporting duplicates of a soft-deleted tenant: the rows still exist,
// and a unique index built to fix the duplicates would fail on them too.
func TestDuplicatesOfSoftDeletedTenantStillReported(t *testing.T) {
	ctx := context.Background()
	db, p := softDeleted(t, "2")
	// The sample's primary key is the snapshot key: drop it to plant a duplicate.
	mustExec(t, db, `ALTER TABLE ranking_snapshots DROP CONSTRAINT ranking_snapshots_pkey`)
	mustExec(t, db, `INSERT INTO ranking_snapshots SELECT * FROM ranking_snapshots WHERE tenant_id = 2 AND captured_on = (SELECT min(captured_on) FROM ranking_snapshots WHERE tenant_id = 2) LIMIT 1`)
	checks, err := integrity.Select(governance.CheckDuplicateSnapshots)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := integrity.Run(ctx, db, p, integrity.Options{Checks: checks})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Check == governance.CheckDuplicateSnapshots && f.Count == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("the soft-deleted tenant's duplicate is not reported: %+v", rep.Findings)
	}
}
