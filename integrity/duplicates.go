package integrity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// DuplicateSnapshots counts rows repeating a snapshot table's natural key: the keys of
// the policy's snapshots, and the key of any unique index left invalid (a failed
// CREATE UNIQUE INDEX CONCURRENTLY enforces nothing, so duplicates may hide behind it).
// The finding's Count is the surplus rows (rows beyond the first of each key); the
// message also gives the number of repeated keys. A key with a NULL column never
// repeats (as in a unique constraint). A partitioned table is checked per leaf
// partition, in parallel, when the key includes the partition key (so a key cannot
// repeat across partitions); otherwise as a whole. Default severity: error. A snapshot
// key naming a column its table lacks is a warning, or info when it is a built-in
// default the policy file did not name.
type DuplicateSnapshots struct{}

// Name returns "duplicate-snapshots".
func (DuplicateSnapshots) Name() string { return governance.CheckDuplicateSnapshots }

// Code returns IN203.
func (DuplicateSnapshots) Code() string { return CodeDuplicateSnapshots }

func (DuplicateSnapshots) scansData() {}

type dupUnit struct {
	table  *Table // the relation scanned: a table, or one leaf partition
	parent *Table
	key    []string
	source string
}

// Run scans the snapshot tables of the selection.
func (c DuplicateSnapshots) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	units, out := c.units(cat, p, env)
	var (
		mu   sync.Mutex
		done int
	)
	work := make([]func(context.Context) error, len(units))
	for i, u := range units {
		work[i] = func(ctx context.Context) error {
			t0 := time.Now()
			var keys, surplus int64
			err := readOnly(ctx, db, env.StatementTimeout, func(q DB) error {
				return q.QueryRow(ctx, dupSQL(u.table, u.key)).Scan(&keys, &surplus)
			})
			mu.Lock()
			defer mu.Unlock()
			done++
			env.progress(Event{Check: c.Name(), Object: u.table.Name.String(), Done: done, Total: len(units), Elapsed: time.Since(t0)})
			if err != nil {
				return &CheckError{Check: c.Name(), Object: u.table.Name.String(), Err: err}
			}
			if keys > 0 {
				where := ""
				if u.table != u.parent {
					where = fmt.Sprintf(" (partition of %s)", u.parent.Name)
				}
				out = append(out, finding(p, c.Name(), c.Code(), governance.SeverityError, u.table.Name.String(), fmt.Sprintf(
					"%d value(s) of the %s key (%s) repeat in %s%s, with %d surplus row(s); keep one row per key, then enforce it with a unique index",
					keys, u.source, joinCols(u.key), u.table.Name, where, surplus), surplus))
			}
			return nil
		}
	}
	err = forEach(ctx, parallelism(db, env.Parallelism), work)
	out.Sort()
	return out, err
}

// units resolves the keys to check; a key naming a missing column is reported as a
// finding rather than scanned.
func (c DuplicateSnapshots) units(cat *Catalog, p *governance.Policy, env *Env) ([]dupUnit, governance.Findings) {
	var units []dupUnit
	var out governance.Findings
	seen := map[string]bool{}
	add := func(t *Table, key []string, source string) {
		k := fmt.Sprint(t.OID, key)
		if seen[k] {
			return
		}
		seen[k] = true
		if t.Partitioned && len(t.PartKey) > 0 && !slices.Contains(t.PartKey, "") && containsAll(key, t.PartKey) {
			for _, leaf := range t.Leaves() {
				if leaf != t {
					units = append(units, dupUnit{table: leaf, parent: t, key: key, source: source})
				}
			}
			return
		}
		units = append(units, dupUnit{table: t, parent: t, key: key, source: source})
	}
	for _, s := range p.Snapshots {
		n, err := sqlident.Parse(s.Table, "")
		if err != nil {
			continue // Policy.Validate reports it
		}
		t := cat.Lookup(n)
		if t == nil || t.IsPartition() || !env.selected(cat, t) {
			continue
		}
		if i := slices.IndexFunc(s.Key, func(col string) bool { return t.Column(col) == nil }); i >= 0 {
			inherited := p.IsDefaultSnapshot(s)
			msg := fmt.Sprintf("the policy's snapshot key for %s names column %s, which the table lacks; fix snapshots in the policy", t.Name, s.Key[i])
			if inherited {
				msg = fmt.Sprintf("the built-in default snapshot key for %s (%s) names column %s, which the table lacks, so it is not checked; give this table's natural key under snapshots in the policy file, or drop the defaults with replace_defaults: [snapshots]",
					t.Name, joinCols(s.Key), s.Key[i])
			}
			out = append(out, policyEntryFinding(p, c.Name(), c.Code(), inherited, t.Name.String(), msg))
			continue
		}
		add(t, s.Key, "snapshot")
	}
	for _, t := range env.checkedTables(cat) {
		for _, ix := range t.Indexes {
			if ix.Unique && !ix.Valid && !ix.Partial && !slices.Contains(ix.Columns, "") {
				add(t, ix.Columns, "unique index "+ix.Name)
			}
		}
	}
	return units, out
}

// dupSQL counts repeated keys and surplus rows of t.
func dupSQL(t *Table, key []string) string {
	notNull := make([]string, len(key))
	for i, k := range key {
		notNull[i] = sqlident.Quote(k) + " IS NOT NULL"
	}
	return fmt.Sprintf(`SELECT count(*), coalesce(sum(n - 1), 0)::int8 FROM (SELECT count(*) AS n FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1) d`,
		t.Name.Quoted(), strings.Join(notNull, " AND "), sqlident.QuoteList(key))
}

func containsAll(set, sub []string) bool {
	for _, s := range sub {
		if !slices.Contains(set, s) {
			return false
		}
	}
	return true
}
