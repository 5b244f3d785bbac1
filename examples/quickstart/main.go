// Command quickstart runs the whole lsosgov flow once, on the sample LSOS schema:
//
//	go run ./examples/quickstart [--format text|json] [--now RFC3339] [--store URL]
//
// With no DATABASE_URL it starts an embedded PostgreSQL with govtest.StartPostgres
// (PostgreSQL binaries on this machine, or LSOS_TEST_DATABASE_URL, or Docker) in a temp
// dir and a file:// archive store in a temp dir, and removes both at exit. --store takes
// any gocloud.dev/blob URL whose driver this command imports: file:// and s3://. With
// DATABASE_URL it runs against that database, which must not already hold the sample.
//
// The flow: apply the sample migrations (lsosgov.Startup), load two years of sample
// data, classify every column, run every integrity check, compute retention cutoffs,
// archive the snapshot partitions that retention makes eligible, restore one archived
// month into a new table and check it against the archive, then print a short report.
// Progress goes to stderr, the report to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// stores, the embedded default
	_ "gocloud.dev/blob/s3blob"   // s3:// stores

	"github.com/lsos/lsosgov/govtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// usageError is bad input: exit code 2.
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, args ...any) error {
	return usageError("quickstart: " + fmt.Sprintf(format, args...))
}

// run parses the flags, provides the database and the store, runs the flow and writes
// the report.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fl := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fl.SetOutput(stderr)
	format := fl.String("format", "text", "report format: text or json")
	nowFlag := fl.String("now", "", "the clock, RFC3339 (default: now); decides the sample's span, cutoffs and eligibility")
	store := fl.String("store", "", "archive store URL: file:///dir, s3://bucket?… (default: a file:// store in a temp dir)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./examples/quickstart [--format text|json] [--now RFC3339] [--store URL]")
		fmt.Fprintln(stderr, "Runs the whole lsosgov flow on the sample LSOS schema: on $DATABASE_URL, else on an embedded PostgreSQL.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("quickstart: " + err.Error())
	}
	if fl.NArg() > 0 {
		return usagef("unexpected argument %q; see --help", fl.Arg(0))
	}
	if *format != "text" && *format != "json" {
		return usagef("--format %q: want text or json", *format)
	}
	now := time.Now().UTC().Truncate(time.Second)
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usagef("--now %q: want RFC3339 such as 2026-11-26T12:00:00Z", *nowFlag)
		}
		now = t
	}
	pr := &progress{w: stderr, start: time.Now()}

	// The database: DATABASE_URL, else an embedded server with a fresh database.
	dbURL, where := getenv("DATABASE_URL"), "DATABASE_URL"
	if dbURL == "" {
		where = "embedded"
		pr.step("starting embedded PostgreSQL")
		srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{})
		if err != nil {
			return fmt.Errorf("quickstart: no DATABASE_URL and no embedded PostgreSQL: %w", err)
		}
		defer func() {
			if serr := srv.Close(); serr != nil && err == nil {
				err = fmt.Errorf("quickstart: stop embedded PostgreSQL: %w", serr)
			}
		}()
		var name string
		if name, dbURL, err = srv.CreateDatabase(ctx, "quickstart"); err != nil {
			return fmt.Errorf("quickstart: create database: %w", err)
		}
		// An env-provided server outlives us: drop our database (a no-op cost otherwise).
		defer srv.DropDatabase(context.WithoutCancel(ctx), name)
		where = "embedded (" + srv.Kind() + ")"
		pr.done("")
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("quickstart: DATABASE_URL: %w", err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("quickstart: connect to %s database: %w", where, err)
	}

	// The store: --store, else a file:// store in a temp dir.
	storeURL, storeShown := *store, ""
	if storeURL == "" {
		dir, err := os.MkdirTemp("", "lsosgov-quickstart-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		storeURL = "file://" + filepath.ToSlash(dir)
	}
	storeShown = redactURL(storeURL)
	bucket, err := openStore(ctx, storeURL)
	if err != nil {
		return usagef("--store %s: %v", storeShown, err)
	}
	defer bucket.Close()

	rep, err := Flow(ctx, pool, bucket, Options{Now: now, Progress: pr})
	if rep != nil {
		rep.Database, rep.Store = where, storeShown
		rep.Seconds = time.Since(pr.start).Seconds()
		if werr := rep.write(stdout, *format); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// openStore opens the archive store with gocloud.dev/blob: the drivers are the ones
// this command imports (file:// and s3://). A file:// directory is created when missing,
// and objects are written beside their final name then renamed (no_tmp_dir), which also
// works when the directory is on another filesystem than $TMPDIR.
func openStore(ctx context.Context, raw string) (*blob.Bucket, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the store URL does not parse (want file:///dir or s3://bucket?…): %w", err)
	}
	if u.Scheme == "file" {
		q := u.Query()
		for _, k := range []string{"create_dir", "no_tmp_dir"} {
			if !q.Has(k) {
				q.Set(k, "true")
			}
		}
		u.RawQuery = q.Encode()
	}
	return blob.OpenBucket(ctx, u.String())
}

// redactURL drops the user info and query of a URL, which may carry credentials.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// progress prints one line per step to stderr, with its duration.
type progress struct {
	w     io.Writer
	start time.Time
	t     time.Time
}

func (p *progress) step(what string) {
	if p == nil {
		return
	}
	p.t = time.Now()
	fmt.Fprintf(p.w, "… %s\n", what)
}

func (p *progress) done(detail string) {
	if p == nil {
		return
	}
	if detail != "" {
		detail = ": " + detail
	}
	fmt.Fprintf(p.w, "  done in %.1fs%s\n", time.Since(p.t).Seconds(), detail)
}

func (p *progress) note(format string, args ...any) {
	if p == nil {
		return
	}
	fmt.Fprintf(p.w, "  "+format+"\n", args...)
}
