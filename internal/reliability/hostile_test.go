package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/retention"
)

// hostileNames are table names that break SQL built by concatenation: quotes,
// semicolons with a DROP, mixed case, a dot, unicode, and exactly 63 bytes.
var hostileNames = []string{
	`x"; DROP TABLE tenants; --`,
	`Mixed Case`,
	`semi;colon'quote`,
	`ünïcødé_表`,
	`a.b`,
	"t" + strings.Repeat("é", 31), // 63 bytes
}

// hostileParent and hostilePart are a partitioned table and its partition with
// injection-shaped names; the partition name is exactly 63 bytes.
const hostileParent = `Snap"; DROP TABLE tenants; --`

var hostilePart = func() string {
	s := `p"; DROP TABLE tenants;--`
	return s + strings.Repeat("z", 63-len(s))
}()

func hostileSetup(ctx context.Context, c *pgx.Conn) error {
	var b strings.Builder
	b.WriteString(`CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL, plan text NOT NULL DEFAULT 'basic');
INSERT INTO tenants VALUES (1, 'one', 'basic'), (2, 'two', 'basic');
`)
	for _, n := range hostileNames {
		q := sqlident.Quote(n)
		fmt.Fprintf(&b, `CREATE TABLE %s (tenant_id bigint NOT NULL REFERENCES tenants (id), id bigint NOT NULL, contact text, created_on date NOT NULL, PRIMARY KEY (tenant_id, id));
INSERT INTO %s SELECT 1 + g %% 2, g, 'user' || g || '@example.com', date '2024-01-01' + g FROM generate_series(1, 40) g;
`, q, q)
	}
	p, pp := sqlident.Quote(hostileParent), sqlident.Quote(hostilePart)
	fmt.Fprintf(&b, `CREATE TABLE %s (tenant_id bigint NOT NULL REFERENCES tenants (id), captured_on date NOT NULL, v text) PARTITION BY RANGE (captured_on);
CREATE TABLE %s PARTITION OF %s FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE "Snap_2024_02" PARTITION OF %s FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
INSERT INTO %s SELECT 1 + g %% 2, date '2024-01-01' + g %% 59, 'v' || g FROM generate_series(1, 300) g;
`, p, pp, p, p, p)
	_, err := c.Exec(ctx, b.String())
	return err
}

// TestHostileIdentifiers runs every API that puts a table name into SQL over tables
// named to break naive quoting. Each either works on exactly the named table or fails
// with an error naming the problem; nothing is injected (the tenants table and its rows
// survive every call).
func TestHostileIdentifiers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := poolFor(t, pgtest.URL(t, "reliability-hostile", hostileSetup))
	p := governance.Default()
	p.Retention = append(p.Retention, governance.RetentionRule{Category: governance.CategorySnapshots, Tables: []string{hostileParent}, Keep: p.Retention[0].Keep})
	tenantsIntact := func(step string) {
		t.Helper()
		if count(t, db, `SELECT count(*) FROM tenants`) != 2 {
			t.Fatalf("after %s the tenants table lost rows", step)
		}
	}

	// integrity.Run: every check, and each hostile table selected by its quoted name.
	rep, err := integrity.Run(ctx, db, p, integrity.Options{Now: func() time.Time { return fixedNow }})
	if err != nil || rep.Incomplete {
		t.Fatalf("integrity.Run: %v (incomplete %v: %+v)", err, rep != nil && rep.Incomplete, rep)
	}
	for _, n := range hostileNames {
		r, err := integrity.Run(ctx, db, p, integrity.Options{Tables: []string{"public." + sqlident.Quote(n)}})
		if err != nil || r.Incomplete {
			t.Fatalf("integrity.Run on %q: %v", n, err)
		}
	}
	tenantsIntact("integrity.Run")

	// classify.Classify samples every hostile table: the e-mail column is found sensitive
	// under the table's exact name.
	cat, err := classify.Classify(ctx, db, p, classify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range hostileNames {
		found := false
		for _, c := range cat.Columns {
			if c.Table == "public."+n && c.Column == "contact" {
				found = true
				if c.Class != governance.Sensitive || c.Source != classify.SourceSampling {
					t.Errorf("%q.contact classified %s by %s; want sensitive by sampling", n, c.Class, c.Source)
				}
			}
		}
		if !found {
			t.Errorf("classify did not list %q.contact", n)
		}
	}
	tenantsIntact("classify.Classify")

	// retention: the catalog reads each table, the rule naming the quoted parent applies,
	// and eligibility (which counts rows per partition and tenant) runs.
	rc, err := retention.Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range append(hostileNames, hostileParent) {
		tb, ok := rc.Find("public." + sqlident.Quote(n))
		if !ok || tb.Name.Name != n || tb.TenantColumn != "tenant_id" {
			t.Fatalf("retention catalog entry of %q: %+v %v", n, tb, ok)
		}
	}
	// Cutoffs: the rule naming the hostile parent applies (Eligibility on such names:
	// TestEligibilityOnNamesThatNeedQuotes).
	cr := retention.Cutoffs(p, rc, fixedNow)
	var tc *retention.TableCutoff
	for i := range cr.Tables {
		if cr.Tables[i].Table == "public."+hostileParent {
			tc = &cr.Tables[i]
		}
	}
	if tc == nil || tc.Category != governance.CategorySnapshots || tc.Cutoff.IsZero() || !tc.Partitioned {
		t.Fatalf("cutoff of the hostile parent: %+v", tc)
	}
	tenantsIntact("retention.Catalog")

	// archive.Run on the hostile partition completes (the legal-hold check before the
	// drop takes the exact name) and the restore re-attaches it with every row.
	archiveHostile(t, db, p)
	tenantsIntact("archive.Run")
	t.Logf("FIGURE hostile identifiers: %d table names + partitioned pair through integrity, classify, retention, archive; tenants intact", len(hostileNames))
}

// TestOverlongIdentifiers passes a 64-byte name, which PostgreSQL would silently
// truncate to another table's name, to each API that takes one: each refuses with an
// error that says so, and changes nothing.
func TestOverlongIdentifiers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := poolFor(t, pgtest.URL(t, "reliability-hostile", hostileSetup))
	long := "public." + sqlident.Quote(hostilePart+"x") // 64 bytes; its 63-byte prefix exists
	says := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s accepted a 64-byte name", what)
		}
		if !strings.Contains(err.Error(), "63") {
			t.Errorf("%s: error %q does not name the 63-byte limit", what, err)
		}
	}
	_, err := archive.Run(ctx, db, openStore(t, t.TempDir()), nil, archive.Options{Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: long}}})
	says("archive.Run", err)
	_, err = integrity.Run(ctx, db, governance.Default(), integrity.Options{Tables: []string{long}})
	says("integrity.Run", err)
	if err := retention.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	_, err = retention.AddHold(ctx, db, retention.HoldSpec{Table: long, Reason: "r", By: "b"})
	says("retention.AddHold", err)
	if !isPartition(t, db, "public."+sqlident.Quote(hostilePart)) || count(t, db, `SELECT count(*) FROM lsos_archive.archives`) != 0 {
		t.Fatal("a refused call changed something")
	}
}

// TestEligibilityOnNamesThatNeedQuotes runs retention.Eligibility with a retention
// rule on a table whose name needs quotes (mixed case with a space; a partitioned table
// with a quote, a semicolon and a DROP in its name): each table is looked up by its
// exact catalog name, so it is evaluated (an eligible row range, or both partitions
// eligible under their exact names) instead of crashing on a failed lookup. archive.Run
// given the quoted parent then archives exactly those partitions through the same path.
func TestEligibilityOnNamesThatNeedQuotes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := poolFor(t, pgtest.URL(t, "reliability-hostile", hostileSetup))
	for _, name := range []string{"Mixed Case", hostileParent} {
		t.Run(name, func(t *testing.T) {
			p := governance.Default()
			p.Retention = append(p.Retention, governance.RetentionRule{Category: governance.CategorySnapshots, Tables: []string{name}, Keep: p.Retention[0].Keep})
			rc, err := retention.Catalog(ctx, db, p)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := func() (rep *retention.EligibilityReport, err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				return retention.Eligibility(ctx, db, p, rc, fixedNow)
			}()
			if err != nil {
				t.Fatalf("retention.Eligibility with a rule on %q: %v", name, err)
			}
			var te *retention.TableEligibility
			for i := range rep.Tables {
				if rep.Tables[i].Table == "public."+name {
					te = &rep.Tables[i]
				}
			}
			if te == nil {
				t.Fatalf("no eligibility for public.%q: %+v", name, rep.Tables)
			}
			if name != hostileParent {
				if te.Rows == nil || te.Rows.Rows != 40 {
					t.Fatalf("eligible rows of %q: %+v (note %q); want all 40 (2024, past the cutoff)", name, te.Rows, te.Note)
				}
				return
			}
			got := map[string]int64{}
			for _, e := range te.Eligible {
				if e.Partition != e.Name.String() {
					t.Errorf("eligible %q has the exact name %+v", e.Partition, e.Name)
				}
				got[e.Name.Name] = e.Rows
			}
			if len(got) != 2 || got[hostilePart]+got["Snap_2024_02"] != 300 {
				t.Fatalf("eligible partitions of the hostile parent: %v (blocked %+v); want %q and Snap_2024_02 with 300 rows", got, te.Blocked, hostilePart)
			}
			arep, err := archive.Run(ctx, db, openStore(t, t.TempDir()), p, archive.Options{Now: func() time.Time { return fixedNow },
				Tables: []string{"public." + sqlident.Quote(hostileParent)}})
			if err != nil {
				t.Fatalf("archive.Run on the hostile parent: %v (%+v)", err, arep)
			}
			if n, rows := arep.Archived(); n != 2 || rows != 300 {
				t.Fatalf("archived %d partitions %d rows; want 2 and 300: %+v", n, rows, arep)
			}
			if left := count(t, db, `SELECT count(*) FROM `+sqlident.Quote(hostileParent)); left != 0 {
				t.Fatalf("%d rows left in the hostile parent", left)
			}
			if count(t, db, `SELECT count(*) FROM tenants`) != 2 {
				t.Fatal("the tenants table lost rows")
			}
		})
	}
}

// archiveHostile archives the 63-byte injection-shaped partition and restores it.
func archiveHostile(t *testing.T, db *pgxpool.Pool, p *governance.Policy) {
	t.Helper()
	ctx := context.Background()
	part := "public." + sqlident.Quote(hostilePart)
	before := digestOf(t, db, part, "")
	store := openStore(t, t.TempDir())
	arep, err := archive.Run(ctx, db, store, p, archive.Options{Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: part}}})
	if err != nil {
		t.Fatalf("archive.Run: %v (%+v)", err, arep)
	}
	if n, rows := arep.Archived(); n != 1 || rows != before.Rows {
		t.Fatalf("archived %d partitions %d rows: %+v", n, rows, arep)
	}
	es := mustList(t, db)
	if len(es) != 1 || es[0].Partition != "public."+hostilePart || es[0].Table != "public."+hostileParent {
		t.Fatalf("catalog names: %+v", es)
	}
	if _, err := archive.Restore(ctx, db, store, es[0].ID, archive.Target{Attach: true}); err != nil {
		t.Fatal(err)
	}
	if got := digestOf(t, db, part, ""); got != before || !isPartition(t, db, part) {
		t.Fatalf("restored %v attached=%v; archived %v", got, isPartition(t, db, part), before)
	}
}

// TestArchiveCompletesPartitionWhoseNameNeedsQuotes archives a 63-byte partition whose
// name holds a quote, a semicolon and a DROP, under a parent named likewise, with
// retention installed (so the legal-hold check before the drop really runs): the name
// goes from archive to retention as a structured, quoted name, never re-parsed from
// plain text, so the archive completes, the catalog holds the exact names and the
// restore re-attaches the partition with every row.
func TestArchiveCompletesPartitionWhoseNameNeedsQuotes(t *testing.T) {
	t.Parallel()
	db := poolFor(t, pgtest.URL(t, "reliability-hostile", hostileSetup))
	if err := retention.Install(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	archiveHostile(t, db, governance.Default())
}

// TestLegalHoldBlocksDropOfMixedCasePartition places a legal hold on a partition whose
// name has upper-case letters (public."Snap_2024_02") and archives it: the hold stops
// the drop (the partition stays detached with every row and the report names the
// hold), because the hold check matches the exact, case-sensitive name. Once the hold is
// released the re-run drops it.
func TestLegalHoldBlocksDropOfMixedCasePartition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := poolFor(t, pgtest.URL(t, "reliability-hostile", hostileSetup))
	if err := retention.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	part := `public."Snap_2024_02"`
	before := digestOf(t, db, part, "")
	h, err := retention.AddHold(ctx, db, retention.HoldSpec{Table: part, Reason: "litigation", By: "legal", From: fixedNow.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	store := openStore(t, t.TempDir())
	opts := archive.Options{Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: part}}}
	rep, err := archive.Run(ctx, db, store, governance.Default(), opts)
	if err != nil {
		t.Fatalf("archive.Run with a hold: %v (%+v)", err, rep)
	}
	if !exists(t, db, part) {
		t.Fatalf("hold %d on %s ignored: the partition was dropped (%+v)", h.ID, part, rep)
	}
	if got := digestOf(t, db, part, ""); got != before {
		t.Fatalf("held partition changed: %v, was %v", got, before)
	}
	if r := rep.Partitions[0]; r.State != "detached" || !strings.Contains(r.Skipped, fmt.Sprintf("legal hold [%d]", h.ID)) {
		t.Fatalf("result %+v; want detached and skipped for legal hold %d", r, h.ID)
	}
	if err := retention.ReleaseHold(ctx, db, h.ID, "legal", fixedNow.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rep, err = archive.Run(ctx, db, store, governance.Default(), opts)
	if err != nil {
		t.Fatalf("archive.Run after the release: %v (%+v)", err, rep)
	}
	if n, rows := rep.Archived(); n != 1 || rows != before.Rows || exists(t, db, part) {
		t.Fatalf("after the release: archived %d partitions %d rows, exists %v; want 1, %d, dropped", n, rows, exists(t, db, part), before.Rows)
	}
}
