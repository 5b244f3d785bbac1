package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
)

const classifyUsage = "classify [--sample N] [--no-sample] [--schema a,b] [--annotate]: classify every column (operational, sensitive, audit, artifact)"

// runClassify prints the catalog: a text table, JSON {"columns":[…],"tables":[…],"findings":[…]}
// or a markdown table. Unclassified columns are findings (warning unless the policy
// raises them; error severity exits 1).
func runClassify(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sample := fs.Int("sample", classify.DefaultSampleSize, "rows sampled per table at most")
	noSample := fs.Bool("no-sample", false, "do not sample values")
	schemas := fs.String("schema", "", "comma-separated schemas to read (default: all user schemas)")
	annotate := fs.Bool("annotate", false, "write each settled class into the column comment (lsos:class=…)")
	if err := fs.Parse(args); err != nil {
		return usagef("classify: %v (usage: %s)", err, classifyUsage)
	}
	if fs.NArg() > 0 {
		return usagef("classify: unexpected argument %q (usage: %s)", fs.Arg(0), classifyUsage)
	}
	if *sample < 1 || *sample > classify.MaxSampleSize {
		return usagef("classify: --sample %d is out of range; use 1..%d (or --no-sample)", *sample, classify.MaxSampleSize)
	}
	if e.databaseURL == "" {
		return usagef("classify: no database: pass --database-url or set DATABASE_URL")
	}
	opts := classify.Options{SampleSize: *sample, NoSampling: *noSample}
	if *schemas != "" {
		for _, s := range strings.Split(*schemas, ",") {
			if s = strings.TrimSpace(s); s != "" {
				opts.Schemas = append(opts.Schemas, s)
			}
		}
	}
	conn, err := pgx.Connect(ctx, e.databaseURL)
	if err != nil {
		return fmt.Errorf("classify: connect to the database (check --database-url): %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	cat, err := classify.Classify(ctx, conn, e.policy, opts)
	if err != nil {
		return err
	}
	if *annotate {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("classify: begin: %w", err)
		}
		n, err := classify.Annotate(ctx, tx, cat)
		if err != nil {
			_ = tx.Rollback(ctx)
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("classify: commit comments: %w", err)
		}
		fmt.Fprintf(e.stderr, "govctl: annotated %d column comment(s)\n", n)
	}
	findings := cat.Findings(e.policy)
	findings.Sort()
	switch e.format {
	case "json":
		out := struct {
			*classify.Catalog
			Findings governance.Findings `json:"findings"`
		}{cat, findings}
		if out.Findings == nil {
			out.Findings = governance.Findings{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	case "markdown":
		fmt.Fprintln(e.stdout, "| table | column | class | source | reason |")
		fmt.Fprintln(e.stdout, "|---|---|---|---|---|")
		for _, c := range cat.Columns {
			fmt.Fprintf(e.stdout, "| %s | %s | %s | %s | %s |\n", c.Table, c.Column, c.Class, c.Source, strings.ReplaceAll(c.Reason, "|", "\\|"))
		}
		for _, f := range findings {
			fmt.Fprintf(e.stdout, "\n- **%s** `%s` %s: %s", f.Severity, f.Check, f.Object, f.Message)
		}
		fmt.Fprintln(e.stdout)
	default:
		if err := cat.WriteText(e.stdout); err != nil {
			return err
		}
		if len(findings) > 0 {
			fmt.Fprintln(e.stdout)
			for _, f := range findings {
				fmt.Fprintln(e.stdout, f.String())
			}
		}
	}
	if findings.HasErrors() {
		return errFindings
	}
	return nil
}
