package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/lsos/lsosgov/migrate"
)

const migrateUsage = "migrate new NAME | hash | plan | lint | drift | up [--to V] | down --to V|0 | status | verify | test | baseline --version V --reason R | resolve V --applied|--rolled-back|--force --reason R  (all take --dir DIR); lint | status | test | hash | import --dir OUT with --alembic DIR: an Alembic project: versioned migrations"

// migrateExtra holds migrate subcommands that other files of govctl add (plan, lint,
// drift), so that this file's dispatch stays the one place that routes `migrate …`.
var migrateExtra = map[string]func(ctx context.Context, e *env, args []string) error{
	"lint":  runMigrateLint,
	"plan":  runMigratePlan,
	"drift": runMigrateDrift,
}

// runMigrate dispatches `migrate <subcommand>`.
func runMigrate(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("migrate: want a subcommand (usage: %s)", migrateUsage)
	}
	sub, rest := args[0], args[1:]
	if dir, without := alembicDir(rest); dir != "" && sub != "lint" {
		return migrateAlembic(ctx, e, sub, dir, without)
	}
	switch sub {
	case "new":
		return migrateNew(e, rest)
	case "hash":
		return migrateHash(e, rest)
	case "up", "down", "status", "verify", "test", "baseline", "resolve":
		return migrateDB(ctx, e, sub, rest)
	}
	if run, ok := migrateExtra[sub]; ok {
		return run(ctx, e, rest)
	}
	return usagef("migrate: unknown subcommand %q (usage: %s)", sub, migrateUsage)
}

// migrateFlags parses flags that may come before or after positional arguments.
func migrateFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func migrateFlagSet(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("migrate "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "migrations", "migration directory")
	return fs, dir
}

func migrateNew(e *env, args []string) error {
	fs, dir := migrateFlagSet("new")
	nowFlag := fs.String("now", "", "version timestamp, RFC3339 (default: now)")
	pos, err := migrateFlags(fs, args)
	if err != nil {
		return usagef("migrate new: %v (usage: migrate new --dir DIR NAME)", err)
	}
	if len(pos) != 1 {
		return usagef("migrate new: want one NAME, e.g. add_reviews (usage: migrate new --dir DIR NAME)")
	}
	now := time.Now()
	if *nowFlag != "" {
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return usagef("migrate new: --now %q: want RFC3339 such as 2026-11-26T12:00:00Z", *nowFlag)
		}
	}
	up, down, err := migrate.New(*dir, pos[0], now)
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(e.stdout, "created %s\ncreated %s\nupdated %s/%s\n", up, down, *dir, migrate.SumFile)
	return nil
}

func migrateHash(e *env, args []string) error {
	fs, dir := migrateFlagSet("hash")
	if pos, err := migrateFlags(fs, args); err != nil || len(pos) > 0 {
		return usagef("migrate hash: want only --dir DIR")
	}
	if err := migrate.Hash(*dir); err != nil {
		return usagef("%v", err)
	}
	d, err := migrate.Load(*dir)
	if err == nil {
		err = d.Check() // Load parses statements lazily; report every static problem now
	}
	if err != nil {
		return fmt.Errorf("hashed, but the directory is still invalid: %w", err)
	}
	fmt.Fprintf(e.stdout, "updated %s/%s\n", *dir, migrate.SumFile)
	return nil
}

// migrateStatusJSON is the contract of `migrate status --format json`.
type migrateStatusJSON struct {
	Versions []migrateVersionJSON `json:"versions"`
}

type migrateVersionJSON struct {
	Version   string `json:"version"`
	Name      string `json:"name"`
	State     string `json:"state"`
	AppliedAt string `json:"applied_at,omitempty"`
}

func migrateDB(ctx context.Context, e *env, sub string, args []string) error {
	fs, dir := migrateFlagSet(sub)
	to := fs.String("to", "", "target version (up: apply up to it; down: roll back to it, 0 = everything)")
	outOfOrder := fs.Bool("out-of-order", false, "apply pending versions older than the newest applied one")
	windowOverride := fs.String("window-override", "", "apply maintenance-window versions outside a window; the reason is recorded")
	version := fs.String("version", "", "baseline: the version the database already matches")
	reason := fs.String("reason", "", "baseline/resolve: why (recorded)")
	applied := fs.Bool("applied", false, "resolve: the dirty version's statements all took effect")
	rolledBack := fs.Bool("rolled-back", false, "resolve: the dirty version was undone by hand; run it again next time")
	force := fs.Bool("force", false, "resolve: record a version as applied without running it")
	lockWait := fs.Duration("lock-wait", migrate.DefaultLockWait, "how long to wait for another migrator's lock")
	nowFlag := fs.String("now", "", "clock for maintenance windows, RFC3339 (default: now)")
	pos, err := migrateFlags(fs, args)
	if err != nil {
		return usagef("migrate %s: %v (usage: %s)", sub, err, migrateUsage)
	}
	if sub != "resolve" && len(pos) > 0 {
		return usagef("migrate %s: unexpected argument %q", sub, pos[0])
	}
	d, err := migrate.Load(*dir)
	if err == nil {
		// Load parses statements lazily; a command-line run checks every file up front
		// so a broken file is a usage error (exit 2) whatever the subcommand.
		err = d.Check()
	}
	if err != nil {
		return usagef("%v", err)
	}
	if sub == "verify" && e.databaseURL == "" {
		fmt.Fprintf(e.stdout, "%s: %d version(s), checksums match %s (no --database-url: history not checked)\n", *dir, len(d.Versions), migrate.SumFile)
		return nil
	}
	if e.databaseURL == "" {
		return usagef("migrate %s: no database: pass --database-url or set DATABASE_URL", sub)
	}
	cfg := migrate.Config{Policy: e.policy, AllowOutOfOrder: *outOfOrder, WindowOverride: *windowOverride, LockWait: *lockWait,
		Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if *nowFlag != "" {
		now, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usagef("migrate %s: --now %q: want RFC3339 such as 2026-11-26T12:00:00Z", sub, *nowFlag)
		}
		cfg.Now = func() time.Time { return now }
	}
	// On a terminal, a status line follows the statements of the version being run.
	pr := progressFor(e.stderr)
	defer pr.Done()
	cfg.Progress = func(ev migrate.Event) {
		pr.Printf("migrate: %s %s_%s %s, statement %d/%d", ev.Direction, ev.Version, ev.Name, ev.Kind, ev.Statement+1, ev.Total)
	}
	pool, err := openPool(ctx, e, "migrate "+sub)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrate.NewMigrator(pool, d, cfg)
	if err != nil {
		return usagef("%v", err)
	}
	switch sub {
	case "up":
		res, err := m.UpTo(ctx, *to)
		migratePrintResults(e, res)
		if err == nil && len(res) == 0 {
			fmt.Fprintln(e.stdout, "nothing to apply")
		}
		return err
	case "down":
		if *to == "" {
			return usagef("migrate down: name the version to roll back to with --to VERSION (--to 0 rolls back everything)")
		}
		res, err := m.Down(ctx, *to)
		migratePrintResults(e, res)
		return err
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		return migratePrintStatus(e, st)
	case "verify":
		if err := m.Verify(ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: checksums and applied history match\n", *dir)
		return nil
	case "test":
		if err := migrate.Test(ctx, pool, d); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d version(s) round-tripped up, down and up again\n", *dir, len(d.Versions))
		return nil
	case "baseline":
		if *version == "" || strings.TrimSpace(*reason) == "" {
			return usagef("migrate baseline: want --version V --reason R")
		}
		res, err := m.Baseline(ctx, *version, *reason)
		migratePrintResults(e, res)
		return err
	case "resolve":
		if len(pos) != 1 {
			return usagef("migrate resolve: want one VERSION (usage: migrate resolve V --applied|--rolled-back|--force --reason R)")
		}
		n := 0
		for _, b := range []bool{*applied, *rolledBack, *force} {
			if b {
				n++
			}
		}
		if n != 1 {
			return usagef("migrate resolve: want exactly one of --applied, --rolled-back or --force")
		}
		if strings.TrimSpace(*reason) == "" {
			return usagef("migrate resolve: --reason is required; it is recorded with the revision")
		}
		switch {
		case *force:
			err = m.Force(ctx, pos[0], *reason)
		case *applied:
			err = m.Resolve(ctx, pos[0], migrate.ResolvedApplied, *reason)
		default:
			err = m.Resolve(ctx, pos[0], migrate.ResolvedRolledBack, *reason)
		}
		if err != nil {
			if errors.Is(err, migrate.ErrUnknownVersion) {
				return usagef("%v", err)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "%s resolved\n", pos[0])
		return nil
	}
	return usagef("migrate: unknown subcommand %q", sub)
}

func migratePrintResults(e *env, res []migrate.Result) {
	for _, r := range res {
		fmt.Fprintf(e.stdout, "%-4s %s_%s (%s, %d statement(s), %s)\n", r.Direction, r.Version, r.Name, r.Kind, r.Statements, r.Duration.Round(time.Millisecond))
	}
}

func migratePrintStatus(e *env, st []migrate.VersionStatus) error {
	if e.format == "json" {
		out := migrateStatusJSON{Versions: []migrateVersionJSON{}}
		for _, s := range st {
			v := migrateVersionJSON{Version: s.Version, Name: s.Name, State: s.State}
			if s.AppliedAt != nil {
				v.AppliedAt = s.AppliedAt.UTC().Format(time.RFC3339)
			}
			out.Versions = append(out.Versions, v)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, s := range st {
		at := ""
		if s.AppliedAt != nil {
			at = s.AppliedAt.UTC().Format(time.RFC3339)
		}
		line := fmt.Sprintf("%s  %-40s %-8s %s", s.Version, s.Name, s.State, at)
		if s.Problem != "" {
			line += "  ! " + s.Problem
		}
		fmt.Fprintln(e.stdout, strings.TrimRight(line, " "))
	}
	return nil
}
