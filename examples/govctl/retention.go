package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/retention"
)

const retentionUsage = "retention cutoffs [--now T] | holds add|list|release | sweep --store URL [--now T] | install: retention cutoffs, legal holds, row sweeps"

func runRetention(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "retention", args, []subcommand{
		{"cutoffs", runCutoffs}, {"holds", runHolds}, {"sweep", runSweep}, {"install", runRetentionInstall},
	})
}

func runRetentionInstall(ctx context.Context, e *env, _ []string) error {
	conn, err := connect(ctx, e, "retention install")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	bk := retention.For(e.policy)
	if err := bk.Install(ctx, conn); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "retention: schema %s is installed\n", bk.Schema())
	return nil
}

// connect opens one connection to --database-url.
func connect(ctx context.Context, e *env, what string) (*pgx.Conn, error) {
	if e.databaseURL == "" {
		return nil, usagef("%s: no database: pass --database-url or set DATABASE_URL", what)
	}
	conn, err := pgx.Connect(ctx, e.databaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: connect to the database (check --database-url): %w", what, err)
	}
	return conn, nil
}

// parseNow reads --now: RFC3339, or a date (midnight in the policy's zone); empty means
// the wall clock.
func parseNow(e *env, what, s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, e.policy.Location()); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s: --now %q: want RFC3339 such as 2026-11-26T00:00:00Z (or a date 2026-11-26)", what, s)
}

// cutoffsJSON is the documented `retention cutoffs` shape; extra fields are omitted when empty.
type cutoffsJSON struct {
	Tables    []cutoffTableJSON     `json:"tables"`
	Unmatched []retention.Unmatched `json:"unmatched,omitempty"`
}

type cutoffTableJSON struct {
	Table              string              `json:"table"`
	Category           string              `json:"category"`
	Keep               string              `json:"keep"`
	Cutoff             *string             `json:"cutoff"`
	EligiblePartitions []string            `json:"eligible_partitions"`
	Blocked            []retention.Blocked `json:"blocked"`
	EligibleRows       *retention.RowRange `json:"eligible_rows,omitempty"`
	Plans              []planJSON          `json:"plans,omitempty"`
	Note               string              `json:"note,omitempty"`
}

type planJSON struct {
	Plan   string  `json:"plan"`
	Keep   string  `json:"keep"`
	Cutoff *string `json:"cutoff"`
}

func cutoffString(t time.Time, forever bool) *string {
	if forever {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}

func runCutoffs(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("retention cutoffs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	nowFlag := fs.String("now", "", "evaluate at this instant (RFC3339; default now)")
	if err := fs.Parse(args); err != nil {
		return usagef("retention cutoffs: %v (usage: retention cutoffs [--now T])", err)
	}
	if fs.NArg() > 0 {
		return usagef("retention cutoffs: unexpected argument %q", fs.Arg(0))
	}
	now, err := parseNow(e, "retention cutoffs", *nowFlag)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, e, "retention cutoffs")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	cat, err := retention.Catalog(ctx, conn, e.policy)
	if err != nil {
		return err
	}
	rep, err := retention.Eligibility(ctx, conn, e.policy, cat, now)
	if err != nil {
		return err
	}
	out := cutoffsJSON{Tables: []cutoffTableJSON{}, Unmatched: rep.Unmatched}
	for _, t := range rep.Tables {
		j := cutoffTableJSON{Table: t.Table, Category: string(t.Category), Keep: t.Keep.String(),
			Cutoff: cutoffString(t.Cutoff, t.Forever), EligiblePartitions: []string{}, Blocked: []retention.Blocked{},
			EligibleRows: t.Rows, Note: t.Note}
		for _, p := range t.Eligible {
			j.EligiblePartitions = append(j.EligiblePartitions, p.Partition)
		}
		j.Blocked = append(j.Blocked, t.Blocked...)
		for _, p := range t.Plans {
			j.Plans = append(j.Plans, planJSON{Plan: p.Plan, Keep: p.Keep.String(), Cutoff: cutoffString(p.Cutoff, p.Forever)})
		}
		out.Tables = append(out.Tables, j)
	}
	if e.format == "json" {
		return writeJSON(e.stdout, out)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TABLE\tCATEGORY\tKEEP\tCUTOFF\tELIGIBLE\tBLOCKED")
	for _, t := range out.Tables {
		c := "never"
		if t.Cutoff != nil {
			c = *t.Cutoff
		}
		elig := fmt.Sprintf("%d partitions", len(t.EligiblePartitions))
		switch {
		case t.Cutoff == nil && len(t.Plans) == 0:
			elig = "-"
		case t.EligibleRows != nil:
			elig = fmt.Sprintf("%d rows", t.EligibleRows.Rows)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", t.Table, t.Category, t.Keep, c, elig, len(t.Blocked))
	}
	_ = w.Flush()
	for _, t := range out.Tables {
		for _, b := range t.Blocked {
			fmt.Fprintf(e.stdout, "blocked %s%s: %s\n", b.Partition, tenantSuffix(b.Tenant), b.Reason)
		}
	}
	for _, u := range out.Unmatched {
		fmt.Fprintf(e.stdout, "unmatched %s: %s\n", u.Table, u.Reason)
	}
	return nil
}

func tenantSuffix(t string) string {
	if t == "" {
		return ""
	}
	return " (tenant " + t + ")"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// actor is who runs a command: --by, else $USER, else "govctl".
func actor(by string) string {
	if by != "" {
		return by
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "govctl"
}

func runHolds(ctx context.Context, e *env, args []string) error {
	const usage = "retention holds add (--tenant ID | --table T) --reason R [--by WHO] [--from T] [--until T] | list [--tenant ID] [--active] [--now T] | release ID [--by WHO] [--now T]"
	if len(args) == 0 {
		return usagef("retention holds: want add, list or release (usage: %s)", usage)
	}
	fs := flag.NewFlagSet("retention holds", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tenant := fs.String("tenant", "", "tenant id the hold covers")
	table := fs.String("table", "", "table the hold covers (schema.table)")
	reason := fs.String("reason", "", "why the data is held")
	by := fs.String("by", "", "who places or releases the hold (default $USER)")
	from := fs.String("from", "", "hold in force from (RFC3339; default now)")
	until := fs.String("until", "", "hold in force until (RFC3339; default open-ended)")
	active := fs.Bool("active", false, "list only holds in force at --now")
	nowFlag := fs.String("now", "", "the current instant (RFC3339; default now)")
	sub, rest := args[0], args[1:]
	var positional []string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") { // "release 3 --by x"
		positional, rest = rest[:1], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return usagef("retention holds %s: %v (usage: %s)", sub, err, usage)
	}
	positional = append(positional, fs.Args()...)
	now, err := parseNow(e, "retention holds", *nowFlag)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, e, "retention holds")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	bk := retention.For(e.policy)
	if err := bk.Install(ctx, conn); err != nil {
		return err
	}
	switch sub {
	case "add":
		if len(positional) > 0 {
			return usagef("retention holds add: unexpected argument %q", positional[0])
		}
		if *tenant == "" && *table == "" {
			return usagef("retention holds add: give --tenant, --table or both")
		}
		if *reason == "" {
			return usagef("retention holds add: --reason is required")
		}
		spec := retention.HoldSpec{TenantID: *tenant, Table: *table, Reason: *reason, By: actor(*by), From: now}
		if *from != "" {
			if spec.From, err = parseNow(e, "retention holds add --from", *from); err != nil {
				return err
			}
		}
		if *until != "" {
			if spec.Until, err = parseNow(e, "retention holds add --until", *until); err != nil {
				return err
			}
		}
		h, err := bk.AddHold(ctx, conn, spec)
		if err != nil {
			return usagef("%v", err)
		}
		if e.format == "json" {
			return writeJSON(e.stdout, h)
		}
		fmt.Fprintf(e.stdout, "hold %d placed on %s\n", h.ID, h.Scope())
		return nil
	case "list":
		opts := retention.ListOptions{TenantID: *tenant}
		if *active {
			opts.ActiveAt = now
		}
		hs, err := bk.ListHolds(ctx, conn, opts)
		if err != nil {
			return err
		}
		if e.format == "json" {
			if hs == nil {
				hs = []retention.Hold{}
			}
			return writeJSON(e.stdout, map[string]any{"holds": hs})
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tSCOPE\tFROM\tUNTIL\tRELEASED\tBY\tREASON")
		for _, h := range hs {
			until, rel := "-", "-"
			if h.Until != nil {
				until = h.Until.Format(time.RFC3339)
			}
			if h.ReleasedAt != nil {
				rel = h.ReleasedAt.Format(time.RFC3339) + " by " + h.ReleasedBy
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Scope(), h.From.Format(time.RFC3339), until, rel, h.CreatedBy, h.Reason)
		}
		return w.Flush()
	case "release":
		if len(positional) != 1 {
			return usagef("retention holds release: want one hold id (retention holds release ID [--by WHO])")
		}
		id, err := strconv.ParseInt(positional[0], 10, 64)
		if err != nil {
			return usagef("retention holds release: %q is not a hold id", positional[0])
		}
		if err := bk.ReleaseHold(ctx, conn, id, actor(*by), now); err != nil {
			if errors.Is(err, retention.ErrHoldNotFound) {
				return usagef("%v", err)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "hold %d released\n", id)
		return nil
	}
	return usagef("retention holds: unknown subcommand %q (want add, list or release)", sub)
}

func runSweep(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("retention sweep", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	store := fs.String("store", "", "archive store URL (file:///dir, s3://bucket?…)")
	noArchive := fs.Bool("no-archive", false, "delete without keeping a copy")
	tables := fs.String("table", "", "comma-separated tables (default: the delivery tables)")
	nowFlag := fs.String("now", "", "evaluate at this instant (RFC3339; default now)")
	by := fs.String("by", "", "who runs the sweep (default $USER)")
	if err := fs.Parse(args); err != nil {
		return usagef("retention sweep: %v", err)
	}
	if *store == "" && !*noArchive {
		return usagef("retention sweep: give --store URL to archive the rows to (or --no-archive)")
	}
	now, err := parseNow(e, "retention sweep", *nowFlag)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, e, "retention sweep")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := retention.For(e.policy).Install(ctx, conn); err != nil {
		return err
	}
	opts := retention.SweepOptions{Actor: actor(*by), Now: now, NoArchive: *noArchive}
	if *tables != "" {
		opts.Tables = strings.Split(*tables, ",")
	}
	if *store != "" {
		b, err := parquetio.OpenBucket(ctx, *store)
		if err != nil {
			return usagef("retention sweep: %v", err)
		}
		defer b.Close()
		opts.Bucket = b
	}
	cat, err := retention.Catalog(ctx, conn, e.policy)
	if err != nil {
		return err
	}
	res, err := retention.Sweep(ctx, conn, e.policy, cat, opts)
	if err != nil {
		return err
	}
	return printDeleteResult(e, res)
}

func printDeleteResult(e *env, res *retention.DeleteResult) error {
	if e.format == "json" {
		return writeJSON(e.stdout, res)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TABLE\tROWS\tBATCHES\tLONGEST BATCH")
	for _, t := range res.Tables {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", t.Table, t.Rows, t.Batches, t.LongestBatch.Round(time.Microsecond))
	}
	_ = w.Flush()
	for _, b := range res.Blocked {
		fmt.Fprintf(e.stdout, "blocked %s%s: %s\n", b.Partition, tenantSuffix(b.Tenant), b.Reason)
	}
	fmt.Fprintf(e.stdout, "%s: %d rows deleted, longest batch %s\n", res.Operation, res.Rows, res.LongestBatch.Round(time.Microsecond))
	return nil
}
