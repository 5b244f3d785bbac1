package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/internal/dbx"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// Measurements are the names --only accepts, in the order they run.
var Measurements = []string{"startup", "archive", "archive-e2e", "restore", "integrity", "integrity-sample", "classify", "hard-delete", "review"}

// Config configures a run of the driver.
type Config struct {
	Scale       string
	Sizes       Sizes // set by validate from Scale
	Runs        int   // timed runs per side; 0 = the scale's default
	Warmup      int   // untimed warm-up runs per side; -1 = the scale's default
	Only        []string
	Out         string // results.json and charts; "" writes nothing
	JSON        bool
	DatabaseURL string // "" starts a server with internal/pgtest
	Strict      bool
	Verbose     bool
	CPUProfile  string                           // file for the driver's CPU profile; "" for none
	Logf        func(format string, args ...any) // nil discards
}

func (c *Config) validate() error {
	s, err := ScaleSizes(c.Scale)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	c.Sizes = s
	if c.Runs == 0 {
		c.Runs = s.Runs
	}
	if c.Runs < 0 {
		return fmt.Errorf("%w: --runs must be at least 1; got %d", errUsage, c.Runs)
	}
	if c.Warmup < 0 {
		c.Warmup = s.Warmup
	}
	for _, o := range c.Only {
		if !slices.Contains(Measurements, o) {
			return fmt.Errorf("%w: unknown measurement %q in --only; known: %s", errUsage, o, strings.Join(Measurements, ", "))
		}
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return nil
}

func (c *Config) wants(name string) bool { return len(c.Only) == 0 || slices.Contains(c.Only, name) }

// env is what every measurement works with.
type env struct {
	cfg   Config
	srv   *pgtest.Server
	tmp   string // scratch files (objects, dumps); removed at the end
	pgBin string // the server's bindir, for pg_dump
	rep   *Report
}

// Run runs the selected measurements and returns the report; the error joins the
// measurements that could not run (the report still holds the others).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil { // idempotent: run() has validated already
		return nil, err
	}
	start := time.Now()
	e := &env{cfg: cfg, rep: &Report{Scale: cfg.Scale, Runs: cfg.Runs, Warmup: cfg.Warmup, StartedAt: start.UTC()}}
	var err error
	if e.tmp, err = os.MkdirTemp("", "lsos-bench-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(e.tmp)
	if cfg.DatabaseURL != "" {
		// pgtest's env-URL mode creates and drops databases on an existing server.
		os.Setenv(pgtest.EnvURL, cfg.DatabaseURL)
	}
	if e.srv, err = pgtest.Start(ctx, pgtest.Options{Logf: cfg.Logf, NoDocker: true}); err != nil {
		return nil, fmt.Errorf("bench: start PostgreSQL: %w", err)
	}
	defer e.srv.Stop()
	if err := e.describeMachine(ctx); err != nil {
		return nil, err
	}
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"startup", e.benchStartup},
		{"archive", e.benchArchive},
		{"archive-e2e", e.benchArchiveE2E},
		{"restore", e.benchRestore},
		{"integrity", e.benchIntegrity},
		{"integrity-sample", e.benchSampleCheck},
		{"classify", e.benchClassify},
		{"hard-delete", e.benchHardDelete},
		{"review", e.benchReview},
	}
	var errs []error
	for _, s := range steps {
		if !cfg.wants(s.name) {
			continue
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		t0 := time.Now()
		cfg.Logf("%s: start", s.name)
		if err := s.f(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			e.rep.NotMeasured = append(e.rep.NotMeasured, fmt.Sprintf("%s (failed: %v)", s.name, err))
		}
		cfg.Logf("%s: done in %s", s.name, time.Since(t0).Round(time.Millisecond))
	}
	for i := range e.rep.Results {
		e.rep.Results[i].evaluate()
	}
	e.rep.Seconds = time.Since(start).Seconds()
	if cfg.Out != "" {
		if err := e.writeOut(); err != nil {
			errs = append(errs, err)
		}
	}
	return e.rep, errors.Join(errs...)
}

func (e *env) describeMachine(ctx context.Context) error {
	m := &e.rep.Machine
	m.GOOS, m.GOARCH, m.CPUs, m.GoVersion = runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()
	m.ServerKind = e.srv.Kind
	c, err := pgx.Connect(ctx, e.srv.URL)
	if err != nil {
		return fmt.Errorf("bench: connect: %w", err)
	}
	defer c.Close(ctx)
	var num int
	if err := c.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int`).Scan(&m.Postgres, &num); err != nil {
		return err
	}
	e.pgBin = serverBinDir(e.srv.Kind, num/10000)
	if e.pgBin != "" {
		m.PgDump = filepath.Join(e.pgBin, "pg_dump")
	}
	return nil
}

// serverBinDir finds the bindir of the server's major version: the local server's own,
// else pg_config --bindir or /usr/lib/postgresql/<major>/bin, whichever has pg_dump.
func serverBinDir(kind string, major int) string {
	var cands []string
	if dir, ok := strings.CutPrefix(kind, "local "); ok {
		cands = append(cands, dir)
	}
	cands = append(cands, fmt.Sprintf("/usr/lib/postgresql/%d/bin", major))
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		cands = append(cands, strings.TrimSpace(string(out)))
	}
	for _, d := range cands {
		if fi, err := os.Stat(filepath.Join(d, "pg_dump")); err == nil && !fi.IsDir() {
			return d
		}
	}
	return ""
}

// database is a scratch database of the run.
type database struct {
	name string
	url  string
	pool *pgxpool.Pool
}

// newDB creates an empty database (or a clone of template) and opens a pool on it.
func (e *env) newDB(ctx context.Context, hint, template string) (*database, error) {
	name := e.srv.NewDatabaseName("bench_" + hint)
	url, err := e.srv.CreateDatabase(ctx, name, template)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		_ = e.srv.DropDatabase(ctx, name)
		return nil, err
	}
	return &database{name: name, url: url, pool: pool}, nil
}

// drop closes the pool and drops the database (its data can be gigabytes at full scale).
func (e *env) drop(d *database) {
	if d == nil {
		return
	}
	d.pool.Close()
	_ = e.srv.DropDatabase(context.Background(), d.name)
}

// execAll runs statements in order on db.
func execAll(ctx context.Context, db dbx.DB, stmts ...string) error {
	for _, s := range stmts {
		if _, err := db.Exec(ctx, s); err != nil {
			return fmt.Errorf("%.80s: %w", s, err)
		}
	}
	return nil
}

// add records a result.
func (e *env) add(r Result) { e.rep.Results = append(e.rep.Results, r) }

func pgxConnect(ctx context.Context, url string) (*pgx.Conn, error) { return pgx.Connect(ctx, url) }
