package classify

import (
	"context"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// tablesOf returns the catalog's tables in schema.
func tablesOf(cat *Catalog, schema string) []string {
	var out []string
	for _, t := range cat.Tables {
		if splitQualified(t.Table).Schema == schema {
			out = append(out, t.Table)
		}
	}
	return out
}

func TestCatalogLeavesOutSDKSchemas(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if _, err := db.Exec(ctx, `
		CREATE SCHEMA lsos_handmade;
		CREATE TABLE lsos_handmade.notes (body text);
		CREATE SCHEMA ops_handmade;
		CREATE TABLE ops_handmade.notes (body text);
		CREATE TABLE public.notes (body text)`); err != nil {
		t.Fatal(err)
	}

	cat, err := Classify(ctx, db, governance.Default(), Options{NoSampling: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tablesOf(cat, "lsos_handmade"); len(got) != 0 {
		t.Errorf("default policy: the catalog holds %v", got)
	}
	if got := tablesOf(cat, "ops_handmade"); len(got) != 1 {
		t.Errorf("default policy: want ops_handmade.notes, got %v", got)
	}
	for _, f := range cat.Findings(governance.Default()) {
		if governance.Default().IsSDKObject(f.Object) {
			t.Errorf("finding on an SDK object: %s", f)
		}
	}

	ops, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cat, err = Classify(ctx, db, ops, Options{NoSampling: true}); err != nil {
		t.Fatal(err)
	}
	if got := tablesOf(cat, "ops_handmade"); len(got) != 0 {
		t.Errorf("sdk.prefix ops_: the catalog holds %v", got)
	}
	if got := tablesOf(cat, "lsos_handmade"); len(got) != 1 {
		t.Errorf("sdk.prefix ops_: want lsos_handmade.notes, got %v", got)
	}

	// A schema named in Options.Schemas is read even when it is the SDK's.
	if cat, err = Classify(ctx, db, governance.Default(), Options{NoSampling: true, Schemas: []string{"lsos_handmade"}}); err != nil {
		t.Fatal(err)
	}
	if got := tablesOf(cat, "lsos_handmade"); len(got) != 1 || len(cat.Tables) != 1 {
		t.Errorf("Schemas [lsos_handmade]: got %v", cat.Tables)
	}
}
