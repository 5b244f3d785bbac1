package lint_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/lint"
)

// A deprecating version that failed (dirty) long ago and was only resolved as applied
// now has been applied since now: the time it spent dirty must not count toward the
// deprecation window.
func TestDeprecationWindowIgnoresTimeSpentDirty(t *testing.T) {
	ctx := context.Background()
	// The deprecating version runs outside a transaction and fails after its comment.
	fsys := deprecationFiles()
	fsys[depVersion+"_deprecate.up.sql"] = &fstest.MapFile{Data: []byte("-- lsos:no-transaction\n-- lsos:deprecates projects.legacy_code\n-- lsos:breaking flag=drop_legacy phase=expand\n" +
		"COMMENT ON COLUMN projects.legacy_code IS 'deprecated';\nSELECT 1/0;\n")}
	fsys[depVersion+"_deprecate.down.sql"] = &fstest.MapFile{Data: []byte("-- lsos:no-transaction\nCOMMENT ON COLUMN projects.legacy_code IS NULL;\n")}
	withSum(t, fsys)

	db := pgtest.DB(t, "", nil)
	md, err := migrate.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(db, md, migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpTo(ctx, depVersion); err == nil {
		t.Fatal("the deprecating version should fail and leave a dirty revision")
	}
	// The failure happened 60 days ago.
	if _, err := db.Exec(ctx, `UPDATE lsos_migrate.revisions SET applied_at = now() - interval '60 days'`); err != nil {
		t.Fatal(err)
	}
	// Repaired by hand and resolved as applied today.
	if err := m.Resolve(ctx, depVersion, migrate.ResolvedApplied, "finished the comment by hand"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	d, err := migrate.Inspect(fsys, "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := lint.Review(ctx, pgtest.DB(t, "", nil), d, lint.Options{Target: db, Now: func() time.Time { return now.Add(24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	var dc governance.Findings
	for _, f := range rep.Findings.ByCheck(governance.CheckDestructiveChange) {
		if f.Object == "public.projects.legacy_code" {
			dc = append(dc, f)
		}
	}
	if len(dc) != 1 {
		applied, _ := lint.ReadApplied(ctx, db, "")
		t.Fatalf("deprecation resolved as applied 1 day before the review: want the window (30 days) not passed (DC102), got %v; ReadApplied[%s] = %v (the time of the failed attempt)", dc, depVersion, applied[depVersion])
	}
}
