package lsosgov

import (
	"context"
	"strings"
	"testing"

	_ "gocloud.dev/blob/fileblob"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/retention"
)

// TestStartupSDKPrefixSchemas: under sdk.prefix ops_, the SDK's own schemas are
// ops_retention, ops_archive (and ops_archive_detached), ops_integrity and ops_active,
// and neither Startup's checks and classification gate nor a full integrity run or
// classification under that policy says anything about them, while the default
// policy, for which they are application schemas, does (so the test would notice). No
// lsos_* schema is created.
func TestStartupSDKPrefixSchemas(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	ops, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock, Policy: ops, Schema: ops.SDKSchema("migrate")}
	if _, err := Startup(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	if err := lsos.EnsurePartitions(ctx, db, startupNow.AddDate(0, -2, 0), startupNow.AddDate(0, 2, 0)); err != nil {
		t.Fatal(err)
	}

	// The SDK's bookkeeping under ops_.
	if err := retention.For(ops).Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := retention.For(ops).AddHold(ctx, db, retention.HoldSpec{TenantID: "1", Reason: "r", By: "legal"}); err != nil {
		t.Fatal(err)
	}
	if _, err := retention.InstallActiveViews(ctx, db, ops, retention.ActiveViewOptions{}); err != nil {
		t.Fatal(err)
	}
	store, err := archive.OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	part := "public.ranking_snapshots_" + startupNow.AddDate(0, -2, 0).Format("2006_01")
	if _, err := archive.Run(ctx, db, store, ops, archive.Options{Partitions: []archive.Partition{{Name: part}}, Now: clock, KeepDetached: true}); err != nil {
		t.Fatal(err)
	}
	ir, err := integrity.Run(ctx, db, ops, integrity.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.For(ops).SaveRun(ctx, db, ir); err != nil {
		t.Fatal(err)
	}
	sdk := []string{"ops_active", "ops_archive", "ops_archive_detached", "ops_integrity", "ops_migrate", "ops_retention"}
	var got []string
	rows, err := db.Query(ctx, `SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, 'ops_') OR starts_with(nspname, 'lsos_') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if strings.Join(got, ",") != strings.Join(sdk, ",") {
		t.Fatalf("schemas %v; want exactly %v", got, sdk)
	}
	inSDK := func(fs governance.Findings) governance.Findings {
		var out governance.Findings
		for _, s := range sdk {
			out = append(out, inSchema(fs, s)...)
		}
		return out
	}

	// Startup with every schema check and the gate: nothing about the SDK's schemas.
	cfg.Checks = integrity.SchemaChecks()
	cfg.Classification = ClassGate{Unclassified: true}
	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("Startup under sdk.prefix ops_: %v", err)
	}
	if f := inSDK(rep.Findings); len(f) != 0 {
		t.Fatalf("Startup reports on the SDK's schemas: %v", f)
	}
	ir, err = integrity.Run(ctx, db, ops, integrity.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if f := inSDK(ir.Findings); len(f) != 0 {
		t.Fatalf("integrity.Run under ops_ reports on the SDK's schemas: %v", f)
	}
	cat, err := classify.Classify(ctx, db, ops, classify.Options{NoSampling: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Columns {
		if strings.HasPrefix(c.Table, "ops_") {
			t.Errorf("classify under ops_ lists %s.%s", c.Table, c.Column)
		}
	}
	if f := inSDK(cat.Findings(ops)); len(f) != 0 {
		t.Fatalf("classify under ops_ reports on the SDK's schemas: %v", f)
	}

	// Control: the default policy takes them for application schemas.
	def := governance.Default()
	ir, err = integrity.Run(ctx, db, def, integrity.Options{Now: clock, Checks: integrity.SchemaChecks()})
	if err != nil {
		t.Fatal(err)
	}
	if len(inSchema(ir.Findings, "ops_retention")) == 0 || len(inSchema(ir.Findings, "ops_archive")) == 0 || len(inSchema(ir.Findings, "ops_integrity")) == 0 {
		t.Fatalf("control: the default policy reports nothing about ops_retention, ops_archive or ops_integrity: %v", inSDK(ir.Findings))
	}
	if cat, err = classify.Classify(ctx, db, def, classify.Options{NoSampling: true}); err != nil {
		t.Fatal(err)
	}
	if len(inSchema(cat.Findings(def), "ops_retention")) == 0 {
		t.Fatal("control: the default policy classifies no ops_retention column")
	}
}
