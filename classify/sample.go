package classify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/softdelete"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// tableInfo is one table as the system catalogs describe it.
type tableInfo struct {
	name        governance.QualifiedName
	comment     string
	partitioned bool
	estRows     int64 // planner estimate, partitions summed; 0 when never analysed
	pages       int64 // heap pages, partitions summed (from the relation size, always current)
	columns     []columnInfo
}

type columnInfo struct {
	name     string
	dataType string
	category byte
	comment  string
}

// tablesSQL lists ordinary and partitioned tables (not partitions: their columns are the
// parent's) with size facts; columnsSQL their live columns in order.
const tablesSQL = `
SELECT c.oid, n.nspname, c.relname, coalesce(obj_description(c.oid, 'pg_class'), ''), c.relkind = 'p',
       CASE WHEN c.relkind = 'p' THEN
            (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0)::bigint FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
       ELSE greatest(c.reltuples, 0)::bigint END,
       CASE WHEN c.relkind = 'p' THEN
            (SELECT coalesce(sum(pg_relation_size(t.relid)), 0)::bigint FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
       ELSE pg_relation_size(c.oid) END / current_setting('block_size')::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND (cardinality($1::text[]) = 0 AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
       OR n.nspname = ANY ($1::text[]))
ORDER BY n.nspname, c.relname`

const columnsSQL = `
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, coalesce(col_description(a.attrelid, a.attnum), '')
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

// readTables reads the tables of schemas, or of every schema but the system's and the
// SDK's own (p.IsSDKSchema) when schemas is empty.
func readTables(ctx context.Context, db DB, p *governance.Policy, schemas []string) ([]tableInfo, error) {
	if schemas == nil {
		schemas = []string{}
	}
	rows, err := db.Query(ctx, tablesSQL, schemas)
	if err != nil {
		return nil, &Error{Op: "read catalog", Err: err}
	}
	var tables []tableInfo
	var oids []uint32
	byOID := map[uint32]int{}
	for rows.Next() {
		var t tableInfo
		var oid uint32
		if err := rows.Scan(&oid, &t.name.Schema, &t.name.Name, &t.comment, &t.partitioned, &t.estRows, &t.pages); err != nil {
			rows.Close()
			return nil, &Error{Op: "read catalog", Err: err}
		}
		if len(schemas) == 0 && p.IsSDKTable(t.name.Schema, t.name.Name) {
			continue
		}
		byOID[oid] = len(tables)
		oids = append(oids, oid)
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, &Error{Op: "read catalog", Err: err}
	}
	if len(oids) == 0 {
		return nil, nil
	}
	rows, err = db.Query(ctx, columnsSQL, oids)
	if err != nil {
		return nil, &Error{Op: "read catalog", Err: err}
	}
	defer rows.Close()
	for rows.Next() {
		var oid uint32
		var c columnInfo
		var cat string
		if err := rows.Scan(&oid, &c.name, &c.dataType, &cat, &c.comment); err != nil {
			return nil, &Error{Op: "read catalog", Err: err}
		}
		if cat != "" {
			c.category = cat[0]
		}
		i := byOID[oid]
		tables[i].columns = append(tables[i].columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, &Error{Op: "read catalog", Err: err}
	}
	return tables, nil
}

// sampleResult counts detector hits in one column's sample.
type sampleResult struct {
	values int
	hits   [16]int // by bit position of Kind
}

func (r *sampleResult) add(k Kind) {
	for b := 0; Kind(1)<<b < kindEnd; b++ {
		if k&(1<<b) != 0 {
			r.hits[b]++
		}
	}
}

func (r sampleResult) count(k Kind) int {
	for b := 0; Kind(1)<<b < kindEnd; b++ {
		if k == 1<<b {
			return r.hits[b]
		}
	}
	return 0
}

// verdict returns the detector with the most hits among those whose evidence suffices:
// one value for a strong shape; for a weak shape at least two values (one when only one
// was sampled) and half the sample.
func (r sampleResult) verdict() (Kind, int, bool) {
	var best Kind
	bestN := 0
	for _, k := range AllKinds() {
		n := r.count(k)
		if n == 0 {
			continue
		}
		ok := k.strong() || (n >= min(2, r.values) && 2*n >= r.values)
		if ok && n > bestN {
			best, bestN = k, n
		}
	}
	return best, bestN, bestN > 0
}

type tableSample struct {
	rows    int
	method  string
	columns []sampleResult
}

// blockSampleFactor over-asks TABLESAMPLE for rows, because SYSTEM picks whole pages
// with a probability, so the yield varies; LIMIT then caps what is read.
const blockSampleFactor = 4

// minSamplePages is the fewest pages a block sample asks for.
const minSamplePages = 16

// samplePlan returns the FROM clause suffix and its description: a block sample sized
// from the table's estimated rows (pages from the relation size when the table was never
// analysed), or a plain LIMIT for small tables, where reading the first rows is cheap
// and TABLESAMPLE could miss them all.
func samplePlan(o Options, t tableInfo) (clause, method string) {
	est := t.estRows
	if est <= 0 && t.pages > 0 {
		est = t.pages * 20 // assume wide rows: over-estimating p only reads more pages, LIMIT still caps rows
	}
	limit := " LIMIT " + strconv.Itoa(o.SampleSize)
	if est < int64(o.SampleSize)*blockSampleFactor*2 {
		return limit, "limit " + strconv.Itoa(o.SampleSize)
	}
	pct := 100 * float64(o.SampleSize*blockSampleFactor) / float64(est)
	if t.pages > 0 {
		// Ask for at least minSamplePages pages: with fewer, the page lottery often draws
		// none or one, and the sample is thin or clustered.
		pct = max(pct, 100*float64(minSamplePages)/float64(t.pages))
	}
	pct = min(max(pct, 0.0001), 100)
	p := strconv.FormatFloat(pct, 'f', -1, 64)
	if len(p) > 10 {
		p = strconv.FormatFloat(pct, 'f', 6, 64)
	}
	return fmt.Sprintf(" TABLESAMPLE SYSTEM (%s) REPEATABLE (%d)%s", p, o.Seed, limit),
		fmt.Sprintf("tablesample system (%s%%) limit %d", p, o.SampleSize)
}

// sampleTable reads a bounded sample of the named columns, each cast to text and cut to
// MaxValueBytes, and runs the detectors over it. Values never leave this function. Rows
// of soft-deleted tenants are left out (see liveFilter).
func sampleTable(ctx context.Context, db DB, p *governance.Policy, o Options, t tableInfo, cols []string) (tableSample, error) {
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = fmt.Sprintf("left((%s)::text, %d)", sqlident.Quote(c), o.MaxValueBytes)
	}
	where, err := liveFilter(ctx, db, p, t)
	if err != nil {
		return tableSample{}, &Error{Op: "sample", Object: t.name.String(), Err: err}
	}
	base := "SELECT " + strings.Join(sel, ", ") + " FROM " + t.name.Quoted() + " " + sampleAlias
	clause, method := samplePlan(o, t)
	limit := " LIMIT " + strconv.Itoa(o.SampleSize)
	res, err := runSample(ctx, db, o, base+strings.TrimSuffix(clause, limit)+where+limit, len(cols))
	if err != nil {
		return res, &Error{Op: "sample", Object: t.name.String(), Err: err}
	}
	// A block sample can come back short on a table whose statistics are stale; top it
	// up with a bounded LIMIT read rather than accept a thin sample.
	if strings.HasPrefix(clause, " TABLESAMPLE") && res.rows < o.SampleSize/4 {
		method = "limit " + strconv.Itoa(o.SampleSize) + " (block sample returned too few rows)"
		res, err = runSample(ctx, db, o, base+where+limit, len(cols))
		if err != nil {
			return res, &Error{Op: "sample", Object: t.name.String(), Err: err}
		}
	}
	if where != "" {
		method += ", soft-deleted tenants excluded"
	}
	res.method = method
	return res, nil
}

// sampleAlias names the sampled table in the sample query.
const sampleAlias = "lsos_x"

// liveFilter returns " WHERE <condition>" leaving out the rows of soft-deleted tenants
// (internal/softdelete: tenants.deleted_at, or lsos_retention.offboarding when the
// tenants table has no deleted_at) from a table with the policy's tenant column, and the
// soft-deleted rows of the tenants table itself; "" for other tables. A soft-deleted
// tenant's data is on its way out: classifying the live schema from it would let a
// departed customer's values decide how current data is governed.
func liveFilter(ctx context.Context, db DB, p *governance.Policy, t tableInfo) (string, error) {
	if p == nil || p.Tenant.Column == "" || p.Tenant.Table == "" {
		return "", nil
	}
	col, typ := "", ""
	root := t.name.Name == unqualifiedName(p.Tenant.Table)
	for _, c := range t.columns {
		if c.name == p.Tenant.Column && !root {
			col, typ = c.name, c.dataType
		}
	}
	if col == "" && !root {
		return "", nil
	}
	m, err := softdelete.Discover(ctx, db, p)
	if err != nil || m == nil {
		return "", err
	}
	if root {
		if t.name != m.Tenants {
			return "", nil
		}
		col, typ = m.Key, m.KeyType
	}
	return " WHERE " + m.Live(sampleAlias+"."+sqlident.Quote(col), typ), nil
}

func unqualifiedName(name string) string {
	if n, err := sqlident.Parse(name, ""); err == nil {
		return n.Name
	}
	return name
}

func runSample(ctx context.Context, db DB, o Options, sql string, n int) (tableSample, error) {
	ctx, cancel := context.WithTimeout(ctx, o.SampleTimeout)
	defer cancel()
	res := tableSample{columns: make([]sampleResult, n)}
	rows, err := db.Query(ctx, sql)
	if err != nil {
		return res, redactDBError(err)
	}
	defer rows.Close()
	vals := make([]*string, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return res, redactDBError(err)
		}
		res.rows++
		for i, v := range vals {
			if v == nil {
				continue
			}
			res.columns[i].values++
			res.columns[i].add(Detect(*v))
		}
	}
	if err := rows.Err(); err != nil {
		return res, redactDBError(err)
	}
	return res, nil
}

// redactDBError keeps a server error's code and message but drops its detail, hint and
// context, which can quote row values; other errors pass through (they carry no data).
func redactDBError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &pgconn.PgError{Severity: pe.Severity, Code: pe.Code, Message: pe.Message}
	}
	return err
}

// isPermissionDenied reports a missing privilege (SQLSTATE 42501).
func isPermissionDenied(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501"
}
