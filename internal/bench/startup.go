package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/lsos/lsosgov"
	"github.com/lsos/lsosgov/migrate"
)

// startupIters is how many no-op startups one timed run averages: one is a few
// milliseconds, too short to time alone on a shared machine.
const startupIters = 10

// benchStartup compares a service's start-up with every version applied: the module's
// lsosgov.Startup (and the bare Migrator.Up) against goose's Provider.Up, both over an
// in-memory file system (as an embed.FS would be) on the same database.
func (e *env) benchStartup(ctx context.Context) error {
	n := e.cfg.Sizes.Versions
	ours, err := lsosDir(e.tmp, n)
	if err != nil {
		return err
	}
	gooseFS := gooseDir(n)
	db, err := e.newDB(ctx, "startup", "")
	if err != nil {
		return err
	}
	defer e.drop(db)
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()

	dir, err := migrate.LoadFS(ours)
	if err != nil {
		return err
	}
	m, err := migrate.NewMigrator(db.pool, dir, migrate.Config{})
	if err != nil {
		return err
	}
	if res, err := m.Up(ctx); err != nil || len(res) != n {
		return fmt.Errorf("apply %d versions with migrate: %d applied, %v", n, len(res), err)
	}
	prov, err := goose.NewProvider(goose.DialectPostgres, sqlDB, gooseFS)
	if err != nil {
		return err
	}
	if res, err := prov.Up(ctx); err != nil || len(res) != n {
		return fmt.Errorf("apply %d versions with goose: %d applied, %v", n, len(res), err)
	}

	// The facade with a directory loaded once (what the target is about), the
	// facade loading the directory from the fs.FS on the call (a service's first start),
	// and the bare executor.
	startupDir := func(ctx context.Context) error {
		rep, err := lsosgov.Startup(ctx, db.pool, lsosgov.StartupConfig{Dir: dir, Apply: true})
		if err == nil && len(rep.Applied) > 0 {
			err = fmt.Errorf("no-op Startup applied %d versions", len(rep.Applied))
		}
		return err
	}
	startupFS := func(ctx context.Context) error {
		rep, err := lsosgov.Startup(ctx, db.pool, lsosgov.StartupConfig{FS: ours, Apply: true})
		if err == nil && len(rep.Applied) > 0 {
			err = fmt.Errorf("no-op Startup applied %d versions", len(rep.Applied))
		}
		return err
	}
	gooseFull := func(ctx context.Context) error {
		p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, gooseFS)
		if err != nil {
			return err
		}
		return noopG(p.Up(ctx))
	}
	oursUp := func(ctx context.Context) error { return noop(m.Up(ctx)) }
	gooseUp := func(ctx context.Context) error { return noopG(prov.Up(ctx)) }

	for _, c := range []struct {
		name, cand, base string
		c, b             func(context.Context) error
		note             string
	}{
		{"startup-noop", "lsosgov.Startup(Dir)", "goose Provider.Up", startupDir, gooseUp,
			"Startup with the directory loaded once vs Up on a goose provider built once"},
		{"startup-noop-load", "lsosgov.Startup(FS)", "goose NewProvider+Up", startupFS, gooseFull,
			"each call loads the directory: Startup parses every file and checks atlas.sum, goose only lists file names"},
		{"up-noop", "Migrator.Up", "goose Provider.Up", oursUp, gooseUp, "the executor alone, built once"},
	} {
		b, cs, err := pair(ctx, e.cfg.Runs, max(e.cfg.Warmup, 1), c.base, iterate(c.b), c.cand, iterate(c.c))
		if err != nil {
			return err
		}
		e.add(Result{
			Name: c.name, Candidate: c.cand, Baseline: c.base, Unit: "s",
			CandValue: cs.MedianSec, BaseValue: b.MedianSec, Ratio: cs.MedianSec / b.MedianSec, RatioOf: "time",
			Target: "<= 1.5", Rows: int64(n),
			Note:   fmt.Sprintf("%d applied versions; %s; median of %d-call averages", n, c.note, startupIters),
			Detail: map[string]any{"candidate": cs, "baseline": b},
		})
	}
	return nil
}

func iterate(f func(context.Context) error) Op {
	return func(ctx context.Context) (Sample, error) {
		t0 := time.Now()
		for range startupIters {
			if err := f(ctx); err != nil {
				return Sample{}, err
			}
		}
		return Sample{D: time.Since(t0) / startupIters}, nil
	}
}

func noop(res []migrate.Result, err error) error {
	if err == nil && len(res) > 0 {
		err = fmt.Errorf("no-op Up applied %d versions", len(res))
	}
	return err
}

func noopG(res []*goose.MigrationResult, err error) error {
	if err == nil && len(res) > 0 {
		err = fmt.Errorf("no-op goose Up applied %d versions", len(res))
	}
	return err
}

// lsosDir writes n forward/rollback pairs, hashes them (atlas.sum) with migrate.Hash and
// returns them as an in-memory file system.
func lsosDir(tmp string, n int) (fstest.MapFS, error) {
	dir := filepath.Join(tmp, "startup-migrations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		base := fmt.Sprintf("%s_create_m%03d", t0.Add(time.Duration(i)*time.Minute).Format(migrate.VersionLayout), i)
		up := fmt.Sprintf("CREATE TABLE m%03d (id bigint PRIMARY KEY, note text);\n", i)
		down := fmt.Sprintf("DROP TABLE m%03d;\n", i)
		if err := os.WriteFile(filepath.Join(dir, base+".up.sql"), []byte(up), 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, base+".down.sql"), []byte(down), 0o644); err != nil {
			return nil, err
		}
	}
	if err := migrate.Hash(dir); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{}
	for _, de := range ents {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			return nil, err
		}
		fsys[de.Name()] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return fsys, nil
}

// gooseDir is the same n tables as goose SQL migrations.
func gooseDir(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		fsys[fmt.Sprintf("%05d_create_g%03d.sql", i, i)] = &fstest.MapFile{Data: fmt.Appendf(nil,
			"-- +goose Up\nCREATE TABLE g%03d (id bigint PRIMARY KEY, note text);\n\n-- +goose Down\nDROP TABLE g%03d;\n", i, i)}
	}
	return fsys
}
