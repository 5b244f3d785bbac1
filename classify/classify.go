package classify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// Defaults for [Options].
const (
	DefaultSampleSize    = 200
	MaxSampleSize        = 100_000
	DefaultSampleTimeout = 30 * time.Second
	DefaultMaxValueBytes = 1024
)

// Options tune Classify. The zero value gives the defaults.
type Options struct {
	// SampleSize caps the rows read per table for value sampling (default 200, at most
	// 100000).
	SampleSize int
	// NoSampling turns value sampling off: columns only sampling could settle keep the
	// policy default and are reported unclassified.
	NoSampling bool
	// Schemas limits the schemas read. By default every schema is read except pg_*,
	// information_schema and the SDK's own schemas (lsos_migrate, lsos_retention, …:
	// those for which [governance.Policy.IsSDKSchema] holds). A schema listed here is
	// read even when it belongs to the SDK.
	Schemas []string
	// SampleTimeout bounds the sampling query of one table (default 30s).
	SampleTimeout time.Duration
	// MaxValueBytes caps how much of each sampled value is read (default 1024 bytes).
	MaxValueBytes int
	// Seed makes the block sample repeatable (TABLESAMPLE … REPEATABLE (Seed)).
	Seed int
	// Logger receives progress (tables, counts, methods; never values); nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.SampleSize < 0 || o.SampleSize > MaxSampleSize {
		return o, fmt.Errorf("%w: sample size %d is out of range; use 1..%d, or NoSampling to turn sampling off", ErrOptions, o.SampleSize, MaxSampleSize)
	}
	if o.SampleTimeout < 0 || o.MaxValueBytes < 0 {
		return o, fmt.Errorf("%w: negative SampleTimeout or MaxValueBytes; leave them zero for the defaults", ErrOptions)
	}
	if o.SampleSize == 0 {
		o.SampleSize = DefaultSampleSize
	}
	if o.SampleTimeout == 0 {
		o.SampleTimeout = DefaultSampleTimeout
	}
	if o.MaxValueBytes == 0 {
		o.MaxValueBytes = DefaultMaxValueBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o, nil
}

// Classify reads every table and column of the database and classifies each column
// (see the package documentation for the sources and their precedence). It samples at
// most Options.SampleSize rows per table, never scanning a whole table.
func Classify(ctx context.Context, db DB, p *governance.Policy, opts Options) (*Catalog, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: policy is nil; pass governance.Default() or a loaded policy", ErrOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	tables, err := readTables(ctx, db, p, o.Schemas)
	if err != nil {
		return nil, err
	}
	cat := &Catalog{Columns: []Column{}, Tables: []Table{}}
	for _, t := range tables {
		cols, tv, err := classifyTable(ctx, db, p, o, t)
		if err != nil {
			return nil, err
		}
		cat.Columns = append(cat.Columns, cols...)
		cat.Tables = append(cat.Tables, tv)
	}
	o.Logger.Info("classify: catalog built", "tables", len(cat.Tables), "columns", len(cat.Columns),
		"unclassified", len(cat.Unclassified()))
	return cat, nil
}

func classifyTable(ctx context.Context, db DB, p *governance.Policy, o Options, t tableInfo) ([]Column, Table, error) {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	cols := make([]Column, len(t.columns))
	decisions := make([]Decision, len(t.columns))
	var toSample []int
	for i, c := range t.columns {
		d := Decide(p, ColumnInput{Table: t.name.Name, Column: c.name, DataType: c.dataType, TypeCategory: c.category,
			Comment: c.comment, TableComment: t.comment, TableColumns: names})
		decisions[i] = d
		if d.Sample && !o.NoSampling {
			toSample = append(toSample, i)
		}
	}
	tv := Table{Table: t.name.String(), Partitioned: t.partitioned, EstimatedRows: t.estRows}
	var results []sampleResult
	if len(toSample) > 0 {
		sampleCols := make([]string, len(toSample))
		for j, i := range toSample {
			sampleCols[j] = t.columns[i].name
		}
		start := time.Now()
		res, err := sampleTable(ctx, db, p, o, t, sampleCols)
		switch {
		case isPermissionDenied(err):
			// A role that may read the catalog but not the table still gets a catalog:
			// the columns keep their rule decisions, and unsettled ones are reported.
			o.Logger.Warn("classify: cannot sample table (no SELECT privilege); its unsettled columns stay unclassified",
				"table", tv.Table)
			tv.SampleMethod = "none (permission denied)"
			toSample = nil
		case err != nil:
			return nil, tv, err
		default:
			results = res.columns
			tv.SampledRows, tv.SampleMethod = res.rows, res.method
			o.Logger.Debug("classify: sampled table", "table", tv.Table, "method", res.method, "rows", res.rows,
				"columns", len(sampleCols), "estimated_rows", t.estRows, "elapsed", time.Since(start))
		}
	}
	for i, c := range t.columns {
		cols[i] = Column{Table: tv.Table, Column: c.name, Type: c.dataType, Class: decisions[i].Class,
			Source: decisions[i].Source, Confidence: decisions[i].Confidence, Reason: decisions[i].Reason, Settled: decisions[i].Settled}
	}
	for j, i := range toSample {
		applySample(&cols[i], results[j], tv.SampledRows)
	}
	if tv.SampleMethod == "none (permission denied)" {
		for i := range cols {
			if !cols[i].Settled && decisions[i].Sample {
				cols[i].Reason += "; not sampled: no SELECT privilege on the table"
			}
		}
	}
	tableView(p, &tv, t, cols)
	return cols, tv, nil
}

// applySample lets a detector finding override the rule decision (sampling ranks above
// table classes and non-sensitive rules), and otherwise notes the clean sample.
func applySample(c *Column, r sampleResult, rows int) {
	c.Sample = &SampleSummary{Values: r.values}
	for _, k := range AllKinds() {
		if n := r.count(k); n > 0 {
			if c.Sample.Matches == nil {
				c.Sample.Matches = map[string]int{}
			}
			c.Sample.Matches[k.String()] = n
		}
	}
	if k, n, ok := r.verdict(); ok {
		frac := float64(n) / float64(r.values)
		c.Class, c.Source, c.Settled = governance.Sensitive, SourceSampling, true
		c.Confidence = 0.5 + 0.45*frac
		if k.strong() {
			c.Confidence = 0.6 + 0.39*frac
		}
		c.Reason = fmt.Sprintf("%d/%d sampled values look like %s", n, r.values, k.Describe())
		return
	}
	if c.Settled {
		return
	}
	switch {
	case rows == 0:
		c.Reason += "; the table is empty, so sampling found nothing to test"
	case r.values == 0:
		c.Reason += fmt.Sprintf("; all %d sampled values are null", rows)
	default:
		c.Reason += fmt.Sprintf("; %d sampled values matched no sensitive-data detector", r.values)
	}
}

// tableView decides the table-level class.
func tableView(p *governance.Policy, tv *Table, t tableInfo, cols []Column) {
	for _, c := range cols {
		if c.Class == governance.Sensitive {
			tv.SensitiveColumns = append(tv.SensitiveColumns, c.Column)
		}
	}
	name := t.name.Name
	if c, scope, ok := p.ExplicitClass(name, ""); ok && scope == "table" {
		tv.Class, tv.Source, tv.Settled, tv.Reason = c, SourcePolicy, true, "policy classes.tables sets it"
		return
	}
	if c, found, err := ParseAnnotation(t.comment); found && err == nil {
		tv.Class, tv.Source, tv.Settled, tv.Reason = c, SourceAnnotation, true, "table comment carries "+TagPrefix+string(c)
		return
	}
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	if c, why, ok := tableRule(name, names); ok {
		tv.Class, tv.Source, tv.Settled, tv.Reason = c, SourceRule, true, why
		return
	}
	// No table-level evidence: the class its non-sensitive columns agree on.
	var agreed governance.Class
	allSettled := true
	for _, c := range cols {
		if c.Class == governance.Sensitive {
			continue
		}
		allSettled = allSettled && c.Settled
		if agreed == "" {
			agreed = c.Class
		} else if agreed != c.Class {
			agreed = "-"
		}
	}
	switch {
	case agreed != "" && agreed != "-" && allSettled:
		tv.Class, tv.Source, tv.Settled = agreed, SourceRule, true
		tv.Reason = fmt.Sprintf("all its non-sensitive columns are %s", agreed)
	default:
		def := p.Classes.Default
		if !def.Valid() {
			def = governance.Operational
		}
		tv.Class, tv.Source, tv.Settled = def, SourceDefault, false
		tv.Reason = fmt.Sprintf("no table class, annotation or rule; policy default %s", def)
	}
}

// Errors.
var (
	// ErrOptions marks invalid arguments to Classify.
	ErrOptions = errors.New("classify: invalid options")
)

// Error is a failed database step, naming the object it was working on.
type Error struct {
	Op     string // "read catalog", "sample", "annotate"
	Object string // schema-qualified table or column, when one is involved
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("classify: " + e.Op)
	if e.Object != "" {
		b.WriteString(" " + e.Object)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
