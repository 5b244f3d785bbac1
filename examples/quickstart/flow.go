package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov"
	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/retention"
)

// Options configure Flow.
type Options struct {
	// Now is the clock of the whole run (required): the sample's span, the cutoffs and
	// the eligibility all follow from it.
	Now time.Time
	// Policy; default governance.Default().
	Policy *governance.Policy
	// Progress receives step lines (nil: quiet).
	Progress *progress
}

// Report is what the quickstart prints. Its JSON form is the --format json output.
type Report struct {
	Database string    `json:"database"`
	Store    string    `json:"store"`
	Now      time.Time `json:"now"`
	Seconds  float64   `json:"seconds"`

	Migrations struct {
		Versions int      `json:"versions"`
		Applied  []string `json:"applied"`
	} `json:"migrations"`
	Sample struct {
		Tenants    int            `json:"tenants"`
		Months     int            `json:"months"`
		Rows       map[string]int `json:"rows"` // per table
		Partitions int            `json:"partitions"`
	} `json:"sample"`
	Classification struct {
		Columns      int            `json:"columns"`
		ByClass      map[string]int `json:"by_class"`
		Unclassified []string       `json:"unclassified"`
		Sensitive    []string       `json:"sensitive"`
	} `json:"classification"`
	Integrity struct {
		Checks   int                 `json:"checks"`
		Errors   int                 `json:"errors"`
		Warnings int                 `json:"warnings"`
		Infos    int                 `json:"infos"`
		Findings governance.Findings `json:"findings"`
	} `json:"integrity"`
	Retention struct {
		Cutoffs   []Cutoff `json:"cutoffs"`
		Unmatched []string `json:"unmatched"`
	} `json:"retention"`
	Archive struct {
		Eligible   int      `json:"eligible"`
		Archived   int      `json:"archived"`
		Rows       int64    `json:"rows"`
		Partitions []string `json:"partitions"`
	} `json:"archive"`
	Restore Restore `json:"restore"`
}

// Cutoff is one table's retention cutoff.
type Cutoff struct {
	Table    string    `json:"table"`
	Category string    `json:"category"`
	Keep     string    `json:"keep"`
	Cutoff   time.Time `json:"cutoff,omitzero"`
}

// Restore is the month restored from the archive and how it compared.
type Restore struct {
	ArchiveID    string `json:"archive_id"`
	Partition    string `json:"partition"`
	Table        string `json:"table"`
	ArchivedRows int64  `json:"archived_rows"`
	RestoredRows int64  `json:"restored_rows"`
	Verified     bool   `json:"verified"`
}

// snapshotTables are the partitioned parents the quickstart archives.
var snapshotTables = []string{"public.ranking_snapshots", "public.crawl_outputs"}

// Flow runs the quickstart on db (a pool on a database without the sample data) with
// archives in store. On error the report holds the steps done so far.
func Flow(ctx context.Context, db *pgxpool.Pool, store *blob.Bucket, o Options) (*Report, error) {
	if o.Now.IsZero() {
		return nil, fmt.Errorf("quickstart: Options.Now is required")
	}
	if o.Policy == nil {
		o.Policy = governance.Default()
	}
	p, pr := o.Policy, o.Progress
	clock := func() time.Time { return o.Now }
	rep := &Report{Now: o.Now}

	// 1. Migrations, as a service applies them at startup.
	pr.step("applying the sample LSOS migrations (lsosgov.Startup)")
	sr, err := lsosgov.Startup(ctx, db, lsosgov.StartupConfig{FS: lsos.Migrations(), Apply: true, Policy: p, Now: clock})
	if err != nil {
		return rep, err
	}
	rep.Migrations.Versions = sr.Versions
	for _, r := range sr.Applied {
		rep.Migrations.Applied = append(rep.Migrations.Applied, r.Version)
	}
	pr.done(fmt.Sprintf("%d of %d versions applied", len(sr.Applied), sr.Versions))

	// 2. Sample data: two years, monthly partitions.
	var tenants int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&tenants); err != nil {
		return rep, fmt.Errorf("quickstart: count tenants: %w", err)
	}
	if tenants > 0 {
		return rep, fmt.Errorf("quickstart: the database already holds %d tenants; point DATABASE_URL at an empty database, or unset it to use the embedded default", tenants)
	}
	sample := lsos.SampleOptions{Now: o.Now}
	pr.step("loading sample data (24 months, 3 tenants)")
	if err := lsos.LoadSample(ctx, db, sample); err != nil {
		return rep, err
	}
	// Fresh statistics: sampling and the planner's row estimates read them.
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		return rep, fmt.Errorf("quickstart: analyze: %w", err)
	}
	rep.Sample.Months = 24
	rep.Sample.Rows = map[string]int{}
	for _, t := range lsos.Tables {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+governance.QualifiedName{Name: t}.Quoted()).Scan(&n); err != nil {
			return rep, fmt.Errorf("quickstart: count %s: %w", t, err)
		}
		rep.Sample.Rows[t] = n
	}
	rep.Sample.Tenants = rep.Sample.Rows["tenants"]
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent
		WHERE c.relname = ANY($1) AND c.relnamespace = 'public'::regnamespace`, []string{"ranking_snapshots", "crawl_outputs"}).Scan(&rep.Sample.Partitions); err != nil {
		return rep, fmt.Errorf("quickstart: count partitions: %w", err)
	}
	pr.done(fmt.Sprintf("%d snapshot rows, %d partitions", rep.Sample.Rows["ranking_snapshots"]+rep.Sample.Rows["crawl_outputs"], rep.Sample.Partitions))

	// 3. Classification of every column (policy §5).
	pr.step("classifying every column (catalog, rules, bounded value sampling)")
	cat, err := classify.Classify(ctx, db, p, classify.Options{Schemas: []string{"public"}, Seed: 1})
	if err != nil {
		return rep, err
	}
	c := &rep.Classification
	c.Columns, c.ByClass, c.Unclassified, c.Sensitive = len(cat.Columns), map[string]int{}, []string{}, []string{}
	for _, col := range cat.Columns {
		c.ByClass[string(col.Class)]++
		if col.Class == governance.Sensitive {
			c.Sensitive = append(c.Sensitive, col.Object())
		}
	}
	for _, col := range cat.Unclassified() {
		c.Unclassified = append(c.Unclassified, col.Object())
	}
	pr.done(fmt.Sprintf("%d columns, %d unclassified", c.Columns, len(c.Unclassified)))

	// 4. Integrity checks, schema and data (policy §9).
	pr.step("running every integrity check")
	ir, err := integrity.Run(ctx, db, p, integrity.Options{Now: clock})
	if err != nil {
		return rep, err
	}
	in := &rep.Integrity
	in.Checks, in.Findings = len(ir.Checks), ir.Findings
	if in.Findings == nil {
		in.Findings = governance.Findings{}
	}
	for _, f := range ir.Findings {
		switch f.Severity {
		case governance.SeverityError:
			in.Errors++
		case governance.SeverityWarning:
			in.Warnings++
		default:
			in.Infos++
		}
	}
	pr.done(fmt.Sprintf("%d errors, %d warnings", in.Errors, in.Warnings))

	// 5. Retention cutoffs and eligibility (policy §6).
	pr.step("computing retention cutoffs")
	rcat, err := retention.Catalog(ctx, db, p)
	if err != nil {
		return rep, err
	}
	el, err := retention.Eligibility(ctx, db, p, rcat, o.Now)
	if err != nil {
		return rep, err
	}
	rep.Retention.Unmatched = []string{}
	for _, t := range el.CutoffReport.Tables {
		rep.Retention.Cutoffs = append(rep.Retention.Cutoffs, Cutoff{Table: t.Table, Category: string(t.Category), Keep: t.Keep.String(), Cutoff: t.Cutoff})
	}
	for _, u := range el.CutoffReport.Unmatched {
		rep.Retention.Unmatched = append(rep.Retention.Unmatched, u.Table)
	}
	for _, t := range el.Tables {
		if slices.Contains(snapshotTables, t.Table) {
			rep.Archive.Eligible += len(t.Eligible)
		}
	}
	pr.done(fmt.Sprintf("%d snapshot partitions past their cutoff", rep.Archive.Eligible))

	// 6. Archive the eligible partitions (policy §7).
	pr.step(fmt.Sprintf("archiving %d eligible partitions (export → verify → manifest → detach → drop)", rep.Archive.Eligible))
	var mu sync.Mutex
	done := 0
	ar, err := archive.Run(ctx, db, store, p, archive.Options{
		Tables: snapshotTables, Now: clock, Actor: "quickstart",
		Progress: func(e archive.Event) {
			if e.Step != archive.StepDrop {
				return
			}
			mu.Lock()
			done++
			pr.note("[%d/%d] %s: %d rows archived", done, rep.Archive.Eligible, e.Partition, e.Rows)
			mu.Unlock()
		},
	})
	if ar != nil {
		rep.Archive.Archived, rep.Archive.Rows = ar.Archived()
		for _, pt := range ar.Partitions {
			if pt.State != "" && pt.Error == "" {
				rep.Archive.Partitions = append(rep.Archive.Partitions, pt.Partition)
			}
		}
	}
	if err != nil {
		return rep, err
	}
	pr.done(fmt.Sprintf("%d partitions, %d rows", rep.Archive.Archived, rep.Archive.Rows))

	// 7. Restore the oldest archived ranking month into a new table, and check it.
	pr.step("restoring one archived month and checking it")
	entries, err := archive.For(p).Find(ctx, db, archive.FindOptions{Table: "public.ranking_snapshots"})
	if err != nil {
		return rep, err
	}
	if len(entries) == 0 {
		return rep, fmt.Errorf("quickstart: nothing was archived, so nothing can be restored (is --now more than 13 months after the sample start?)")
	}
	e := entries[0]
	target := "public.restored_" + strings.TrimPrefix(e.Partition, "public.")
	rs := &rep.Restore
	rs.ArchiveID, rs.Partition, rs.Table, rs.ArchivedRows = e.ID, e.Partition, target, e.Rows
	if err := archive.For(p).Verify(ctx, db, store, e.ID); err != nil {
		return rep, err
	}
	if _, err := archive.For(p).Restore(ctx, db, store, e.ID, archive.Target{Table: target}); err != nil {
		return rep, err
	}
	// Count what is in the table now, independently of what Restore reports.
	tn, err := governance.ParseQualifiedName(target, "public")
	if err != nil {
		return rep, err
	}
	if err := db.QueryRow(ctx, "SELECT count(*) FROM "+tn.Quoted()).Scan(&rs.RestoredRows); err != nil {
		return rep, fmt.Errorf("quickstart: count restored rows: %w", err)
	}
	rs.Verified = rs.RestoredRows == rs.ArchivedRows
	if !rs.Verified {
		return rep, fmt.Errorf("quickstart: restored %d rows into %s, but the archive holds %d", rs.RestoredRows, target, rs.ArchivedRows)
	}
	pr.done(fmt.Sprintf("%s → %s, %d rows", e.Partition, target, rs.RestoredRows))
	return rep, nil
}

func (r *Report) write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "lsosgov quickstart on %s PostgreSQL, archive store %s, now %s\n\n", r.Database, r.Store, r.Now.Format(time.RFC3339))
	m := r.Migrations
	fmt.Fprintf(&b, "migrations   %d versions, %d applied now\n", m.Versions, len(m.Applied))
	s := r.Sample
	fmt.Fprintf(&b, "sample       %d tenants, %d months, %d ranking snapshots, %d crawl outputs, %d partitions\n",
		s.Tenants, s.Months, s.Rows["ranking_snapshots"], s.Rows["crawl_outputs"], s.Partitions)
	c := r.Classification
	var classes []string
	for _, k := range []governance.Class{governance.Operational, governance.Sensitive, governance.Audit, governance.Artifact} {
		classes = append(classes, fmt.Sprintf("%d %s", c.ByClass[string(k)], k))
	}
	fmt.Fprintf(&b, "classify     %d columns: %s; %d unclassified\n", c.Columns, strings.Join(classes, ", "), len(c.Unclassified))
	fmt.Fprintf(&b, "             sensitive: %s\n", strings.Join(c.Sensitive, ", "))
	in := r.Integrity
	fmt.Fprintf(&b, "integrity    %d checks: %d errors, %d warnings, %d infos\n", in.Checks, in.Errors, in.Warnings, in.Infos)
	for _, f := range in.Findings {
		fmt.Fprintf(&b, "             %s\n", f)
	}
	fmt.Fprintf(&b, "retention    cutoffs at %s:\n", r.Now.Format("2006-01-02"))
	for _, ct := range r.Retention.Cutoffs {
		cut := "kept forever"
		if !ct.Cutoff.IsZero() {
			cut = "before " + ct.Cutoff.Format("2006-01-02")
		}
		fmt.Fprintf(&b, "             %-32s %-10s keep %-10s %s\n", ct.Table, ct.Category, ct.Keep, cut)
	}
	if len(r.Retention.Unmatched) > 0 {
		fmt.Fprintf(&b, "             no retention rule (decide): %s\n", strings.Join(r.Retention.Unmatched, ", "))
	}
	a := r.Archive
	fmt.Fprintf(&b, "archive      %d of %d eligible partitions archived, %d rows, to Parquet with manifests\n", a.Archived, a.Eligible, a.Rows)
	rs := r.Restore
	if rs.ArchiveID != "" {
		ok := "MISMATCH"
		if rs.Verified {
			ok = "matches the archive"
		}
		fmt.Fprintf(&b, "restore      %s → %s: %d rows restored, %d archived: %s\n", rs.Partition, rs.Table, rs.RestoredRows, rs.ArchivedRows, ok)
	}
	fmt.Fprintf(&b, "\ndone in %.1fs\n", r.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}
