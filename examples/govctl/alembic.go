package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/alembic"
)

// alembicDir returns the value of --alembic in args (both --alembic DIR and
// --alembic=DIR), and the args without it; "" when absent.
func alembicDir(args []string) (string, []string) {
	for i, a := range args {
		switch {
		case (a == "--alembic" || a == "-alembic") && i+1 < len(args):
			return args[i+1], append(append([]string(nil), args[:i]...), args[i+2:]...)
		case strings.HasPrefix(a, "--alembic=") || strings.HasPrefix(a, "-alembic="):
			_, v, _ := strings.Cut(a, "=")
			return v, append(append([]string(nil), args[:i]...), args[i+1:]...)
		}
	}
	return "", args
}

// openAlembic opens the Alembic project at dir; a project that cannot be read is bad
// input (exit 2).
func openAlembic(what, dir string) (*alembic.Project, error) {
	p, err := alembic.Open(dir)
	if err != nil {
		return nil, usagef("%s: --alembic %s: %v", what, dir, err)
	}
	return p, nil
}

// migrateAlembic runs `migrate status|test|import|hash --alembic DIR`: an Alembic
// project as the migration source.
func migrateAlembic(ctx context.Context, e *env, sub, dir string, args []string) error {
	fs := flag.NewFlagSet("migrate "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("dir", "", "import: the native migration directory to write")
	devURL := fs.String("dev-url", "", "test: an empty scratch database (default: an embedded throwaway PostgreSQL)")
	if err := fs.Parse(args); err != nil {
		return usagef("migrate %s --alembic: %v", sub, err)
	}
	if fs.NArg() > 0 {
		return usagef("migrate %s --alembic: unexpected argument %q", sub, fs.Arg(0))
	}
	p, err := openAlembic("migrate "+sub, dir)
	if err != nil {
		return err
	}
	switch sub {
	case "status":
		return alembicStatus(ctx, e, p)
	case "test":
		url, done, err := scratchURL(ctx, *devURL, "migrate test --alembic")
		if err != nil {
			return err
		}
		defer done()
		if err := alembic.RoundTrip(ctx, p, url, alembic.RoundTripOptions{}); err != nil {
			var tnf *alembic.ToolNotFoundError
			if errors.As(err, &tnf) {
				return usagef("%v", err)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d revision(s) round-tripped: upgrade, downgrade one by one, upgrade again\n", dir, len(p.Revisions))
		return nil
	case "import":
		if *out == "" {
			return usagef("migrate import --alembic DIR: name the native directory to write with --dir OUT")
		}
		vs, err := p.Import(ctx, *out, alembic.ImportOptions{})
		if err != nil {
			return err
		}
		if _, err := migrate.Load(*out); err != nil {
			return fmt.Errorf("migrate import: the written directory does not load: %w", err)
		}
		for _, v := range vs {
			fmt.Fprintf(e.stdout, "%s -> %s\n", v.Revision.ID, v.UpFile)
		}
		fmt.Fprintf(e.stderr, "imported %d revision(s) into %s (with atlas.sum)\n", len(vs), *out)
		return nil
	case "hash":
		added, err := p.RecordSum()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d revision file(s) recorded in %s\n", dir, len(added), alembic.SumFile)
		return nil
	}
	return usagef("migrate %s does not take --alembic (with --alembic: lint, status, test, import, hash)", sub)
}

// alembicStatusJSON is `migrate status --alembic` in JSON: revision ids, pending in
// apply order.
type alembicStatusJSON struct {
	Heads   []string `json:"heads"`
	Current []string `json:"current"`
	Pending []string `json:"pending"`
	Unknown []string `json:"unknown,omitempty"`
}

func alembicStatus(ctx context.Context, e *env, p *alembic.Project) error {
	pool, err := openPool(ctx, e, "migrate status --alembic")
	if err != nil {
		return err
	}
	defer pool.Close()
	st, err := p.Status(ctx, pool)
	if err != nil {
		return err
	}
	out := alembicStatusJSON{Heads: nonNil(st.Heads), Current: nonNil(st.Current), Pending: []string{}, Unknown: st.Unknown}
	for _, r := range st.Pending {
		out.Pending = append(out.Pending, r.ID)
	}
	if e.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "heads:   %s\ncurrent: %s\npending: %s\n", strings.Join(out.Heads, ", "), strings.Join(out.Current, ", "), strings.Join(out.Pending, ", "))
		if len(out.Unknown) > 0 {
			fmt.Fprintf(e.stdout, "unknown: %s (the database has revisions this project does not)\n", strings.Join(out.Unknown, ", "))
		}
	}
	if len(out.Unknown) > 0 {
		return fmt.Errorf("migrate status: the database is at revisions the project does not know: %s", strings.Join(out.Unknown, ", "))
	}
	return nil
}

// scratchURL gives the URL of an empty database: --dev-url, or a database on an
// embedded throwaway PostgreSQL. The returned cleanup stops what was started.
func scratchURL(ctx context.Context, devURL, what string) (string, func(), error) {
	if devURL != "" {
		pool, err := pgxpool.New(ctx, devURL)
		if err != nil {
			return "", nil, usagef("%s: --dev-url: %v", what, err)
		}
		defer pool.Close()
		if err := pool.Ping(ctx); err != nil {
			return "", nil, fmt.Errorf("%s: connect to --dev-url: %w", what, err)
		}
		return devURL, func() {}, nil
	}
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("%s: no --dev-url and no embedded PostgreSQL: %w", what, err)
	}
	_, u, err := srv.CreateDatabase(ctx, "govctl")
	if err != nil {
		_ = srv.Close()
		return "", nil, fmt.Errorf("%s: embedded PostgreSQL: %w", what, err)
	}
	return u, func() { _ = srv.Close() }, nil
}
