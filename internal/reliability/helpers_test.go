package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/retention"
)

// fixedNow is the sample data's "now": 24 months of snapshots end here.
var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// offboardNow is late enough that the sample's audit and delivery rows are older than
// their legal floors (24 and 12 months), so a hard delete is allowed.
var offboardNow = fixedNow.AddDate(2, 2, 0)

// sampleSetup builds the template: the LSOS sample schema and data, with the archive
// and retention schemas installed.
func sampleSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	if err := lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: fixedNow}); err != nil {
		return err
	}
	if err := retention.Install(ctx, c); err != nil {
		return err
	}
	return archive.Install(ctx, c)
}

// fresh returns the URL of a new database cloned from the sample template and a pool on it.
func fresh(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := pgtest.URL(t, "reliability-lsos", sampleSetup)
	return url, poolFor(t, url)
}

func poolFor(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func count(t *testing.T, db archive.DB, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// digest is a row count and an md5 over the rows' text forms in sorted order: two
// relations with equal digests hold the same multiset of rows.
type digest struct {
	Rows int64
	MD5  string
}

func (d digest) String() string { return fmt.Sprintf("%d rows md5 %s", d.Rows, d.MD5) }

// digestOf digests the rows of from (a relation or a parenthesised query aliased x) that
// match where.
func digestOf(t *testing.T, db archive.DB, from, where string) digest {
	t.Helper()
	if where == "" {
		where = "true"
	}
	var d digest
	q := `SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM ` + from + ` x WHERE ` + where
	if err := db.QueryRow(context.Background(), q).Scan(&d.Rows, &d.MD5); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return d
}

// tenantDigests digests every tenant-owned table (and the tenants root) for the rows
// selected by pick: "= 3" selects tenant 3's rows, "<> 3" everybody else's.
func tenantDigests(t *testing.T, db archive.DB, pick string) map[string]digest {
	t.Helper()
	cat, err := retention.Catalog(context.Background(), db, governance.Default())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]digest{}
	for i := range cat.Tables {
		tb := &cat.Tables[i]
		switch {
		case tb.Root:
			out[tb.Key()] = digestOf(t, db, tb.Name.Quoted(), "x.id "+pick)
		case tb.TenantColumn != "":
			out[tb.Key()] = digestOf(t, db, tb.Name.Quoted(), "x.tenant_id "+pick)
		}
	}
	if len(out) < 5 {
		t.Fatalf("only %d tenant tables found: the comparison would prove little", len(out))
	}
	return out
}

func openStore(t *testing.T, dir string) *blob.Bucket {
	t.Helper()
	b, err := parquetio.OpenBucket(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// isPartition reports whether rel is attached as a partition of some parent.
func isPartition(t *testing.T, db archive.DB, rel string) bool {
	return count(t, db, `SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)`, rel) == 1
}

func exists(t *testing.T, db archive.DB, rel string) bool {
	return count(t, db, `SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)`, rel) == 1
}

// restoreAll restores every archive of parent ("public.x") into new tables named
// prefix_N and returns a query (for digestOf) over their union, plus the number of
// archives. Every archive must be complete.
func restoreAll(t *testing.T, db *pgxpool.Pool, store *blob.Bucket, parent, prefix string) (string, int) {
	t.Helper()
	ctx := context.Background()
	es, err := archive.List(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for i, e := range es {
		if e.Table != parent {
			continue
		}
		if !e.Complete() {
			t.Fatalf("archive %s of %s left in state %q", e.ID, e.Partition, e.State)
		}
		name := fmt.Sprintf("public.%s_%d", prefix, i)
		n, err := archive.Restore(ctx, db, store, e.ID, archive.Target{Table: name})
		if err != nil {
			t.Fatalf("restore %s: %v", e.ID, err)
		}
		if n != e.Rows {
			t.Fatalf("restore %s loaded %d rows, catalog says %d", e.ID, n, e.Rows)
		}
		parts = append(parts, "SELECT * FROM "+name)
	}
	if len(parts) == 0 {
		return "", 0
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ")", len(parts)
}
