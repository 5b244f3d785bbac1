package retention

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestInstallIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if _, err := AddHold(ctx, db, HoldSpec{TenantID: "1", Reason: "r", By: "me"}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("AddHold before Install = %v, want ErrNotInstalled", err)
	}
	if hs, err := HoldsBlocking(ctx, db, "public.x", []string{"1"}, time.Now()); err != nil || len(hs) != 0 {
		t.Fatalf("HoldsBlocking without the schema = %v, %v; want none", hs, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = Install(ctx, db) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Install: %v", err)
		}
	}
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(Migrations(), "*.up.sql")
	if err != nil || len(files) < 2 {
		t.Fatalf("migration files %v, %v", files, err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM lsos_retention.revisions WHERE state = 'applied'`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("revisions rows = %d, %v; want one per version (%d)", n, err, len(files))
	}
}

func TestHoldsLifecycle(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	t0 := sampleNow
	for _, bad := range []HoldSpec{
		{Reason: "r", By: "me"},
		{TenantID: "1", By: "me"},
		{TenantID: "1", Reason: "r"},
		{TenantID: "1", Reason: "r", By: "me", From: t0, Until: t0},
		{Table: `bad"name`, Reason: "r", By: "me"},
	} {
		if _, err := AddHold(ctx, db, bad); err == nil {
			t.Errorf("AddHold(%+v) accepted", bad)
		}
	}
	tenantHold, err := AddHold(ctx, db, HoldSpec{TenantID: "2", Reason: "subpoena", By: "legal", From: t0})
	if err != nil {
		t.Fatal(err)
	}
	tableHold, err := AddHold(ctx, db, HoldSpec{Table: "ranking_snapshots", Reason: "regulator", By: "legal", From: t0, Until: t0.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	both, err := AddHold(ctx, db, HoldSpec{TenantID: "3", Table: "public.audit_log", Reason: "incident", By: "sec", From: t0})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(hs []Hold, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return HoldIDs(hs)
	}
	at := t0.Add(time.Hour)
	cases := []struct {
		table   string
		tenants []string
		at      time.Time
		want    []int64
	}{
		{"public.ranking_snapshots_2025_01", []string{"1"}, at, []int64{tableHold.ID}}, // parent hold covers the partition
		{"public.ranking_snapshots_2025_01", []string{"1", "2"}, at, []int64{tenantHold.ID, tableHold.ID}},
		{"public.ranking_snapshots", []string{"1"}, t0.AddDate(0, 2, 0), nil}, // the table hold expired
		{"public.crawl_outputs_2025_01", []string{"1"}, at, nil},
		{"public.audit_log", []string{"1"}, at, nil},
		{"public.audit_log", []string{"3"}, at, []int64{both.ID}},
		{"public.users", []string{"3"}, at, nil},
		{"public.users", []string{"2"}, t0.Add(-time.Hour), nil}, // before the hold starts
		{"public.users", []string{"2"}, at, []int64{tenantHold.ID}},
	}
	for _, c := range cases {
		if got := ids(HoldsBlocking(ctx, db, c.table, c.tenants, c.at)); !slices.Equal(got, c.want) {
			t.Errorf("HoldsBlocking(%s, %v, %s) = %v, want %v", c.table, c.tenants, c.at, got, c.want)
		}
	}
	if got := ids(ListHolds(ctx, db, ListOptions{})); len(got) != 3 {
		t.Errorf("ListHolds = %v", got)
	}
	if got := ids(ListHolds(ctx, db, ListOptions{TenantID: "2"})); !slices.Equal(got, []int64{tenantHold.ID}) {
		t.Errorf("ListHolds(tenant 2) = %v", got)
	}
	if err := ReleaseHold(ctx, db, tenantHold.ID, "", at); err == nil {
		t.Error("release without who accepted")
	}
	if err := ReleaseHold(ctx, db, tenantHold.ID, "legal", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ReleaseHold(ctx, db, tenantHold.ID, "legal", at.Add(time.Hour)); !errors.Is(err, ErrHoldNotFound) {
		t.Errorf("second release = %v, want ErrHoldNotFound", err)
	}
	// Released holds stay on record but no longer block after their release.
	if got := ids(HoldsBlocking(ctx, db, "public.users", []string{"2"}, at.Add(2*time.Hour))); len(got) != 0 {
		t.Errorf("released hold still blocks: %v", got)
	}
	if got := ids(HoldsBlocking(ctx, db, "public.users", []string{"2"}, at)); !slices.Equal(got, []int64{tenantHold.ID}) {
		t.Errorf("the hold was in force before its release: %v", got)
	}
	active := ids(ListHolds(ctx, db, ListOptions{ActiveAt: at.Add(2 * time.Hour)}))
	if !slices.Equal(active, []int64{tableHold.ID, both.ID}) {
		t.Errorf("active holds = %v", active)
	}
	hs, _ := ListHolds(ctx, db, ListOptions{TenantID: "2"})
	if hs[0].ReleasedBy != "legal" || hs[0].ReleasedAt == nil || hs[0].ActiveAt(at.Add(2*time.Hour)) {
		t.Errorf("released hold record: %+v", hs[0])
	}
	err = error(&HeldError{Action: "drop", Holds: hs})
	if !errors.Is(err, ErrHeld) {
		t.Error("HeldError must wrap ErrHeld")
	}
}

// dottedSetup has a table whose name holds a dot, public."a.b" (partitioned, with the
// partition public."a.b_2024"), and the table b of schema a: as 0001 stored holds
// (schema || '.' || name) both were "…a.b" text.
const dottedSetup = `
CREATE SCHEMA a;
CREATE TABLE a.b (tenant_id text NOT NULL, d date NOT NULL);
CREATE TABLE public."a.b" (tenant_id text NOT NULL, d date NOT NULL) PARTITION BY RANGE (d);
CREATE TABLE public."a.b_2024" PARTITION OF public."a.b" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.plain (tenant_id text NOT NULL);
`

var (
	dotInName   = governance.QualifiedName{Schema: "public", Name: "a.b"}
	dotPart     = governance.QualifiedName{Schema: "public", Name: "a.b_2024"}
	schemaAB    = governance.QualifiedName{Schema: "a", Name: "b"}
	publicPlain = governance.QualifiedName{Schema: "public", Name: "plain"}
)

// mustIDs returns a function that takes a hold query's results and returns the hold
// ids, failing the test on an error.
func mustIDs(t *testing.T) func([]Hold, error) []int64 {
	return func(hs []Hold, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return HoldIDs(hs)
	}
}

// TestHoldsTellDottedNamesApart: a hold on public."a.b" blocks that table (and its
// partition) only, never the table b of schema a, and a hold on a.b blocks only that
// one, whether the hold was given as quoted SQL text or as an exact Name and whether the
// question is asked with HoldsBlocking (SQL text) or HoldsBlockingName.
func TestHoldsTellDottedNamesApart(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "retention-dotted", pgtest.SQLSetup(dottedSetup))
	ids := mustIDs(t)
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	at := sampleNow
	quoted, err := AddHold(ctx, db, HoldSpec{Table: `public."a.b"`, Reason: "litigation", By: "legal", From: at.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if quoted.TableSchema != "public" || quoted.TableName != "a.b" || quoted.Table != `"public"."a.b"` || quoted.Scope() != `table "public"."a.b"` {
		t.Fatalf("hold on public.\"a.b\" reads back as %+v (scope %q)", quoted, quoted.Scope())
	}
	if n, ok := quoted.TableIdent(); !ok || n != dotInName {
		t.Fatalf("TableIdent = %v %v", n, ok)
	}
	for name, want := range map[governance.QualifiedName][]int64{
		dotInName:   {quoted.ID},
		dotPart:     {quoted.ID}, // the parent's hold covers its partition
		schemaAB:    nil,
		publicPlain: nil,
	} {
		if got := ids(HoldsBlockingName(ctx, db, name, nil, at)); !slices.Equal(got, want) {
			t.Errorf("with a hold on public.\"a.b\": HoldsBlockingName(%s) = %v, want %v", name.Quoted(), got, want)
		}
	}
	if got := ids(HoldsBlocking(ctx, db, "a.b", nil, at)); len(got) != 0 {
		t.Errorf(`HoldsBlocking("a.b") = %v; the hold on public."a.b" must not cover a.b`, got)
	}
	if got := ids(HoldsBlocking(ctx, db, `"a.b"`, nil, at)); !slices.Equal(got, []int64{quoted.ID}) {
		t.Errorf(`HoldsBlocking("\"a.b\"") = %v, want [%d]`, got, quoted.ID)
	}
	if err := ReleaseHold(ctx, db, quoted.ID, "legal", at); err != nil {
		t.Fatal(err)
	}

	plainText, err := AddHold(ctx, db, HoldSpec{Table: "a.b", Reason: "audit", By: "legal", From: at.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := AddHold(ctx, db, HoldSpec{Name: schemaAB, TenantID: "7", Reason: "audit", By: "legal", From: at.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if plainText.TableSchema != "a" || plainText.TableName != "b" || plainText.Table != "a.b" || exact.Table != "a.b" {
		t.Fatalf("holds on a.b read back as %+v / %+v", plainText, exact)
	}
	for name, want := range map[governance.QualifiedName][]int64{
		schemaAB:    {plainText.ID, exact.ID},
		dotInName:   nil,
		dotPart:     nil,
		publicPlain: nil,
	} {
		if got := ids(HoldsBlockingName(ctx, db, name, []string{"7"}, at)); !slices.Equal(got, want) {
			t.Errorf("with holds on a.b: HoldsBlockingName(%s) = %v, want %v", name.Quoted(), got, want)
		}
	}
	if got := ids(HoldsBlockingName(ctx, db, schemaAB, []string{"8"}, at)); !slices.Equal(got, []int64{plainText.ID}) {
		t.Errorf("tenant 8 on a.b: %v; want only the hold without a tenant", got)
	}
	if got := ids(HoldsBlocking(ctx, db, `public."a.b"`, []string{"7"}, at)); len(got) != 0 {
		t.Errorf(`HoldsBlocking(public."a.b") = %v; the holds on a.b must not cover it`, got)
	}

	for _, bad := range []HoldSpec{
		{Table: "a.b", Name: schemaAB, Reason: "r", By: "me"},                                   // both
		{Name: governance.QualifiedName{Schema: "a"}, Reason: "r", By: "me"},                    // no table name
		{Table: `public.a."b`, Reason: "r", By: "me"},                                           // does not parse
		{Name: governance.QualifiedName{Name: string(make([]byte, 64))}, Reason: "r", By: "me"}, // too long / NUL
	} {
		if _, err := AddHold(ctx, db, bad); err == nil {
			t.Errorf("AddHold(%+v) accepted", bad)
		}
	}
	if hs, err := ListHolds(ctx, db, ListOptions{}); err != nil || len(hs) != 3 {
		t.Fatalf("ListHolds = %d holds, %v; want 3 (refused specs add none)", len(hs), err)
	}
}

// TestHoldMigrationBackfillsOldRows installs the first version alone as the legacy
// installer recorded it (schema_migrations row 0001), writes holds as its writer did
// (schema || '.' || name text), then lets Install baseline it and apply the
// hold_table_schema version: each
// row gets its schema and name back (split where they name an existing table), the holds
// still block what they blocked, and a row an older release writes afterwards in the old
// format still blocks its table.
func TestHoldMigrationBackfillsOldRows(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "retention-dotted", pgtest.SQLSetup(dottedSetup))
	v1, err := fs.ReadFile(Migrations(), "20261120000000_retention.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `CREATE SCHEMA lsos_retention;
		CREATE TABLE lsos_retention.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
	mustExec(t, db, string(v1))
	mustExec(t, db, `INSERT INTO lsos_retention.schema_migrations (version) VALUES ('0001')`)
	from := sampleNow.AddDate(-1, 0, 0)
	old := map[string]governance.QualifiedName{ // 0001 text → the name it meant
		"public.a.b":   dotInName,                         // the dotted table of public
		"a.b":          schemaAB,                          // table b of schema a
		"public.plain": publicPlain,                       // the common case
		"gone.x.y":     {Schema: "gone", Name: "x.y"},     // nothing exists: first dot
		"public.Mixed": {Schema: "public", Name: "Mixed"}, // case kept
	}
	oldIDs := map[string]int64{}
	for text := range old {
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO lsos_retention.legal_holds (table_name, reason, created_by, active_from)
			VALUES ($1, 'old', 'legal', $2) RETURNING id`, text, from).Scan(&id); err != nil {
			t.Fatal(err)
		}
		oldIDs[text] = id
	}
	ids := mustIDs(t)
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	hs, err := ListHolds(ctx, db, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]Hold{}
	for _, h := range hs {
		byID[h.ID] = h
	}
	for text, want := range old {
		h := byID[oldIDs[text]]
		if n, ok := h.TableIdent(); !ok || n != want {
			t.Errorf("0001 row %q backfilled as %v (%v); want %v", text, n, ok, want)
		}
	}
	at := sampleNow
	if got := ids(HoldsBlockingName(ctx, db, dotPart, nil, at)); !slices.Equal(got, []int64{oldIDs["public.a.b"]}) {
		t.Errorf("partition of public.\"a.b\" after the backfill: holds %v, want [%d]", got, oldIDs["public.a.b"])
	}
	if got := ids(HoldsBlockingName(ctx, db, schemaAB, nil, at)); !slices.Equal(got, []int64{oldIDs["a.b"]}) {
		t.Errorf("a.b after the backfill: holds %v, want [%d]", got, oldIDs["a.b"])
	}
	if got := ids(HoldsBlocking(ctx, db, "plain", nil, at)); !slices.Equal(got, []int64{oldIDs["public.plain"]}) {
		t.Errorf("public.plain after the backfill: holds %v", got)
	}

	// An older release still writing the 0001 format after the upgrade.
	var legacy int64
	if err := db.QueryRow(ctx, `INSERT INTO lsos_retention.legal_holds (table_name, reason, created_by, active_from)
		VALUES ('public.plain', 'old writer', 'legal', $1) RETURNING id`, from).Scan(&legacy); err != nil {
		t.Fatal(err)
	}
	if got := ids(HoldsBlockingName(ctx, db, publicPlain, nil, at)); !slices.Equal(got, []int64{oldIDs["public.plain"], legacy}) {
		t.Errorf("public.plain with an old-format row: holds %v, want [%d %d]", got, oldIDs["public.plain"], legacy)
	}
	hs, err = ListHolds(ctx, db, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := hs[len(hs)-1]; h.ID != legacy || h.Table != "public.plain" || h.TableSchema != "public" || h.TableName != "plain" {
		t.Errorf("old-format row reads back as %+v", h)
	}
}
