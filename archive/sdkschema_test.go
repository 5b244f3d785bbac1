package archive

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// TestDetachedSchemaMustBeSDKSchema: kept partitions go to a schema the policy
// recognises as the SDK's (default: its prefix + "archive_detached"); another schema is
// refused before anything runs, and one listed in sdk.schemas is accepted.
func TestDetachedSchemaMustBeSDKSchema(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	now := func() time.Time { return fixedNow }
	part := []Partition{{Name: "public.ranking_snapshots_2024_12"}}
	_, err := Run(ctx, db, store, governance.Default(), Options{Partitions: part, Now: now, KeepDetached: true, DetachedSchema: "kept"})
	if err == nil || !strings.Contains(err.Error(), "not one of the SDK's schemas") {
		t.Fatalf("DetachedSchema outside the SDK's schemas: %v", err)
	}
	p := governance.Default()
	p.SDK.Schemas = []string{"kept"}
	if _, err := Run(ctx, db, store, p, Options{Partitions: part, Now: now, KeepDetached: true, DetachedSchema: "kept"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = 'kept' AND tablename = 'ranking_snapshots_2024_12'`); n != 1 {
		t.Fatalf("the kept partition is not in schema kept")
	}
	p2 := governance.Default()
	p2.SDK.Prefix = "ops_"
	part2 := []Partition{{Name: "public.ranking_snapshots_2025_01"}}
	if _, err := Run(ctx, db, store, p2, Options{Partitions: part2, Now: now, KeepDetached: true}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = 'ops_archive_detached'`); n != 1 {
		t.Fatalf("with sdk.prefix ops_ the kept partition is not in ops_archive_detached")
	}
}
