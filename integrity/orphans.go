package integrity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// OrphanedRows counts rows whose parent row does not exist, with up to Env.Samples
// sample keys (the child's primary key columns, or the dangling reference when it has
// none; never other values, and none at all when the policy classes a key column
// sensitive). It checks the relationships no FK guarantees: critical relationships
// (see [MissingFK]) that no validated FK enforces, directly or through a chain of
// FKs, and every NOT VALID FK. A reference with
// any NULL column is not an orphan (MATCH SIMPLE, as PostgreSQL enforces FKs).
//
// Soft-deleted parents: when the parent has a soft-delete column (Env.SoftDeleteColumn,
// default deleted_at), rows that still reference a parent marked deleted — and are not
// themselves marked deleted — are reported separately (code IN202), at warning
// severity, or info when the parent is the tenant root: staged tenant offboarding
// (policy §8) keeps a soft-deleted tenant's rows through the export window on purpose,
// so they are listed for visibility, not as corruption.
//
// Each relationship is one anti-join (NOT EXISTS) that can use the parent's key index,
// in a read-only transaction bounded by statement_timeout. With Env.BatchRows set, a
// child whose primary key leads with an integer column is scanned in key ranges of that
// many values, one statement each, resumable through Env.Resume. Default severity: error.
type OrphanedRows struct{}

// Name returns "orphaned-rows".
func (OrphanedRows) Name() string { return governance.CheckOrphanedRows }

// Code returns IN201 (IN202 for rows of soft-deleted parents).
func (OrphanedRows) Code() string { return CodeOrphanedRows }

func (OrphanedRows) scansData() {}

// orphanUnit is one query the check runs.
type orphanUnit struct {
	rel  relationship
	soft bool // count references to soft-deleted parents instead of missing ones
}

// Run scans the relationships of the selected child tables, tables in parallel.
func (c OrphanedRows) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	units := orphanUnits(cat, p, env)
	var (
		mu   sync.Mutex
		out  governance.Findings
		done int
	)
	work := make([]func(context.Context) error, len(units))
	for i, u := range units {
		work[i] = func(ctx context.Context) error {
			start := time.Now()
			f, err := c.scan(ctx, db, p, env, u)
			mu.Lock()
			defer mu.Unlock()
			done++
			env.progress(Event{Check: c.Name(), Object: u.rel.object(), Done: done, Total: len(units), Elapsed: time.Since(start)})
			if err != nil {
				return &CheckError{Check: c.Name(), Object: u.rel.object(), Err: err}
			}
			if f != nil {
				out = append(out, *f)
			}
			return nil
		}
	}
	err = forEach(ctx, parallelism(db, env.Parallelism), work)
	out.Sort()
	return out, err
}

// orphanUnits picks the relationships to scan.
func orphanUnits(cat *Catalog, p *governance.Policy, env *Env) []orphanUnit {
	var units []orphanUnit
	seen := map[string]bool{}
	addUnit := func(u orphanUnit) {
		k := fmt.Sprint(u.rel.key(), u.soft)
		if !seen[k] {
			seen[k] = true
			units = append(units, u)
		}
	}
	for _, r := range criticalRelationships(cat, p, env) {
		if r.Problem == "" && !r.enforced() {
			addUnit(orphanUnit{rel: r})
		}
	}
	for _, t := range env.checkedTables(cat) {
		for _, fk := range t.ForeignKeys() {
			parent := cat.Table(fk.RefOID)
			if parent == nil {
				continue
			}
			r := relationship{Child: t, ChildCols: fk.Columns, Parent: parent, ParentCols: fk.RefCols, Source: "fk", FK: &fk, Column: namingColumn(fk.Columns, p.Tenant.Column)}
			if !fk.Validated {
				addUnit(orphanUnit{rel: r})
			}
		}
	}
	// Soft-deleted parents: every reference, enforced or not, into a table with the marker.
	for _, t := range env.checkedTables(cat) {
		for _, fk := range t.ForeignKeys() {
			parent := cat.Table(fk.RefOID)
			if parent == nil || parent.Column(env.SoftDeleteColumn) == nil {
				continue
			}
			addUnit(orphanUnit{soft: true, rel: relationship{Child: t, ChildCols: fk.Columns, Parent: parent, ParentCols: fk.RefCols,
				Source: "fk", FK: &fk, Column: namingColumn(fk.Columns, p.Tenant.Column)}})
		}
	}
	for _, u := range slices.Clone(units) {
		if u.rel.FK != nil || u.soft || u.rel.Parent.Column(env.SoftDeleteColumn) == nil {
			continue
		}
		addUnit(orphanUnit{soft: true, rel: u.rel})
	}
	return units
}

// namingColumn is the column a composite reference is named by: the first that is not
// the tenant column.
func namingColumn(cols []string, tenant string) string {
	for _, c := range cols {
		if c != tenant {
			return c
		}
	}
	return cols[0]
}

// orphanSQL builds the anti-join (or, for soft, the semi-join on deleted parents) over
// child c. extra is an additional condition on c.
func orphanSQL(u orphanUnit, softCol, selectList, extra, tail string) string {
	r := u.rel
	var where, match []string
	for i, cc := range r.ChildCols {
		where = append(where, "c."+sqlident.Quote(cc)+" IS NOT NULL")
		match = append(match, "p."+sqlident.Quote(r.ParentCols[i])+" = c."+sqlident.Quote(cc))
	}
	if extra != "" {
		where = append(where, extra)
	}
	sub := fmt.Sprintf("SELECT 1 FROM %s p WHERE %s", r.Parent.Name.Quoted(), strings.Join(match, " AND "))
	if u.soft {
		sub += " AND p." + sqlident.Quote(softCol) + " IS NOT NULL"
		if r.Child.Column(softCol) != nil {
			where = append(where, "c."+sqlident.Quote(softCol)+" IS NULL")
		}
		where = append(where, "EXISTS ("+sub+")")
	} else {
		where = append(where, "NOT EXISTS ("+sub+")")
	}
	return fmt.Sprintf("SELECT %s FROM %s c WHERE %s%s", selectList, r.Child.Name.Quoted(), strings.Join(where, " AND "), tail)
}

// streamCap bounds the orphan keys one statement streams back. Up to it, a single
// anti-join yields both the count and the samples; past it (massive corruption) a
// count(*) of the same range gives the exact total.
var streamCap int64 = 10_000

// scan counts one unit's rows and samples their keys.
func (c OrphanedRows) scan(ctx context.Context, db DB, p *governance.Policy, env *Env, u orphanUnit) (*governance.Finding, error) {
	r := u.rel
	keyCols := r.Child.PrimaryKey()
	if len(keyCols) == 0 {
		keyCols = r.ChildCols
	}
	nSamples := env.Samples
	if sensitiveKey(p, r.Child, keyCols) {
		nSamples = 0
	}
	count, samples, err := c.count(ctx, db, env, u, keyCols, max(nSamples, 0))
	if err != nil || count == 0 {
		return nil, err
	}
	sampleText := ""
	if len(samples) > 0 {
		sampleText = fmt.Sprintf("; first keys (%s): %s", joinCols(keyCols), strings.Join(samples, ", "))
	}
	if u.soft {
		sev := governance.SeverityWarning
		if r.Parent.Name.Name == p.Tenant.Table || r.Parent.Name.String() == p.Tenant.Table {
			sev = governance.SeverityInfo
		}
		f := governance.Finding{Check: c.Name(), Code: CodeSoftDeletedParent, Severity: sev, Object: r.object(), Count: count,
			Message: fmt.Sprintf("%d row(s) of %s reference soft-deleted rows of %s (%s IS NOT NULL)%s; remove or re-parent them when the parent's export window ends",
				count, r.Child.Name, r.Parent.Name, env.SoftDeleteColumn, sampleText)}
		return &f, nil
	}
	why := "no foreign key enforces it"
	if weak := r.weakLink(); weak != nil && r.FK != nil {
		why = "foreign key " + r.FK.Name + " is NOT VALID"
	} else if weak != nil {
		why = "it is enforced only through " + r.describeVia() + ", and " + weak.FK.Name + " is NOT VALID"
	}
	f := finding(p, c.Name(), c.Code(), governance.SeverityError, r.object(), fmt.Sprintf(
		"%d row(s) reference no existing row through %s (%s)%s", count, r.describe(), why, sampleText), count)
	return &f, nil
}

// count runs the anti-join, in key-range batches when asked and possible, and collects
// up to nSamples keys (in key order within each batch).
func (c OrphanedRows) count(ctx context.Context, db DB, env *Env, u orphanUnit, keyCols []string, nSamples int) (int64, []string, error) {
	batchCol := ""
	if pk := u.rel.Child.PrimaryKey(); env.BatchRows > 0 && len(pk) > 0 {
		if col := u.rel.Child.Column(pk[0]); col != nil && slices.Contains([]string{"smallint", "integer", "bigint"}, col.Type) {
			batchCol = pk[0]
		}
	}
	if batchCol == "" {
		return c.scanRange(ctx, db, env, u, keyCols, nSamples, "")
	}
	var lo, hi *int64
	qc := "c." + sqlident.Quote(batchCol)
	err := readOnly(ctx, db, env.StatementTimeout, func(q DB) error {
		return q.QueryRow(ctx, fmt.Sprintf("SELECT min(%s)::int8, max(%s)::int8 FROM %s c", qc, qc, u.rel.Child.Name.Quoted())).Scan(&lo, &hi)
	})
	if err != nil || lo == nil {
		return 0, nil, err
	}
	start := *lo
	if k, ok := env.Resume[u.rel.object()]; ok && k > start {
		start = k
	}
	var (
		total   int64
		samples []string
	)
	batches := int((*hi-start)/env.BatchRows) + 1
	for i, from := 0, start; from <= *hi; i, from = i+1, from+env.BatchRows {
		to := from + env.BatchRows
		t0 := time.Now()
		n, s, err := c.scanRange(ctx, db, env, u, keyCols, nSamples-len(samples), qc+" >= $1 AND "+qc+" < $2", from, to)
		if err != nil {
			return total, samples, fmt.Errorf("batch %s in [%d, %d): %w (resume with Env.Resume[%q] = %d)", batchCol, from, to, err, u.rel.object(), from)
		}
		total += n
		samples = append(samples, s...)
		next := to
		env.progress(Event{Check: c.Name(), Object: u.rel.object(), Done: i + 1, Total: batches, ResumeKey: &next, Elapsed: time.Since(t0)})
	}
	return total, samples, nil
}

// scanRange runs one anti-join over the rows matching extra. With samples wanted it
// streams the orphan keys in key order (up to streamCap), so one statement yields count
// and samples; otherwise, or past the cap, it counts.
func (c OrphanedRows) scanRange(ctx context.Context, db DB, env *Env, u orphanUnit, keyCols []string, nSamples int, extra string, args ...any) (int64, []string, error) {
	var (
		n       int64
		samples []string
	)
	countAll := func(q DB) error {
		return q.QueryRow(ctx, orphanSQL(u, env.SoftDeleteColumn, "count(*)", extra, ""), args...).Scan(&n)
	}
	err := readOnly(ctx, db, env.StatementTimeout, func(q DB) error {
		if nSamples <= 0 {
			return countAll(q)
		}
		sel := make([]string, len(keyCols))
		for i, k := range keyCols {
			sel[i] = "c." + sqlident.Quote(k) + "::text"
		}
		rows, err := q.Query(ctx, orphanSQL(u, env.SoftDeleteColumn, strings.Join(sel, ", "), extra,
			fmt.Sprintf(" ORDER BY %s LIMIT %d", strings.Join(prefixed(keyCols), ", "), streamCap)), args...)
		if err != nil {
			return err
		}
		vals := make([]*string, len(keyCols))
		dst := make([]any, len(keyCols))
		for i := range vals {
			dst[i] = &vals[i]
		}
		for rows.Next() {
			n++
			if len(samples) >= nSamples {
				continue
			}
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return err
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = "NULL"
				if v != nil {
					parts[i] = *v
				}
			}
			samples = append(samples, "("+strings.Join(parts, ", ")+")")
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n >= streamCap {
			return countAll(q)
		}
		return nil
	})
	return n, samples, err
}

func prefixed(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = "c." + sqlident.Quote(c)
	}
	return out
}

// sensitiveKey reports whether any of cols is, or may be, sensitive: classed sensitive
// by the policy, or named like a credential or contact detail. Such keys are never
// sampled into a finding.
func sensitiveKey(p *governance.Policy, t *Table, cols []string) bool {
	for _, c := range cols {
		if cl, _, ok := p.ExplicitClass(t.Name.Name, c); ok && cl == governance.Sensitive {
			return true
		}
		words := strings.FieldsFunc(strings.ToLower(c), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		for _, w := range words {
			if slices.Contains(sensitiveWords, w) {
				return true
			}
		}
	}
	return false
}

// sensitiveWords are the words (between underscores or spaces) of column names whose
// values are never sampled.
var sensitiveWords = []string{"email", "mail", "token", "password", "secret", "hash", "phone", "ip", "ssn", "iban", "address"}
