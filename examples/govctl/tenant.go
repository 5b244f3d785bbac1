package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/retention"
)

const tenantUsage = "tenant offboard --tenant ID --stage soft-delete|export|hard-delete [--store URL] [--archive-store URL | --skip-archive-purge REASON] [--now T] [--dry-run] [--by WHO]: staged tenant offboarding"

func runTenant(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "tenant", args, []subcommand{{"offboard", runOffboard}, {"active-views", runActiveViews}})
}

// runOffboard is "tenant offboard": one stage of the staged offboarding.
func runOffboard(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("tenant offboard", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tenant := fs.String("tenant", "", "tenant id")
	stage := fs.String("stage", "", "soft-delete, export or hard-delete")
	store := fs.String("store", "", "export store URL (file:///dir, s3://bucket?…); required for --stage export")
	prefix := fs.String("prefix", "offboarding", "object key prefix in the store")
	nowFlag := fs.String("now", "", "the current instant (RFC3339; default now)")
	dryRun := fs.Bool("dry-run", false, "print what the stage would do; change nothing")
	by := fs.String("by", "", "who runs the offboarding (default $USER)")
	batch := fs.Int("batch-size", 0, "rows per delete batch (default: the policy's offboarding.batch_size)")
	var ap archivePurge
	fs.StringVar(&ap.store, "archive-store", "", "hard-delete: the partition archive store (as given to archive run); the tenant's archived rows are purged after the hard delete")
	fs.StringVar(&ap.skip, "skip-archive-purge", "", "hard-delete: keep the tenant's rows in partition archives; the value says why and goes into the audit record")
	if err := fs.Parse(args); err != nil {
		return usagef("tenant offboard: %v (usage: %s)", err, tenantUsage)
	}
	if fs.NArg() > 0 {
		return usagef("tenant offboard: unexpected argument %q", fs.Arg(0))
	}
	if *tenant == "" {
		return usagef("tenant offboard: --tenant is required")
	}
	switch *stage {
	case "soft-delete", "export", "hard-delete":
	case "":
		return usagef("tenant offboard: --stage is required (soft-delete, export or hard-delete)")
	default:
		return usagef("tenant offboard: --stage %q: want soft-delete, export or hard-delete", *stage)
	}
	if *stage == "export" && *store == "" && !*dryRun {
		return usagef("tenant offboard --stage export: give --store URL (e.g. file:///var/lib/lsos/exports)")
	}
	if *batch < 0 {
		return usagef("tenant offboard: --batch-size must be above zero")
	}
	if err := ap.validate(*stage); err != nil {
		return err
	}
	now, err := parseNow(e, "tenant offboard", *nowFlag)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, e, "tenant offboard")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := retention.For(e.policy).Install(ctx, conn); err != nil {
		return err
	}
	pr := progressFor(e.stderr)
	defer pr.Done()
	ob, err := retention.NewOffboarder(conn, e.policy, retention.OffboardConfig{Actor: actor(*by), Now: func() time.Time { return now }, BatchSize: *batch,
		AfterBatch: func(table string, batch int, rows int64) error {
			pr.Printf("offboard %s: %s batch %d, %d row(s)", *stage, table, batch, rows)
			return nil
		}})
	if err != nil {
		return err
	}
	st, err := ob.Status(ctx, *tenant)
	if err != nil {
		return err
	}
	if *dryRun {
		return dryRunStage(ctx, e, ob, *stage, st)
	}
	switch *stage {
	case "soft-delete":
		st, err = ob.SoftDelete(ctx, *tenant)
		if errors.Is(err, retention.ErrUnknownTenant) {
			return usagef("%v", err)
		}
		if err != nil {
			return err
		}
		return printStatus(e, st)
	case "export":
		b, err := parquetio.OpenBucket(ctx, *store)
		if err != nil {
			return usagef("tenant offboard: %v", err)
		}
		defer b.Close()
		res, err := ob.Export(ctx, *tenant, b, *prefix)
		if err != nil {
			return err
		}
		if e.format == "json" {
			return writeJSON(e.stdout, res)
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "TABLE\tROWS\tBYTES\tOBJECT\tSHA256")
		for _, m := range res.Manifests {
			fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", m.Table, m.Rows, m.Bytes, m.Object, m.SHA256)
		}
		return w.Flush()
	}
	if err := ap.preflight(ctx, e.policy, conn, *tenant); err != nil {
		return err
	}
	defer ap.Close()
	res, err := ob.HardDelete(ctx, *tenant)
	if err != nil {
		pr.Done()
		return err
	}
	purge, skipped, perr := ap.run(ctx, e, conn, *tenant, actor(*by), now, pr)
	pr.Done()
	if err := printOffboardResult(e, res, purge, skipped); err != nil {
		return err
	}
	return perr
}

func dryRunStage(ctx context.Context, e *env, ob *retention.Offboarder, stage string, st retention.Status) error {
	plan, err := ob.Plan(ctx, st.TenantID)
	if err != nil {
		return err
	}
	if e.format == "json" {
		return writeJSON(e.stdout, map[string]any{"stage": stage, "status": st, "plan": plan})
	}
	fmt.Fprintf(e.stdout, "tenant %s is %s; dry run of %s (nothing changes)\n", st.TenantID, st.Stage, stage)
	if st.ExportWindowEnd != nil {
		fmt.Fprintf(e.stdout, "export window ends %s\n", st.ExportWindowEnd.Format(time.RFC3339))
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tTABLE\tROWS")
	for i, s := range plan.Steps {
		fmt.Fprintf(w, "%d\t%s\t%d\n", i+1, s.Table, s.Rows)
	}
	_ = w.Flush()
	for _, u := range plan.Unscoped {
		fmt.Fprintf(e.stdout, "unscoped reference (hard delete would refuse): %s\n", u)
	}
	return nil
}

func printStatus(e *env, st retention.Status) error {
	if e.format == "json" {
		return writeJSON(e.stdout, st)
	}
	fmt.Fprintf(e.stdout, "tenant %s is %s", st.TenantID, st.Stage)
	if st.ExportWindowEnd != nil {
		fmt.Fprintf(e.stdout, "; export window ends %s", st.ExportWindowEnd.Format(time.RFC3339))
	}
	fmt.Fprintln(e.stdout)
	return nil
}
