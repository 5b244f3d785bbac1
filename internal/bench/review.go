package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/lint"
)

// benchReview reviews ReviewFiles migration files applied after a schema of
// ReviewTables tables (lint.Review replays the directory on an empty dev database
// and reviews each file), against applying the same directory on an empty database
// with the migrator: the dev-database share of the review's time.
func (e *env) benchReview(ctx context.Context) error {
	sz := e.cfg.Sizes
	path, since, err := reviewDir(e.tmp, sz.ReviewTables, sz.ReviewFiles)
	if err != nil {
		return err
	}
	dir, err := migrate.Load(path)
	if err != nil {
		return err
	}
	p := governance.Default()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var findings int
	review := func(ctx context.Context) (Sample, error) {
		dev, err := e.newDB(ctx, "review_dev", "")
		if err != nil {
			return Sample{}, err
		}
		defer e.drop(dev)
		t0 := time.Now()
		rep, err := lint.Review(ctx, dev.pool, dir, lint.Options{Policy: p, Since: since, Now: func() time.Time { return now }})
		d := time.Since(t0)
		if err != nil {
			return Sample{}, err
		}
		findings = len(rep.Findings)
		return Sample{D: d}, nil
	}
	apply := func(ctx context.Context) (Sample, error) {
		dev, err := e.newDB(ctx, "review_apply", "")
		if err != nil {
			return Sample{}, err
		}
		defer e.drop(dev)
		m, err := migrate.NewMigrator(dev.pool, dir, migrate.Config{Now: func() time.Time { return now }})
		if err != nil {
			return Sample{}, err
		}
		t0 := time.Now()
		res, err := m.Up(ctx)
		d := time.Since(t0)
		if err == nil && len(res) != len(dir.Versions) {
			err = fmt.Errorf("applied %d of %d versions", len(res), len(dir.Versions))
		}
		return Sample{D: d}, err
	}
	b, c, err := pair(ctx, e.cfg.Runs, e.cfg.Warmup, "apply on dev db", apply, "lint.Review", review)
	if err != nil {
		return err
	}
	e.add(Result{
		Name: "migration-review", Candidate: "lint.Review", Baseline: "apply on dev db", Unit: "s", Rows: int64(sz.ReviewFiles),
		CandValue: c.MedianSec, BaseValue: b.MedianSec, Ratio: c.MedianSec / b.MedianSec, RatioOf: "time",
		Detail: map[string]any{"candidate": c, "baseline": b, "files": sz.ReviewFiles, "tables": sz.ReviewTables, "findings": findings},
		Note: fmt.Sprintf("%d files reviewed on a %d-table schema (%d findings); the baseline is the dev-database time "+
			"(replaying the same directory); the review's own analysis is the difference. No target in issue 11",
			sz.ReviewFiles, sz.ReviewTables, findings),
	})
	return nil
}

// reviewDir writes a migration directory: one version creating tables tenants plus
// tables tenant tables, then files versions, each adding a column, an index and a
// table. It returns the path and the version after which review starts.
func reviewDir(tmp string, tables, files int) (string, string, error) {
	dir := filepath.Join(tmp, "review-migrations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(i int, name, up, down string) (string, error) {
		v := t0.Add(time.Duration(i) * time.Hour).Format(migrate.VersionLayout)
		base := filepath.Join(dir, v+"_"+name)
		if err := os.WriteFile(base+".up.sql", []byte(up), 0o644); err != nil {
			return "", err
		}
		return v, os.WriteFile(base+".down.sql", []byte(down), 0o644)
	}
	var up, down strings.Builder
	up.WriteString("CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);\n")
	for t := range tables {
		fmt.Fprintf(&up, `CREATE TABLE items_%03d (
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    id bigint NOT NULL,
    title text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
`, t)
		fmt.Fprintf(&down, "DROP TABLE items_%03d;\n", tables-1-t)
	}
	down.WriteString("DROP TABLE tenants;\n")
	since, err := write(0, "schema", up.String(), down.String())
	if err != nil {
		return "", "", err
	}
	for f := 1; f <= files; f++ {
		t := (f - 1) % tables
		up := fmt.Sprintf(`ALTER TABLE items_%03d ADD COLUMN note_%d text;
CREATE INDEX items_%03d_created_%d ON items_%03d (tenant_id, created_at);
CREATE TABLE extra_%03d (tenant_id bigint NOT NULL REFERENCES tenants (id), id bigint NOT NULL, item_id bigint NOT NULL,
    PRIMARY KEY (tenant_id, id), FOREIGN KEY (tenant_id, item_id) REFERENCES items_%03d (tenant_id, id));
`, t, f, t, f, t, f, t)
		down := fmt.Sprintf(`DROP TABLE extra_%03d;
DROP INDEX items_%03d_created_%d;
ALTER TABLE items_%03d DROP COLUMN note_%d;
`, f, t, f, t, f)
		if _, err := write(f, fmt.Sprintf("change_%03d", f), up, down); err != nil {
			return "", "", err
		}
	}
	return dir, since, migrate.Hash(dir)
}
