package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/alembic"
	"github.com/lsos/lsosgov/migrate/lint"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// scratchDB opens the dev database: --dev-url, or an embedded throwaway PostgreSQL.
// The returned cleanup stops what was started.
func scratchDB(ctx context.Context, devURL, what string) (*pgxpool.Pool, func(), error) {
	if devURL == "" {
		srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: no --dev-url and no embedded PostgreSQL: %w", what, err)
		}
		_, u, err := srv.CreateDatabase(ctx, "govctl")
		if err != nil {
			_ = srv.Close()
			return nil, nil, fmt.Errorf("%s: embedded PostgreSQL: %w", what, err)
		}
		pool, err := pgxpool.New(ctx, u)
		if err != nil {
			_ = srv.Close()
			return nil, nil, err
		}
		return pool, func() { pool.Close(); _ = srv.Close() }, nil
	}
	pool, err := pgxpool.New(ctx, devURL)
	if err != nil {
		return nil, nil, usagef("%s: --dev-url: %v", what, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("%s: connect to --dev-url: %w", what, err)
	}
	return pool, pool.Close, nil
}

// runMigrateLint is `migrate lint --dir D [--dev-url URL] [--since VERSION] [--now T]
// [--revisions-schema S]`: it replays the directory on a scratch database and reviews the
// versions after --since (default: those not applied on --database-url, or all) against
// the policy. With --database-url (the target) the deprecation window of a drop runs from
// when the deprecating version was applied there (its revisions table in schema
// --revisions-schema); without it, from the version's timestamp. Exit 1 on any
// error-severity finding.
func runMigrateLint(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("migrate lint", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "migrations", "migration directory")
	devURL := fs.String("dev-url", "", "empty scratch database to replay on (default: an embedded throwaway PostgreSQL)")
	since := fs.String("since", "", "review only versions after this one (default: all pending)")
	nowS := fs.String("now", "", "clock for deprecation windows, RFC3339")
	revSchema := fs.String("revisions-schema", migrate.DefaultSchema, "schema of the target's revisions table (with --database-url)")
	alembicProj := fs.String("alembic", "", "review the revisions of this Alembic project instead of --dir (rendered with alembic --sql)")
	if err := fs.Parse(args); err != nil {
		return usagef("migrate lint: %v", err)
	}
	now, err := parseNow(e, "migrate lint", *nowS)
	if err != nil {
		return err
	}
	if *alembicProj != "" {
		return lintAlembic(ctx, e, *alembicProj, *devURL, now)
	}
	d, err := migrate.Inspect(os.DirFS(*dir), *dir)
	if err != nil {
		return usagef("migrate lint: %v", err)
	}
	if *since != "" {
		if _, err := time.Parse(migrate.VersionLayout, *since); err != nil {
			return usagef("migrate lint: --since: %v", err)
		}
	}
	opts := lint.Options{Policy: e.policy, Since: *since, Now: func() time.Time { return now }}
	if e.databaseURL != "" {
		// The target only lends its statistics (index impact), its applied versions and
		// when they were applied (deprecation windows); nothing is written there.
		target, err := pgxpool.New(ctx, e.databaseURL)
		if err != nil {
			return usagef("migrate lint: --database-url: %v", err)
		}
		defer target.Close()
		opts.Stats = target
		opts.Target = target
		opts.RevisionsSchema = *revSchema
		if *since == "" {
			if md, err := migrate.Load(*dir); err == nil {
				if m, err := migrate.NewMigrator(target, md, migrate.Config{Policy: e.policy, Schema: *revSchema}); err == nil {
					if st, err := m.Status(ctx); err == nil {
						for _, s := range st {
							if s.State == "applied" {
								opts.Since = s.Version
							}
						}
					}
				}
			}
		}
	}
	dev, done, err := scratchDB(ctx, *devURL, "migrate lint")
	if err != nil {
		return err
	}
	defer done()
	rep, err := lint.Review(ctx, dev, d, opts)
	if err != nil {
		if errors.Is(err, lint.ErrDevNotEmpty) || errors.Is(err, lint.ErrOptions) {
			return usagef("%v", err)
		}
		return err
	}
	return writeLintReport(e, rep)
}

// lintAlembic is `migrate lint --alembic DIR`: the revisions of an Alembic project,
// rendered with Alembic's offline mode, reviewed with every check; findings name the
// revision files.
func lintAlembic(ctx context.Context, e *env, dir, devURL string, now time.Time) error {
	p, err := openAlembic("migrate lint", dir)
	if err != nil {
		return err
	}
	dev, done, err := scratchDB(ctx, devURL, "migrate lint")
	if err != nil {
		return err
	}
	defer done()
	rep, err := lint.ReviewAlembic(ctx, dev, p, lint.Options{Policy: e.policy, Now: func() time.Time { return now }})
	if err != nil {
		var tnf *alembic.ToolNotFoundError
		if errors.As(err, &tnf) || errors.Is(err, lint.ErrDevNotEmpty) || errors.Is(err, lint.ErrOptions) {
			return usagef("%v", err)
		}
		return err
	}
	return writeLintReport(e, rep)
}

// writeLintReport prints a review in the chosen format; error-severity findings make
// the exit code 1.
func writeLintReport(e *env, rep *lint.Report) error {
	var err error
	switch e.format {
	case "json":
		err = rep.WriteJSON(e.stdout)
	case "markdown":
		err = rep.WriteMarkdown(e.stdout)
	default:
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	if rep.HasErrors() {
		return errFindings
	}
	return nil
}

// runMigratePlan is `migrate plan --dir D --desired FILE… [--name N] [--now T]
// [--rename table.old:new] [--dev-url URL] [--dry-run]`: it diffs the directory's
// state against the desired schema and writes the new versions (and atlas.sum).
func runMigratePlan(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("migrate plan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "migrations", "migration directory")
	devURL := fs.String("dev-url", "", "empty scratch database (default: an embedded throwaway PostgreSQL)")
	name := fs.String("name", "planned", "migration name")
	nowS := fs.String("now", "", "version timestamp, RFC3339 (default: now)")
	dry := fs.Bool("dry-run", false, "print the plan without writing it")
	var desired, renames stringList
	fs.Var(&desired, "desired", "desired schema file: SQL, or Atlas HCL ending in .hcl (repeatable)")
	fs.Var(&renames, "rename", "table.old:new, a rename instead of drop+add (repeatable)")
	if err := fs.Parse(args); err != nil {
		return usagef("migrate plan: %v", err)
	}
	desired = append(desired, fs.Args()...)
	if len(desired) == 0 {
		return usagef("migrate plan: want --desired FILE (the desired schema as SQL, or Atlas HCL in files ending in .hcl)")
	}
	now, err := parseNow(e, "migrate plan", *nowS)
	if err != nil {
		return err
	}
	o := lint.PlanOptions{Name: *name, Version: now.UTC().Format("20060102150405"), Renames: map[string]string{}}
	for _, r := range renames {
		from, to, ok := strings.Cut(r, ":")
		if !ok || !strings.Contains(from, ".") || to == "" {
			return usagef("migrate plan: --rename %q: want table.old:new", r)
		}
		o.Renames[from] = to
	}
	var sqls []string
	for _, f := range desired {
		b, err := os.ReadFile(f)
		if err != nil {
			return usagef("migrate plan: --desired: %v", err)
		}
		sqls = append(sqls, string(b))
		o.DesiredNames = append(o.DesiredNames, f) // errors name the file; .hcl marks Atlas HCL
	}
	d, err := migrate.Inspect(os.DirFS(*dir), *dir)
	if err != nil {
		return usagef("migrate plan: %v", err)
	}
	dev, done, err := scratchDB(ctx, *devURL, "migrate plan")
	if err != nil {
		return err
	}
	defer done()
	res, err := lint.Plan(ctx, dev, d, sqls, o)
	if errors.Is(err, lint.ErrNoChange) {
		fmt.Fprintln(e.stdout, "no change: the directory already produces the desired schema")
		return nil
	}
	if errors.Is(err, lint.ErrDesired) {
		return usagef("migrate plan: %v", err) // bad input: exit 2
	}
	if err != nil {
		return err
	}
	if e.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		for _, f := range res.Files {
			fmt.Fprintf(e.stdout, "-- %s\n%s\n-- %s\n%s\n", f.UpName(), f.Up, f.DownName(), f.Down)
		}
		for _, h := range res.Hints {
			fmt.Fprintf(e.stdout, "hint: %s\n", h)
		}
	}
	if *dry {
		return nil
	}
	if err := lint.WritePlan(d, res); err != nil {
		return err
	}
	for _, f := range res.Files {
		fmt.Fprintf(e.stderr, "wrote %s and %s\n", f.UpName(), f.DownName())
	}
	return nil
}

// runMigrateDrift is `migrate drift --dir D [--dev-url URL] [--ignore-partitions]`: it compares
// --database-url with the state its applied versions produce. Exit 1 on any difference.
func runMigrateDrift(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("migrate drift", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "migrations", "migration directory")
	devURL := fs.String("dev-url", "", "empty scratch database (default: an embedded throwaway PostgreSQL)")
	ignoreParts := fs.Bool("ignore-partitions", false, "leave out partition children, which partition maintenance creates at run time")
	if err := fs.Parse(args); err != nil {
		return usagef("migrate drift: %v", err)
	}
	if e.databaseURL == "" {
		return usagef("migrate drift: no database: pass --database-url or set DATABASE_URL")
	}
	md, err := migrate.Load(*dir)
	if err != nil {
		return usagef("migrate drift: %v", err)
	}
	live, err := pgxpool.New(ctx, e.databaseURL)
	if err != nil {
		return usagef("migrate drift: --database-url: %v", err)
	}
	defer live.Close()
	dev, done, err := scratchDB(ctx, *devURL, "migrate drift")
	if err != nil {
		return err
	}
	defer done()
	diffs, err := migrate.Drift(ctx, live, md, migrate.DriftOptions{Dev: dev, Config: migrate.Config{Policy: e.policy}, IgnorePartitions: *ignoreParts})
	if err != nil {
		return err
	}
	if e.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if diffs == nil {
			diffs = []migrate.Difference{}
		}
		if err := enc.Encode(map[string]any{"differences": diffs}); err != nil {
			return err
		}
	} else {
		for _, d := range diffs {
			fmt.Fprintln(e.stdout, d.String())
		}
		if len(diffs) == 0 {
			fmt.Fprintln(e.stdout, "no drift")
		}
	}
	if len(diffs) > 0 {
		return errFindings
	}
	return nil
}
