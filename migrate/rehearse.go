package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// RehearseOptions says where to rehearse.
type RehearseOptions struct {
	// Source is the URL of the database to copy with CREATE DATABASE … TEMPLATE. The
	// copy needs no other session connected to the source, so use a staging database
	// restored from production (policy §3 step 4), not production itself.
	Source string
	// Target, instead of Source, names an existing copy to apply to (it is changed).
	Target string
	// Keep leaves the clone in place after the rehearsal (its name is in the result).
	Keep bool
	// Config configures the migrator on the copy. Maintenance windows are not enforced
	// in a rehearsal.
	Config Config
	// SampleEvery is the pg_locks sampling interval; default 5ms.
	SampleEvery time.Duration
}

// Rehearsal is the report of [Rehearse].
type Rehearsal struct {
	Database string // the database the migrations ran on
	Versions []RehearsedVersion
}

// RehearsedVersion is one version as it ran on the copy.
type RehearsedVersion struct {
	Version    string
	Name       string
	Kind       Kind
	Duration   time.Duration
	Statements []StatementReport
}

// StatementReport is what one statement did on the copy.
type StatementReport struct {
	Index    int
	Line     int
	SQL      string
	Duration time.Duration
	// RowsAffected is the command tag's row count (rows inserted, updated, deleted).
	RowsAffected int64
	// Locks are the locks the statement took that were not already held: relation and
	// mode, from sampling pg_locks on a second connection while it ran and once after.
	Locks []Lock
	// Rewritten lists the tables and indexes whose storage (pg_class.relfilenode) the
	// statement replaced: a full table rewrite or index rebuild.
	Rewritten []string
}

// Lock is one lock seen in pg_locks.
type Lock struct {
	Relation string // schema.name, or the lock type for non-relation locks
	Mode     string // e.g. AccessExclusiveLock
}

// TableRewrite reports whether the statement rewrote any table or index.
func (s StatementReport) TableRewrite() bool { return len(s.Rewritten) > 0 }

// Rehearse applies the pending migrations of dir to a copy of a database and reports,
// per statement, its duration, the locks it took, the rows it touched and whether it
// rewrote a table. Generate production-like volume in the source first: what a
// statement costs depends on the data.
func Rehearse(ctx context.Context, dir *Dir, opts RehearseOptions) (*Rehearsal, error) {
	if (opts.Source == "") == (opts.Target == "") {
		return nil, errors.New("migrate: Rehearse needs exactly one of Source (a database to clone) or Target (an existing copy)")
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = 5 * time.Millisecond
	}
	url := opts.Target
	rep := &Rehearsal{}
	if opts.Source != "" {
		cloneURL, name, drop, err := cloneDatabase(ctx, opts.Source)
		if err != nil {
			return nil, err
		}
		if !opts.Keep {
			defer drop()
		}
		url, rep.Database = cloneURL, name
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("migrate: rehearse: connect to the copy: %w", err)
	}
	defer conn.Close(context.Background())
	if rep.Database == "" {
		rep.Database = conn.Config().Database
	}
	sampler, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("migrate: rehearse: connect the lock sampler: %w", err)
	}
	defer sampler.Close(context.Background())

	cfg := opts.Config
	cfg.WindowOverride = "rehearsal"
	userProgress := cfg.Progress
	var cur *RehearsedVersion
	cfg.Progress = func(e Event) {
		switch e.Kind {
		case EventStart:
			rep.Versions = append(rep.Versions, RehearsedVersion{Version: e.Version, Name: e.Name})
			cur = &rep.Versions[len(rep.Versions)-1]
		case EventDone:
			cur.Duration = e.Duration
		}
		if userProgress != nil {
			userProgress(e)
		}
	}
	m, err := NewMigrator(conn, dir, cfg)
	if err != nil {
		return nil, err
	}
	held := map[Lock]bool{}
	m.hook = func(ctx context.Context, db DB, v *Version, f *File, i int) error {
		cur.Kind = kindOf(f)
		if i == 0 {
			clear(held)
		}
		stmts, _ := f.Statements() // already parsed without error: run is calling us
		st := stmts[i]
		r, err := measure(ctx, db, sampler, st.SQL, opts.SampleEvery, held)
		r.Index, r.Line, r.SQL = i, st.Line, st.SQL
		cur.Statements = append(cur.Statements, r)
		if cur.Kind == KindNoTransaction {
			clear(held) // locks end with each statement outside a transaction
		}
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// measure runs one statement on db while sampling its locks from sampler.
func measure(ctx context.Context, db DB, sampler *pgx.Conn, sql string, every time.Duration, held map[Lock]bool) (StatementReport, error) {
	var r StatementReport
	var pid int
	if err := db.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		return r, err
	}
	before, err := relfilenodes(ctx, db)
	if err != nil {
		return r, err
	}
	seen := map[Lock]bool{}
	var mu sync.Mutex
	sample := func() {
		locks, err := locksOf(context.Background(), sampler, pid)
		if err != nil {
			return
		}
		mu.Lock()
		for _, l := range locks {
			seen[l] = true
		}
		mu.Unlock()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	start := time.Now()
	tag, err := db.Exec(ctx, sql)
	r.Duration = time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		return r, err
	}
	sample() // inside a transaction the locks are still held now
	r.RowsAffected = tag.RowsAffected()
	for l := range seen {
		if !held[l] {
			r.Locks = append(r.Locks, l)
			held[l] = true
		}
	}
	sort.Slice(r.Locks, func(i, j int) bool {
		if r.Locks[i].Relation != r.Locks[j].Relation {
			return r.Locks[i].Relation < r.Locks[j].Relation
		}
		return r.Locks[i].Mode < r.Locks[j].Mode
	})
	after, err := relfilenodes(ctx, db)
	if err != nil {
		return r, err
	}
	for oid, b := range before {
		if a, ok := after[oid]; ok && a.node != b.node {
			r.Rewritten = append(r.Rewritten, a.name)
		}
	}
	sort.Strings(r.Rewritten)
	return r, nil
}

type relNode struct {
	name string
	node uint32
}

// relfilenodes maps every user table's and index's oid to its storage file number, as
// the migrating session sees it (so a rewrite inside its transaction shows).
func relfilenodes(ctx context.Context, db DB) (map[uint32]relNode, error) {
	rows, err := db.Query(ctx, `SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relfilenode
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'i', 'm', 't') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uint32]relNode{}
	for rows.Next() {
		var oid uint32
		var rn relNode
		if err := rows.Scan(&oid, &rn.name, &rn.node); err != nil {
			return nil, err
		}
		out[oid] = rn
	}
	return out, rows.Err()
}

func locksOf(ctx context.Context, c *pgx.Conn, pid int) ([]Lock, error) {
	rows, err := c.Query(ctx, `SELECT CASE WHEN cl.oid IS NULL THEN l.locktype ELSE format('%I.%I', n.nspname, cl.relname) END, l.mode
FROM pg_locks l LEFT JOIN pg_class cl ON cl.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE l.pid = $1 AND l.locktype IN ('relation', 'object', 'advisory') AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema')
  AND NOT (l.locktype = 'relation' AND cl.oid IS NULL)`, pid)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Lock, error) {
		var l Lock
		err := r.Scan(&l.Relation, &l.Mode)
		return l, err
	})
}

// cloneDatabase copies the database at url with CREATE DATABASE … TEMPLATE, connecting
// to the server's maintenance database. It returns the copy's URL and a drop function.
func cloneDatabase(ctx context.Context, url string) (cloneURL, name string, drop func(), err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", "", nil, fmt.Errorf("migrate: rehearse: source URL: %w", err)
	}
	src := cfg.Database
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name = fmt.Sprintf("rehearse_%s_%s", time.Now().UTC().Format("20060102150405"), hex.EncodeToString(b))
	admin := cfg.Copy()
	admin.Database = "postgres"
	ac, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return "", "", nil, fmt.Errorf("migrate: rehearse: connect to the maintenance database: %w", err)
	}
	defer ac.Close(context.Background())
	create := `CREATE DATABASE ` + sqlident.Quote(name) + ` TEMPLATE ` + sqlident.Quote(src)
	// FILE_COPY (PostgreSQL 15+) copies files instead of WAL-logging every block: much
	// faster for a large copy. Older servers reject the option and get the plain form.
	if _, err = ac.Exec(ctx, create+` STRATEGY FILE_COPY`); err != nil {
		_, err = ac.Exec(ctx, create)
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("migrate: rehearse: clone %s (it must have no other sessions; or pass Target): %w", src, err)
	}
	drop = func() {
		c, err := pgx.ConnectConfig(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), `DROP DATABASE IF EXISTS `+sqlident.Quote(name)+` WITH (FORCE)`)
	}
	return withDatabase(url, name), name, drop, nil
}

// withDatabase returns the connection string url pointing at database name, keeping
// every other setting (host, TLS, credentials).
func withDatabase(raw, name string) string {
	if u, err := neturl.Parse(raw); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	return raw + " dbname='" + name + "'" // a later keyword wins; name is [a-z0-9_]
}
