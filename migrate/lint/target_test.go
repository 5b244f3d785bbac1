package lint_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/lint"
)

const (
	depVersion  = "20260201000000"
	dropVersion = "20260301000000"
)

// targetNow is the review clock: long after the deprecating version's timestamp, so
// measured from the timestamp the 30-day window has passed.
var targetNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// deprecationDir is base → deprecate projects.legacy_code → drop it.
func deprecationDir(t *testing.T) fstest.MapFS {
	t.Helper()
	return withSum(t, deprecationFiles())
}

// deprecationFiles are deprecationDir's migration files, without atlas.sum.
func deprecationFiles() fstest.MapFS {
	return fstest.MapFS{
		"20260101000000_base.up.sql": {Data: []byte("CREATE TABLE tenants (id bigint PRIMARY KEY);\n" +
			"CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), legacy_code text, UNIQUE (tenant_id, id));\n")},
		"20260101000000_base.down.sql":        {Data: []byte("DROP TABLE projects, tenants;\n")},
		depVersion + "_deprecate.up.sql":      {Data: []byte("-- lsos:deprecates projects.legacy_code\n-- lsos:breaking flag=drop_legacy phase=expand\nCOMMENT ON COLUMN projects.legacy_code IS 'deprecated';\n")},
		depVersion + "_deprecate.down.sql":    {Data: []byte("COMMENT ON COLUMN projects.legacy_code IS NULL;\n")},
		dropVersion + "_drop_legacy.up.sql":   {Data: []byte("-- lsos:breaking flag=drop_legacy phase=contract\nALTER TABLE projects DROP COLUMN legacy_code;\n")},
		dropVersion + "_drop_legacy.down.sql": {Data: []byte("ALTER TABLE projects ADD COLUMN legacy_code text;\n")},
	}
}

// withSum adds the atlas.sum of fsys's migration files to it.
func withSum(t *testing.T, fsys fstest.MapFS) fstest.MapFS {
	t.Helper()
	d, err := migrate.Inspect(fsys, "")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := migrate.SumFS(d.FS())
	if err != nil {
		t.Fatal(err)
	}
	fsys["atlas.sum"] = &fstest.MapFile{Data: sum}
	return fsys
}

// target applies the directory up to version with package migrate, then moves every
// applied_at back by ago: the revisions table records the server's now(), and the test
// needs a deployment that happened days before the review clock.
func target(t *testing.T, fsys fstest.MapFS, version string, appliedAt time.Time) lint.DB {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if version == "" {
		return db
	}
	md, err := migrate.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(db, md, migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE lsos_migrate.revisions SET applied_at = $1`, appliedAt); err != nil {
		t.Fatal(err)
	}
	return db
}

func reviewAgainst(t *testing.T, fsys fstest.MapFS, o lint.Options) (governance.Findings, error) {
	t.Helper()
	d, err := migrate.Inspect(fsys, "")
	if err != nil {
		t.Fatal(err)
	}
	o.Now = func() time.Time { return targetNow }
	rep, err := lint.Review(context.Background(), pgtest.DB(t, "", nil), d, o)
	if err != nil {
		return nil, err
	}
	var out governance.Findings
	for _, f := range rep.Findings.ByCheck(governance.CheckDestructiveChange) {
		if f.Object == "public.projects.legacy_code" {
			out = append(out, f)
		}
	}
	return out, nil
}

func TestDeprecationWindowFromTarget(t *testing.T) {
	fsys := deprecationDir(t)
	cases := []struct {
		name    string
		applied string // version applied on the target ("" = nothing, not even the revisions table)
		ago     time.Duration
		want    string // expected message fragment; "" = no finding
	}{
		{"applied 10 days ago", depVersion, 10 * 24 * time.Hour, "applied on the target on 2026-05-22T00:00:00Z, but the 720h0m0s deprecation window has not passed; the drop is allowed from 2026-06-21T00:00:00Z"},
		{"applied 40 days ago", depVersion, 40 * 24 * time.Hour, ""},
		{"not applied", "20260101000000", 40 * 24 * time.Hour, "deprecated by " + depVersion + ", which is not applied on the target yet, so the drop is not allowed yet"},
		{"no revisions table", "", 0, "which is not applied on the target yet"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tgt := target(t, fsys, c.applied, targetNow.Add(-c.ago))
			fs, err := reviewAgainst(t, fsys, lint.Options{Target: tgt})
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(fs) != 0 {
					t.Fatalf("want no destructive-change, got %v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Code != "DC102" || fs[0].Severity != governance.SeverityError || !strings.Contains(fs[0].Message, c.want) {
				t.Fatalf("want one DC102 saying %q, got %v", c.want, fs)
			}
		})
	}
}

// Without a target the window runs from the version timestamp, and the finding says so.
func TestDeprecationWindowFromTimestamp(t *testing.T) {
	fsys := deprecationDir(t)
	fs, err := reviewAgainst(t, fsys, lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Fatalf("deprecated 2026-02-01, reviewed 2026-06-01: the window has passed by timestamp, got %v", fs)
	}
	// Within the window measured from the timestamp.
	d, _ := migrate.Inspect(fsys, "")
	rep, err := lint.Review(context.Background(), pgtest.DB(t, "", nil), d, lint.Options{
		Now: func() time.Time { return time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	dc := rep.Findings.ByCheck(governance.CheckDestructiveChange)
	if len(dc) != 1 || !strings.Contains(dc[0].Message, "window measured from the version timestamp") {
		t.Fatalf("destructive-change = %v", dc)
	}
}

func TestDeprecationAppliedAtOption(t *testing.T) {
	fsys := deprecationDir(t)
	fs, err := reviewAgainst(t, fsys, lint.Options{AppliedAt: map[string]time.Time{depVersion: targetNow.Add(-5 * 24 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "allowed from 2026-06-26T00:00:00Z") {
		t.Fatalf("want the window measured from the given applied time, got %v", fs)
	}
	_, err = reviewAgainst(t, fsys, lint.Options{AppliedAt: map[string]time.Time{}, Target: pgtest.DB(t, "", nil)})
	if !errors.Is(err, lint.ErrOptions) {
		t.Fatalf("Target and AppliedAt together: err = %v, want ErrOptions", err)
	}
}

func TestReadAppliedSkipsDirty(t *testing.T) {
	ctx := context.Background()
	fsys := deprecationDir(t)
	db := target(t, fsys, depVersion, targetNow)
	if _, err := db.Exec(ctx, `UPDATE lsos_migrate.revisions SET state = 'dirty' WHERE version = $1`, depVersion); err != nil {
		t.Fatal(err)
	}
	got, err := lint.ReadApplied(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[depVersion]; ok || !got["20260101000000"].Equal(targetNow) {
		t.Fatalf("applied = %v, want only the base version (the dirty one is not applied)", got)
	}
	// A quoted name is safe: a schema that does not exist has applied nothing.
	if got, err := lint.ReadApplied(ctx, db, `no"such`); err != nil || len(got) != 0 {
		t.Errorf("unknown schema: %v, %v; want an empty map", got, err)
	}
	if _, err := lint.ReadApplied(ctx, db, strings.Repeat("s", 64)); err == nil {
		t.Error("a name PostgreSQL would truncate must be refused")
	}
}
