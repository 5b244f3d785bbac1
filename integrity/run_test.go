package integrity

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// countingDB counts catalog reads on top of a real pool.
type countingDB struct {
	*pgxpool.Pool
	catalogReads atomic.Int32
}

func (c *countingDB) note(sql string) {
	if strings.Contains(sql, "lsos:integrity catalog") {
		c.catalogReads.Add(1)
	}
}

func (c *countingDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.note(sql)
	return c.Pool.Query(ctx, sql, args...)
}

func (c *countingDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.note(sql)
	return c.Pool.QueryRow(ctx, sql, args...)
}

func (c *countingDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.note(sql)
	return c.Pool.Exec(ctx, sql, args...)
}

func TestRunReadsCatalogOnce(t *testing.T) {
	db := &countingDB{Pool: pgtest.DB(t, "lsos-sample", sampleSetup)}
	rep, err := Run(context.Background(), db, governance.Default(), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if n := db.catalogReads.Load(); n != 1 {
		t.Fatalf("catalog read %d times; want once for all %d checks", n, len(rep.Checks))
	}
	if len(rep.Checks) != len(All()) || rep.Incomplete || !rep.StartedAt.Equal(sampleNow) {
		t.Fatalf("report: %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Status != "ok" {
			t.Fatalf("check %s: %s %s", c.Name, c.Status, c.Error)
		}
	}
}

func TestSelect(t *testing.T) {
	cs, err := Select("orphaned-rows", " missing-fk", "orphaned-rows")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Name() != governance.CheckMissingFK || cs[1].Name() != governance.CheckOrphanedRows {
		t.Fatalf("got %v", cs)
	}
	if _, err := Select("orphans"); !errors.Is(err, ErrUnknownCheck) || !strings.Contains(err.Error(), "duplicate-snapshots") {
		t.Fatalf("unknown check: %v", err)
	}
	var names []string
	for _, c := range All() {
		names = append(names, c.Name())
	}
	if strings.Join(names, ",") != strings.Join(Names(), ",") || len(All()) != len(governance.IntegrityChecks()) {
		t.Fatalf("All %v must cover exactly governance.IntegrityChecks %v", names, governance.IntegrityChecks())
	}
	for _, n := range governance.IntegrityChecks() {
		if _, err := Select(n); err != nil {
			t.Fatalf("documented check %s: %v", n, err)
		}
	}
	if len(SchemaChecks())+len(DataChecks()) != len(All()) {
		t.Fatal("SchemaChecks and DataChecks must partition All")
	}
	// Each call returns a fresh slice: a caller's change does not leak into the next.
	a := All()
	a[0] = nil
	if All()[0] == nil {
		t.Fatal("All returned a shared slice")
	}
}

func TestRunTablesFilter(t *testing.T) {
	db := sampleDB(t, `DROP INDEX reviews_tenant_location_idx`, `DROP INDEX campaigns_tenant_location_idx`)
	rep, err := Run(context.Background(), db, governance.Default(), Options{Now: fixedNow, Tables: []string{"public.reviews"}})
	if err != nil {
		t.Fatal(err)
	}
	want(t, rep.Findings, governance.CheckFKMissingIndex, "public.reviews.(tenant_id,location_id)")
	if len(rep.Findings) != 1 {
		t.Fatalf("only reviews was selected; got:\n%s", render(rep.Findings))
	}
	_, err = Run(context.Background(), db, governance.Default(), Options{Tables: []string{"nosuch"}})
	if !errors.Is(err, ErrUnknownTable) {
		t.Fatalf("unknown table: %v", err)
	}
	if _, err := Run(context.Background(), db, governance.Default(), Options{Parallelism: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("negative parallelism: %v", err)
	}
}

// sleepCheck is a custom check (the interface is open) that outlives any small budget.
type sleepCheck struct{}

func (sleepCheck) Name() string { return "sleep" }
func (sleepCheck) Code() string { return "X1" }
func (sleepCheck) Run(ctx context.Context, db DB, _ *governance.Policy, _ *Env) (governance.Findings, error) {
	_, err := db.Exec(ctx, `SELECT pg_sleep(60)`)
	return nil, err
}

func TestRunBudget(t *testing.T) {
	db := sampleDB(t)
	rep, err := Run(context.Background(), db, governance.Default(), Options{Now: fixedNow, Budget: 3 * time.Second,
		Checks: []Check{MissingFK{}, sleepCheck{}, MissingPartition{}}})
	if !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("want ErrBudgetExceeded, got %v", err)
	}
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Check != "sleep" {
		t.Fatalf("want the sleep check's error, got %v", err)
	}
	status := map[string]string{}
	for _, c := range rep.Checks {
		status[c.Name] = c.Status
	}
	if status["missing-fk"] != "ok" || status["sleep"] != "failed" || status["missing-partition"] != "skipped" || !rep.Incomplete {
		t.Fatalf("statuses %v, incomplete %v", status, rep.Incomplete)
	}
}

// Data checks take ACCESS SHARE only: they run while another session holds EXCLUSIVE
// locks (which block every other lock mode), and they give up with a lock timeout error
// (not a hang) behind ACCESS EXCLUSIVE.
func TestDataChecksTakeOnlyAccessShare(t *testing.T) {
	db := sampleDB(t, `ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey`,
		`INSERT INTO keywords (tenant_id, campaign_id, phrase) VALUES (1, 999999, 'orphan')`)
	ctx := context.Background()
	other, err := db.(*pgxpool.Pool).Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	exec(t, tx, `LOCK TABLE keywords, campaigns, ranking_snapshots, crawl_outputs IN EXCLUSIVE MODE`)
	rep, err := Run(ctx, db, governance.Default(), Options{Now: fixedNow, Checks: DataChecks(), StatementTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("data checks must not conflict with EXCLUSIVE locks: %v", err)
	}
	if f := want(t, rep.Findings, governance.CheckOrphanedRows, "public.keywords.campaign_id"); f.Count != 1 {
		t.Fatalf("got %s", f)
	}
	exec(t, tx, `LOCK TABLE keywords IN ACCESS EXCLUSIVE MODE`)
	rep, err = Run(ctx, db, governance.Default(), Options{Now: fixedNow, Checks: []Check{OrphanedRows{}}, StatementTimeout: 300 * time.Millisecond})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || (pgErr.Code != "55P03" && pgErr.Code != "57014") || !rep.Incomplete {
		t.Fatalf("behind ACCESS EXCLUSIVE: want a lock or statement timeout, got %v", err)
	}
}

// readOnly refuses writes on every kind of DB it supports, and inside a caller's
// transaction leaves that transaction usable.
func TestReadOnlyTransactions(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	exec(t, pool, `CREATE TABLE t (x int)`)
	for name, db := range map[string]DB{"pool": pool, "tx": tx} {
		err := readOnly(ctx, db, time.Second, func(q DB) error {
			var to string
			if err := q.QueryRow(ctx, `SHOW statement_timeout`).Scan(&to); err != nil || to != "1s" {
				t.Errorf("%s: statement_timeout %q, %v", name, to, err)
			}
			_, err := q.Exec(ctx, `INSERT INTO t VALUES (1)`)
			return err
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Fatalf("%s: want read-only transaction error 25006, got %v", name, err)
		}
	}
	var to string
	if err := tx.QueryRow(ctx, `SHOW statement_timeout`).Scan(&to); err != nil || to != "0" {
		t.Fatalf("the caller's transaction must be usable and keep its settings: %q, %v", to, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO t VALUES (2)`); err != nil {
		t.Fatalf("the caller's transaction must stay writable: %v", err)
	}
}

// Run works on a single connection and inside a caller's transaction too.
func TestRunOnConnAndTx(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t, "lsos-sample", sampleSetup)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec(t, conn, `ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey`,
		`INSERT INTO keywords (tenant_id, campaign_id, phrase) VALUES (1, 999999, 'orphan')`)
	f := want(t, runChecks(t, conn, governance.Default()), governance.CheckOrphanedRows, "public.keywords.campaign_id")
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	exec(t, tx, `INSERT INTO keywords (tenant_id, campaign_id, phrase) VALUES (1, 999998, 'orphan in tx')`)
	g := want(t, runChecks(t, tx, governance.Default()), governance.CheckOrphanedRows, "public.keywords.campaign_id")
	if f.Count != 1 || g.Count != 2 {
		t.Fatalf("conn: %s; tx (sees its own insert): %s", f, g)
	}
}

func TestSaveRunAndTrends(t *testing.T) {
	db := sampleDB(t, `DROP INDEX reviews_tenant_location_idx`)
	ctx := context.Background()
	if runs, err := Runs(ctx, db, 10); err != nil || len(runs) != 0 {
		t.Fatalf("before any save: %v, %v", runs, err)
	}
	var events atomic.Int32
	rep, err := Run(ctx, db, governance.Default(), Options{Now: fixedNow, Progress: func(Event) { events.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if events.Load() == 0 {
		t.Fatal("no progress events")
	}
	id1, err := SaveRun(ctx, db, rep)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, `CREATE INDEX reviews_tenant_location_idx ON reviews (tenant_id, location_id)`)
	later := func() time.Time { return sampleNow.Add(24 * time.Hour) }
	rep2, err := Run(ctx, db, governance.Default(), Options{Now: later})
	if err != nil {
		t.Fatal(err)
	}
	// The runs table lives in lsos_integrity, which the checks leave alone.
	if len(rep2.Findings) != 0 {
		t.Fatalf("after the fix and a save: %s", render(rep2.Findings))
	}
	id2, err := SaveRun(ctx, db, rep2)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := Runs(ctx, db, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != id2 || runs[1].ID != id1 || runs[1].Warnings != 1 ||
		runs[1].ByCheck[governance.CheckFKMissingIndex] != 1 || runs[0].Warnings != 0 || !runs[1].StartedAt.Equal(sampleNow) {
		t.Fatalf("runs: %+v", runs)
	}
}
