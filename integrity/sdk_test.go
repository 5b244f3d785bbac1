package integrity

import (
	"context"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
)

// handmade plants the same faulty table (nullable tenant column, a unique key without
// it) in a schema with the default SDK prefix and in one with the prefix ops_.
var handmade = []string{
	`CREATE SCHEMA lsos_handmade`,
	`CREATE TABLE lsos_handmade.widgets (id bigint PRIMARY KEY, tenant_id bigint, code text UNIQUE)`,
	`CREATE SCHEMA ops_handmade`,
	`CREATE TABLE ops_handmade.widgets (id bigint PRIMARY KEY, tenant_id bigint, code text UNIQUE)`,
}

// findingsIn returns the findings whose object lies in schema.
func findingsIn(fs governance.Findings, schema string) governance.Findings {
	var out governance.Findings
	for _, f := range fs {
		if strings.HasPrefix(f.Object, schema+".") {
			out = append(out, f)
		}
	}
	return out
}

func TestSDKSchemasAreLeftOutByTheOnePredicate(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t, handmade...)

	// The default policy: lsos_handmade belongs to the SDK, ops_handmade does not.
	def := governance.Default()
	cat, err := ReadCatalog(ctx, db, def)
	if err != nil {
		t.Fatal(err)
	}
	if tb := cat.Lookup(governance.QualifiedName{Schema: "lsos_handmade", Name: "widgets"}); tb != nil {
		t.Fatal("the catalog holds lsos_handmade.widgets under the default prefix")
	}
	if tb := cat.Lookup(governance.QualifiedName{Schema: "ops_handmade", Name: "widgets"}); tb == nil {
		t.Fatal("the catalog lacks ops_handmade.widgets")
	}
	fs := runChecks(t, db, def)
	if got := findingsIn(fs, "lsos_handmade"); len(got) > 0 {
		t.Fatalf("findings on an lsos_ schema under the default policy:\n%s", render(got))
	}
	wantWith(t, findingsIn(fs, "ops_handmade"), governance.CheckUnscopedUnique, "ops_handmade.widgets.code", "")

	// sdk.prefix: ops_ turns it around.
	ops, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs = runChecks(t, db, ops)
	if got := findingsIn(fs, "ops_handmade"); len(got) > 0 {
		t.Fatalf("findings on an ops_ schema with sdk.prefix ops_:\n%s", render(got))
	}
	wantWith(t, findingsIn(fs, "lsos_handmade"), governance.CheckUnscopedUnique, "lsos_handmade.widgets.code", "")

	// sdk.schemas names a schema outside the prefix.
	fs = runChecks(t, db, def.WithSDKSchema("ops_handmade"))
	if got := append(findingsIn(fs, "lsos_handmade"), findingsIn(fs, "ops_handmade")...); len(got) > 0 {
		t.Fatalf("findings on SDK schemas with sdk.schemas [ops_handmade]:\n%s", render(got))
	}

	// A nil policy uses the default prefix.
	if cat, err = ReadCatalog(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if cat.Lookup(governance.QualifiedName{Schema: "lsos_handmade", Name: "widgets"}) != nil {
		t.Fatal("ReadCatalog with a nil policy holds lsos_handmade.widgets")
	}
}

// TestSDKPrefixSaveRun: under sdk.prefix ops_, SaveRun installs ops_integrity and keeps
// the report there, Runs reads it back, the default policy's history stays empty and no
// lsos_* schema is created; the checks under that policy say nothing about
// ops_integrity, while the default policy, for which it is an application schema,
// reports it (so the test would notice if the schema were not left out).
func TestSDKPrefixSaveRun(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	ops, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	bk := For(ops)
	if bk.Schema() != "ops_integrity" || bk.RunsTable() != "ops_integrity.lsos_integrity_runs" || For(nil).RunsTable() != RunsTable {
		t.Fatalf("names: %q %q %q", bk.Schema(), bk.RunsTable(), For(nil).RunsTable())
	}
	rep, err := Run(ctx, db, ops, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	id, err := bk.SaveRun(ctx, db, rep)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM ops_integrity.lsos_integrity_runs WHERE id = $1`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("ops_integrity.lsos_integrity_runs holds %d rows with id %d (%v)", n, id, err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM ops_integrity.revisions`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("ops_integrity.revisions: %d rows (%v)", n, err)
	}
	runs, err := bk.Runs(ctx, db, 10)
	if err != nil || len(runs) != 1 || runs[0].ID != id || runs[0].Errors+runs[0].Warnings+runs[0].Infos != len(rep.Findings) {
		t.Fatalf("Runs under ops_: %+v %v", runs, err)
	}
	if runs, err := Runs(ctx, db, 10); err != nil || len(runs) != 0 {
		t.Fatalf("the default policy's Runs: %+v %v; lsos_integrity must not exist", runs, err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'lsos_')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("sdk.prefix ops_ created %d lsos_* schema(s) (%v)", n, err)
	}
	if got := findingsIn(runChecks(t, db, ops), "ops_integrity"); len(got) > 0 {
		t.Fatalf("findings on ops_integrity under sdk.prefix ops_:\n%s", render(got))
	}
	if got := findingsIn(runChecks(t, db, governance.Default(), SchemaChecks()...), "ops_integrity"); len(got) == 0 {
		t.Fatal("control: the default policy reports nothing about ops_integrity; the test proves nothing")
	}
}
