package governance

import (
	"errors"
	"testing"
)

func TestSDKSchemaPredicate(t *testing.T) {
	p := Default()
	for schema, want := range map[string]bool{
		"lsos_migrate": true, "lsos_retention": true, "public": false, "ops_migrate": false, "lsosx": false,
	} {
		if got := p.IsSDKSchema(schema); got != want {
			t.Errorf("IsSDKSchema(%q) = %v, want %v", schema, got, want)
		}
	}
	if got := p.SDKSchema("archive"); got != "lsos_archive" {
		t.Errorf("SDKSchema(archive) = %q", got)
	}
	q := p.WithSDKSchema("ops_migrate")
	if !q.IsSDKObject("ops_migrate.revisions.version") || p.IsSDKObject("ops_migrate.revisions") {
		t.Errorf("WithSDKSchema must add ops_migrate to the copy only")
	}
	if p.WithSDKSchema("lsos_migrate") != p {
		t.Errorf("WithSDKSchema of an owned schema must return the policy itself")
	}
	if (*Policy)(nil).IsSDKObject("public.t") || !(*Policy)(nil).IsSDKObject("lsos_archive.partitions") {
		t.Errorf("a nil policy uses the default prefix")
	}
}

func TestSDKPolicyFromFile(t *testing.T) {
	p, err := Parse([]byte("sdk:\n  prefix: ops_\n  schemas: [billing_meta]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsSDKSchema("ops_retention") || !p.IsSDKSchema("billing_meta") || p.IsSDKSchema("lsos_retention") {
		t.Errorf("prefix ops_ and schema billing_meta must be the SDK's, lsos_ no longer: %+v", p.SDK)
	}
	_, err = Parse([]byte("sdk:\n  prefix: \"Bad-Prefix\"\n  schemas: [\"x y\"]\n"))
	var pe *PolicyError
	if !errors.As(err, &pe) || len(pe.Problems) != 2 {
		t.Fatalf("want two problems (prefix and schema), got %v", err)
	}
}

func TestSDKTables(t *testing.T) {
	p := Default().WithSDKTable("public", "alembic_version")
	if !p.IsSDKTable("public", "alembic_version") || !p.IsSDKObject("public.alembic_version.version_num") {
		t.Error("a table listed in sdk.tables belongs to migration tooling")
	}
	if p.IsSDKTable("public", "users") || Default().IsSDKTable("public", "alembic_version") {
		t.Error("WithSDKTable must not change other tables or the original policy")
	}
	if _, err := Parse([]byte("sdk:\n  tables: [alembic_version]\n")); err == nil {
		t.Error("sdk.tables entries must be schema.table")
	}
	q, err := Parse([]byte("sdk:\n  tables: [public.flyway_schema_history]\n"))
	if err != nil || !q.IsSDKTable("public", "flyway_schema_history") {
		t.Errorf("sdk.tables from a file: %v", err)
	}
}
