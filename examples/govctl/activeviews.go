package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lsos/lsosgov/retention"
)

const activeViewsUsage = "tenant active-views [--schema S] [--grant ROLE[,ROLE2]] [--drop]"

// runActiveViews installs (or drops) the views that show only live tenants' rows
// (retention.InstallActiveViews): run it after every migration run.
func runActiveViews(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("tenant active-views", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	schema := fs.String("schema", "", "schema of the views (default: the policy's SDK schema active, "+retention.ActiveViewsSchema+" by default)")
	grant := fs.String("grant", "", "roles given SELECT on the views, comma-separated")
	drop := fs.Bool("drop", false, "drop the views instead (before a migration that drops or retypes a column they show)")
	if err := fs.Parse(args); err != nil {
		return usagef("tenant active-views: %v (usage: %s)", err, activeViewsUsage)
	}
	if fs.NArg() > 0 {
		return usagef("tenant active-views: unexpected argument %q (usage: %s)", fs.Arg(0), activeViewsUsage)
	}
	opts := retention.ActiveViewOptions{Schema: *schema}
	if *grant != "" {
		if *drop {
			return usagef("tenant active-views: --grant and --drop do not go together")
		}
		opts.Grant = strings.Split(*grant, ",")
	}
	pool, err := openPool(ctx, e, "tenant active-views")
	if err != nil {
		return err
	}
	defer pool.Close()
	if *drop {
		dropped, err := retention.DropActiveViews(ctx, pool, opts)
		if err != nil {
			return err
		}
		if e.format == "json" {
			return writeJSON(e.stdout, map[string]any{"dropped": nonNil(dropped)})
		}
		fmt.Fprintf(e.stdout, "dropped %d view(s)\n", len(dropped))
		return nil
	}
	res, err := retention.InstallActiveViews(ctx, pool, e.policy, opts)
	if err != nil {
		return err
	}
	if e.format == "json" {
		return writeJSON(e.stdout, res)
	}
	for _, v := range res.Views {
		note := ""
		if v.Recreated {
			note = " (re-created: the table's columns changed)"
		}
		fmt.Fprintf(e.stdout, "%s -> %s%s\n", v.View, v.Table, note)
	}
	for _, d := range res.Dropped {
		fmt.Fprintf(e.stdout, "dropped %s (its table is gone)\n", d)
	}
	fmt.Fprintf(e.stdout, "%d view(s) in %s; soft-deleted tenants are marked by %s\n", len(res.Views), res.Schema, res.Marker)
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
