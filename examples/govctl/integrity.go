package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
)

const integrityUsage = "integrity check [--checks a,b] [--tables t1,t2] [--now T] [--budget D] [--parallel N] [--save]: schema and data integrity checks"

// runIntegrity dispatches `integrity check`.
func runIntegrity(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		if len(args) == 0 {
			return usagef("integrity: want a subcommand (usage: %s)", integrityUsage)
		}
		return usagef("integrity: unknown subcommand %q (usage: %s)", args[0], integrityUsage)
	}
	fs := flag.NewFlagSet("integrity check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	checksFlag := fs.String("checks", "", "comma-separated checks (default all: "+strings.Join(integrity.Names(), ", ")+")")
	tablesFlag := fs.String("tables", "", "comma-separated tables, table or schema.table (default all)")
	nowFlag := fs.String("now", "", "evaluate at this instant (RFC3339 or a date; default now)")
	budget := fs.Duration("budget", 0, "time budget for the whole run, e.g. 10m (default none)")
	parallel := fs.Int("parallel", 4, "tables scanned at once by data checks")
	save := fs.Bool("save", false, "store the report in the policy's SDK schema integrity (lsos_integrity.lsos_integrity_runs by default)")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("integrity check: %v (usage: %s)", err, integrityUsage)
	}
	if fs.NArg() > 0 {
		return usagef("integrity check: unexpected argument %q (usage: %s)", fs.Arg(0), integrityUsage)
	}
	if *parallel < 1 {
		return usagef("integrity check: --parallel %d: want 1 or more", *parallel)
	}
	if *budget < 0 {
		return usagef("integrity check: --budget %s: want a positive duration such as 10m", *budget)
	}
	opts := integrity.Options{Budget: *budget, Parallelism: *parallel, Tables: integritySplitList(*tablesFlag)}
	if names := integritySplitList(*checksFlag); len(names) > 0 {
		checks, err := integrity.Select(names...)
		if err != nil {
			return usagef("integrity check: --checks: %v", err)
		}
		opts.Checks = checks
	}
	if *nowFlag != "" {
		now, err := integrityParseNow(*nowFlag, e.policy.Location())
		if err != nil {
			return err
		}
		opts.Now = func() time.Time { return now }
	}
	pool, err := openPool(ctx, e, "integrity check")
	if err != nil {
		return err
	}
	defer pool.Close()
	pr := progressFor(e.stderr)
	opts.Progress = func(ev integrity.Event) {
		pr.Printf("integrity: %s %s %d/%d", ev.Check, ev.Object, ev.Done, ev.Total)
	}
	rep, runErr := integrity.Run(ctx, pool, e.policy, opts)
	pr.Done()
	if errors.Is(runErr, integrity.ErrUnknownTable) {
		return usagef("integrity check: --tables: %v", runErr)
	}
	if rep == nil {
		return fmt.Errorf("integrity check: %w", runErr)
	}
	if err := printIntegrity(e, rep); err != nil {
		return err
	}
	if *save {
		id, err := integrity.For(e.policy).SaveRun(ctx, pool, rep)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "govctl: saved integrity run %d\n", id)
	}
	if runErr != nil {
		return fmt.Errorf("integrity check: incomplete: %w", runErr)
	}
	if rep.Findings.HasErrors() {
		return errFindings
	}
	return nil
}

func printIntegrity(e *env, rep *integrity.Report) error {
	switch e.format {
	case "json":
		findings := rep.Findings
		if findings == nil {
			findings = governance.Findings{}
		}
		b, err := json.MarshalIndent(governance.Report{Findings: findings}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	case "markdown":
		fmt.Fprintln(e.stdout, "| severity | check | object | count | message |")
		fmt.Fprintln(e.stdout, "|---|---|---|---|---|")
		for _, f := range rep.Findings {
			fmt.Fprintf(e.stdout, "| %s | %s | `%s` | %d | %s |\n", f.Severity, f.Check, f.Object, f.Count, strings.ReplaceAll(f.Message, "|", `\|`))
		}
	default:
		for _, f := range rep.Findings {
			fmt.Fprintln(e.stdout, f.String())
		}
	}
	var errs, warns int
	for _, f := range rep.Findings {
		switch f.Severity {
		case governance.SeverityError:
			errs++
		case governance.SeverityWarning:
			warns++
		}
	}
	fmt.Fprintf(e.stderr, "govctl: %d check(s), %d finding(s): %d error(s), %d warning(s)\n", len(rep.Checks), len(rep.Findings), errs, warns)
	return nil
}

// integritySplitList splits a comma-separated flag value, dropping empty items.
func integritySplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// integrityParseNow reads --now: RFC3339, or a date (midnight in the policy's zone).
func integrityParseNow(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("integrity check: --now %q: want RFC3339 such as 2026-11-26T00:00:00Z (or a date 2026-11-26)", s)
}
