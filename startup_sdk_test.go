package lsosgov

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// inSchema returns the findings whose object lies in schema.
func inSchema(fs governance.Findings, schema string) governance.Findings {
	var out governance.Findings
	for _, f := range fs {
		if strings.HasPrefix(f.Object, schema+".") {
			out = append(out, f)
		}
	}
	return out
}

// TestStartupCustomSchemaIsTheSDKs runs Startup with the revisions table in ops_migrate,
// a schema outside the SDK prefix: the classification gate passes, and neither the
// checks nor the gate say anything about ops_migrate, because Startup adds the schema
// to its policy's sdk.schemas. Under a policy that does not know the schema, the same
// tables are reported, so the test would notice if the schema were not in play.
func TestStartupCustomSchemaIsTheSDKs(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock, Schema: "ops_migrate",
		Classification: ClassGate{Unclassified: true}}
	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("Startup with Schema ops_migrate and the gate on: %v", err)
	}
	if len(rep.Applied) != len(lsos.Versions()) || rep.Columns == 0 {
		t.Fatalf("applied %d versions, classified %d columns", len(rep.Applied), rep.Columns)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM ops_migrate.revisions`).Scan(&n); err != nil || n != len(lsos.Versions()) {
		t.Fatalf("ops_migrate.revisions holds %d rows (%v)", n, err)
	}
	if err := lsos.EnsurePartitions(ctx, db, startupNow.AddDate(0, -1, 0), startupNow.AddDate(0, 2, 0)); err != nil {
		t.Fatal(err)
	}

	// Every schema check and the gate: no finding at all.
	cfg.Checks = integrity.SchemaChecks()
	if rep, err = Startup(ctx, db, cfg); err != nil {
		t.Fatalf("Startup with every schema check: %v", err)
	}
	if len(rep.Findings) != 0 || len(rep.Checks) != len(integrity.SchemaChecks()) {
		t.Fatalf("checks %v, findings:\n%v", rep.Checks, rep.Findings)
	}
	// The policy Startup uses leaves ops_migrate out of a full integrity run too.
	p := governance.Default().WithSDKSchema("ops_migrate")
	ir, err := integrity.Run(ctx, db, p, integrity.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if len(ir.Findings) != 0 {
		t.Fatalf("integrity.Run under the startup policy: %v", ir.Findings)
	}

	// Control: the default policy does not know ops_migrate and reports its tables
	// (tenant-isolation IN102: no tenant column; the gate: unclassified columns).
	ir, err = integrity.Run(ctx, db, governance.Default(), integrity.Options{Now: clock, Checks: integrity.SchemaChecks()})
	if err != nil {
		t.Fatal(err)
	}
	got := inSchema(ir.Findings, "ops_migrate")
	if !slices.ContainsFunc(got, func(f governance.Finding) bool { return f.Code == integrity.CodeTenantColumnMissing }) {
		t.Fatalf("control: want IN102 on ops_migrate under the default policy, got %v", got)
	}
	cat, err := classify.Classify(ctx, db, governance.Default(), classify.Options{NoSampling: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inSchema(cat.Findings(governance.Default()), "ops_migrate")) == 0 {
		t.Fatal("control: the default policy classifies every ops_migrate column; the gate test proves nothing")
	}
}

// TestStartupHandMadeSDKPrefixedSchema plants a faulty table in a schema named with the
// SDK prefix: Startup leaves it out. With sdk.prefix ops_ in the policy the same table
// is the application's and fails startup, while the revisions schema lsos_migrate
// (outside the new prefix) is still left out.
func TestStartupHandMadeSDKPrefixedSchema(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock}
	if _, err := Startup(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	if err := lsos.EnsurePartitions(ctx, db, startupNow.AddDate(0, -1, 0), startupNow.AddDate(0, 2, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `CREATE SCHEMA lsos_handmade;
		CREATE TABLE lsos_handmade.widgets (id bigint PRIMARY KEY, tenant_id bigint, code text UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	cfg.Checks = integrity.SchemaChecks()
	cfg.Classification = ClassGate{Unclassified: true}
	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("a hand-made lsos_ schema must be left out: %v", err)
	}
	if len(rep.Findings) != 0 {
		t.Fatalf("findings: %v", rep.Findings)
	}

	ops, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Policy = ops
	rep, err = Startup(ctx, db, cfg)
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhaseChecks {
		t.Fatalf("with sdk.prefix ops_: want a checks-phase error on lsos_handmade, got %v", err)
	}
	if len(inSchema(se.Findings, "lsos_handmade")) == 0 {
		t.Fatalf("with sdk.prefix ops_: no fatal finding on lsos_handmade: %v", se.Findings)
	}
	if got := inSchema(rep.Findings, "lsos_migrate"); len(got) != 0 {
		t.Fatalf("with sdk.prefix ops_: findings on the revisions schema lsos_migrate: %v", got)
	}
}
