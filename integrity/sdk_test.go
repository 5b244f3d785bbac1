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
