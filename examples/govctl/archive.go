package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/archive/s3sweep"
	"github.com/lsos/lsosgov/archive/s3upload"
	"github.com/lsos/lsosgov/internal/parquetio"
)

const archiveUsage = "archive run --table T --store URL [--now T] [--dry-run] [--keep-detached] | list [--store URL] | restore --id ID --into TABLE --store URL [--attach] | verify --id ID --store URL: partition archival"

func runArchive(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "archive", args, []subcommand{
		{"run", archiveRun}, {"list", archiveList}, {"restore", archiveRestore}, {"verify", archiveVerify},
	})
}

// archiveFlags are the flags every archive subcommand shares.
type archiveFlags struct {
	fs     *flag.FlagSet
	store  string
	prefix string
}

func newArchiveFlags(name string) *archiveFlags {
	f := &archiveFlags{fs: flag.NewFlagSet("archive "+name, flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard)
	f.fs.StringVar(&f.store, "store", "", "object store URL: file:///dir, s3://bucket?…")
	f.fs.StringVar(&f.prefix, "prefix", "lsos-archive", "object key prefix")
	return f
}

func (f *archiveFlags) parse(args []string, usage string) error {
	if err := f.fs.Parse(args); err != nil {
		return usagef("archive %s: %v (usage: %s)", f.fs.Name(), err, usage)
	}
	if f.fs.NArg() > 0 {
		return usagef("archive %s: unexpected argument %q (usage: %s)", f.fs.Name(), f.fs.Arg(0), usage)
	}
	return nil
}

func (f *archiveFlags) bucket(ctx context.Context) (*blob.Bucket, error) {
	if f.store == "" {
		return nil, usagef("%s: --store URL is required (file:///dir or s3://bucket?…)", f.fs.Name())
	}
	b, err := parquetio.OpenBucket(ctx, f.store)
	if err != nil {
		return nil, usagef("%s: %v", f.fs.Name(), err)
	}
	return b, nil
}

func archiveRun(ctx context.Context, e *env, args []string) error {
	const usage = "archive run --table T[,T2] --store URL [--now T] [--dry-run] [--keep-detached] [--request-timeout D]"
	f := newArchiveFlags("run")
	tables := f.fs.String("table", "", "partitioned table(s) to archive, comma-separated")
	now := f.fs.String("now", "", "clock, RFC3339 (default: now)")
	dry := f.fs.Bool("dry-run", false, "list what would be archived, change nothing")
	keep := f.fs.Bool("keep-detached", false, "keep detached partitions in the policy's SDK schema archive_detached (lsos_archive_detached by default) instead of dropping them")
	timeout := f.fs.Duration("request-timeout", archive.DefaultRequestTimeout, "deadline of each object store request")
	if err := f.parse(args, usage); err != nil {
		return err
	}
	if *tables == "" {
		return usagef("archive run: --table is required (usage: %s)", usage)
	}
	if *timeout <= 0 {
		return usagef("archive run: --request-timeout %s: want a positive duration such as 2m", *timeout)
	}
	clock := time.Now
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return usagef("archive run: --now %q: want RFC3339 such as 2026-11-26T00:00:00Z", *now)
		}
		clock = func() time.Time { return t }
	}
	bucket, err := f.bucket(ctx)
	if err != nil {
		return err
	}
	defer bucket.Close()
	pool, err := openPool(ctx, e, "archive run")
	if err != nil {
		return err
	}
	defer pool.Close()
	pr := progressFor(e.stderr)
	rep, err := archive.Run(ctx, pool, bucket, e.policy, archive.Options{
		Tables: strings.Split(*tables, ","), Prefix: f.prefix, Now: clock, DryRun: *dry, KeepDetached: *keep,
		// The URL names the store in errors (archive prints it without its query).
		Store: archive.StoreOptions{URL: f.store, RequestTimeout: *timeout, SweepUploads: s3sweep.AbortStale, BeforeWrite: s3upload.Lean(bucket, 0)},
		Progress: func(ev archive.Event) {
			pr.Printf("archive: %s %s, %d row(s) %s", ev.Partition, ev.Step, ev.Rows, ev.Detail)
		},
	})
	pr.Done()
	if rep != nil {
		if e.format == "json" {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if werr := enc.Encode(rep); werr != nil {
				return werr
			}
		} else {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PARTITION\tID\tSTATE\tROWS\tNOTE")
			var se *archive.StoreError
			storeFailed := errors.As(err, &se)
			for _, p := range rep.Partitions {
				note := p.Skipped
				switch {
				case p.Error != "" && storeFailed && p.Error == se.Error():
					// Said once, on stderr: the store failure stopped the run.
					note = "not archived: the store failed, the run stopped"
				case p.Error != "":
					note = "error: " + p.Error
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.Partition, p.ID, p.State, p.Rows, note)
			}
			tw.Flush()
			for _, w := range rep.Warnings {
				fmt.Fprintf(e.stdout, "warning: %s\n", w)
			}
			n, rows := rep.Archived()
			fmt.Fprintf(e.stdout, "archived %d partition(s), %d row(s)\n", n, rows)
		}
	}
	return err
}

// archiveListEntry is the JSON contract of "archive list".
type archiveListEntry struct {
	ID        string `json:"id"`
	Table     string `json:"table"`
	Partition string `json:"partition"`
	From      string `json:"from"`
	To        string `json:"to"`
	Rows      int64  `json:"rows"`
	Bytes     int64  `json:"bytes"`
	SHA256    string `json:"sha256"`
	Object    string `json:"object"`
}

func archiveTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// archiveList prints {"archives":[…]}: from the manifests in --store when given (no
// database needed), else from the catalog.
func archiveList(ctx context.Context, e *env, args []string) error {
	f := newArchiveFlags("list")
	if err := f.parse(args, "archive list [--store URL] [--prefix P]"); err != nil {
		return err
	}
	out := struct {
		Archives []archiveListEntry `json:"archives"`
	}{Archives: []archiveListEntry{}}
	if f.store != "" {
		bucket, err := f.bucket(ctx)
		if err != nil {
			return err
		}
		defer bucket.Close()
		ms, err := archive.ReadManifests(ctx, bucket, f.prefix)
		if err != nil {
			return err
		}
		for _, m := range ms {
			out.Archives = append(out.Archives, archiveListEntry{m.ID, m.Table, m.Partition, archiveTime(m.From), archiveTime(m.To), m.Rows, m.Bytes, m.SHA256, m.Object})
		}
	} else {
		pool, err := openPool(ctx, e, "archive list")
		if err != nil {
			return err
		}
		defer pool.Close()
		es, err := archive.For(e.policy).List(ctx, pool)
		if err != nil {
			return err
		}
		for _, x := range es {
			out.Archives = append(out.Archives, archiveListEntry{x.ID, x.Table, x.Partition, archiveTime(x.Manifest.From), archiveTime(x.Manifest.To), x.Rows, x.Bytes, x.SHA256, x.Object})
		}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func archiveRestore(ctx context.Context, e *env, args []string) error {
	const usage = "archive restore --id ID --into TABLE --store URL [--attach] [--no-indexes]"
	f := newArchiveFlags("restore")
	id := f.fs.String("id", "", "archive id (archive list shows them)")
	into := f.fs.String("into", "", "new table to create")
	attach := f.fs.Bool("attach", false, "re-attach the table to the archive's parent with its original bounds")
	noIndexes := f.fs.Bool("no-indexes", false, "do not recreate the partition's indexes (from its manifest) on the new table")
	if err := f.parse(args, usage); err != nil {
		return err
	}
	if *id == "" || (*into == "" && !*attach) {
		return usagef("archive restore: --id and --into are required (usage: %s)", usage)
	}
	bucket, err := f.bucket(ctx)
	if err != nil {
		return err
	}
	defer bucket.Close()
	pool, err := openPool(ctx, e, "archive restore")
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := archive.For(e.policy).Restore(ctx, pool, bucket, *id, archive.Target{Table: *into, Attach: *attach, NoIndexes: *noIndexes,
		// Warnings (a manifest recorded before manifests were hashed) go to stderr.
		Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		if errors.Is(err, archive.ErrNotFound) {
			return usagef("archive restore: %v", err)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "restored %d row(s) of %s into %s\n", n, *id, *into)
	return nil
}

func archiveVerify(ctx context.Context, e *env, args []string) error {
	const usage = "archive verify --id ID --store URL"
	f := newArchiveFlags("verify")
	id := f.fs.String("id", "", "archive id")
	if err := f.parse(args, usage); err != nil {
		return err
	}
	if *id == "" {
		return usagef("archive verify: --id is required (usage: %s)", usage)
	}
	bucket, err := f.bucket(ctx)
	if err != nil {
		return err
	}
	defer bucket.Close()
	pool, err := openPool(ctx, e, "archive verify")
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := archive.For(e.policy).Verify(ctx, pool, bucket, *id); err != nil {
		var se *archive.StoreError
		switch {
		case errors.Is(err, archive.ErrNotFound):
			return usagef("archive verify: %v", err)
		case errors.As(err, &se):
			// Not a verdict on the archive: the store could not be read (exit 1 too).
			se.Store = storeName(f.store)
			return fmt.Errorf("archive verify: %s NOT CHECKED: %w", *id, se)
		case errors.Is(err, archive.ErrCorrupt):
			return fmt.Errorf("archive verify: %s is CORRUPT: %w", *id, err)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok (checksum, row count and manifest SHA-256 match the catalog)\n", *id)
	return nil
}

// storeName is a store URL as it may be printed: scheme, host and path, never the query
// (which may carry credentials) or user info.
func storeName(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		return "(store URL)"
	}
	return p.Scheme + "://" + p.Host + p.Path
}
