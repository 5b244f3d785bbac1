package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/retention"
)

const isolationSchema = `
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL, plan text NOT NULL DEFAULT 'basic', status text NOT NULL DEFAULT 'active', deleted_at timestamptz);
CREATE TABLE items (tenant_id bigint NOT NULL REFERENCES tenants (id), id bigint NOT NULL, name text NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE events (tenant_id bigint NOT NULL, item_id bigint NOT NULL, at date NOT NULL, value double precision, note text,
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)) PARTITION BY RANGE (at);
CREATE INDEX ON events (tenant_id, item_id);
CREATE SCHEMA lsos_ref; -- reference copies; lsos_* schemas are invisible to the library
`

// TestTenantIsolationProperty generates random multi-tenant data and applies a random
// sequence of offboardings, partition archivals and restores (seeded; the seed is
// logged, and LSOS_RELIABILITY_SEED replays one). After every step: each tenant still
// active has exactly its original rows, live or in an archive of the months archived so
// far (md5 per tenant and table); an offboarded tenant has no live row; and a restored
// archive holds exactly the rows its partition had when it was archived.
func TestTenantIsolationProperty(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LSOS_RELIABILITY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with LSOS_RELIABILITY_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ctx := context.Background()
	db := poolFor(t, pgtest.URL(t, "", nil))
	if _, err := db.Exec(ctx, isolationSchema); err != nil {
		t.Fatal(err)
	}
	const months = 6
	for m := 1; m <= months; m++ {
		if _, err := db.Exec(ctx, fmt.Sprintf(`CREATE TABLE events_2024_%02d PARTITION OF events FOR VALUES FROM ('2024-%02d-01') TO ('%s')`,
			m, m, time.Date(2024, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02"))); err != nil {
			t.Fatal(err)
		}
	}
	nTenants := 4 + rng.IntN(4)
	var tenants [][]any
	var items, events [][]any
	for tn := 1; tn <= nTenants; tn++ {
		tenants = append(tenants, []any{int64(tn), "tenant-" + strconv.Itoa(tn)})
		nItems := 1 + rng.IntN(15)
		for i := 1; i <= nItems; i++ {
			items = append(items, []any{int64(tn), int64(i), fmt.Sprintf("item %d/%d", tn, i)})
		}
		for m := 1; m <= months; m++ {
			for range rng.IntN(30) {
				at := time.Date(2024, time.Month(m), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
				events = append(events, []any{int64(tn), int64(1 + rng.IntN(nItems)), at, rng.NormFloat64(), fmt.Sprintf("n%x", rng.Uint32())})
			}
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"tenants", []string{"id", "name"}, tenants},
		{"items", []string{"tenant_id", "id", "name"}, items},
		{"events", []string{"tenant_id", "item_id", "at", "value", "note"}, events},
	} {
		if _, err := db.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `CREATE TABLE lsos_ref.tenants AS SELECT * FROM tenants; CREATE TABLE lsos_ref.items AS SELECT * FROM items; CREATE TABLE lsos_ref.events AS SELECT * FROM events;`); err != nil {
		t.Fatal(err)
	}
	if err := retention.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	p := governance.Default()
	p.Retention = append(p.Retention, governance.RetentionRule{Category: governance.CategorySnapshots, Tables: []string{"events"}, Keep: p.Retention[0].Keep})
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	ob, err := retention.NewOffboarder(db, p, retention.OffboardConfig{Actor: "property", Now: now, BatchSize: 1 + rng.IntN(20)})
	if err != nil {
		t.Fatal(err)
	}
	store := openStore(t, t.TempDir())

	offboarded := map[int]bool{}
	archivedMonths := map[int]bool{}
	type archived struct {
		id    string
		month int
		gone  []int // tenants offboarded before the archive was taken
	}
	var archives []archived
	monthsIn := func() string {
		s := "0"
		for m := range archivedMonths {
			s += "," + strconv.Itoa(m)
		}
		return "(" + s + ")"
	}
	check := func(step string) {
		t.Helper()
		for tn := 1; tn <= nTenants; tn++ {
			id := strconv.Itoa(tn)
			if offboarded[tn] {
				for _, tb := range []string{"items", "events"} {
					if n := count(t, db, `SELECT count(*) FROM `+tb+` WHERE tenant_id = `+id); n != 0 {
						t.Fatalf("after %s: offboarded tenant %d has %d live %s rows", step, tn, n, tb)
					}
				}
				continue
			}
			pairs := [][2]string{
				{"tenants", "(SELECT id, name FROM tenants WHERE id = " + id + " AND status = 'active')"},
				{"items", "(SELECT * FROM items WHERE tenant_id = " + id + ")"},
				{"events", "(SELECT * FROM events WHERE tenant_id = " + id + ")"},
			}
			refs := []string{
				"(SELECT id, name FROM lsos_ref.tenants WHERE id = " + id + ")",
				"(SELECT * FROM lsos_ref.items WHERE tenant_id = " + id + ")",
				"(SELECT * FROM lsos_ref.events WHERE tenant_id = " + id + " AND extract(month FROM at)::int NOT IN " + monthsIn() + ")",
			}
			for i, pr := range pairs {
				if got, want := digestOf(t, db, pr[1], ""), digestOf(t, db, refs[i], ""); got != want {
					t.Fatalf("after %s: tenant %d %s is %v; want %v (seed %d)", step, tn, pr[0], got, want, seed)
				}
			}
		}
	}

	var ops []string
	var rowsChecked int64
	for i := 0; len(ops) < 10 && i < 60; i++ {
		var step string
		switch k := rng.IntN(3); {
		case k == 0 && len(offboarded) < nTenants-1:
			tn := 1 + rng.IntN(nTenants)
			if offboarded[tn] {
				continue
			}
			step = fmt.Sprintf("offboard tenant %d", tn)
			id := strconv.Itoa(tn)
			if _, err := ob.SoftDelete(ctx, id); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if _, err := ob.Export(ctx, id, store, "offboarding"); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			clock = clock.AddDate(0, 0, 31)
			if _, err := ob.HardDelete(ctx, id); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			offboarded[tn] = true
		case k == 1 && len(archivedMonths) < months:
			m := 1 + rng.IntN(months)
			if archivedMonths[m] {
				continue
			}
			step = fmt.Sprintf("archive month %d", m)
			part := fmt.Sprintf("public.events_2024_%02d", m)
			rep, err := archive.Run(ctx, db, store, p, archive.Options{Now: now, Partitions: []archive.Partition{{Name: part}}})
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			archivedMonths[m] = true
			var gone []int
			for tn := range offboarded {
				gone = append(gone, tn)
			}
			archives = append(archives, archived{id: rep.Partitions[0].ID, month: m, gone: gone})
		case k == 2 && len(archives) > 0:
			a := archives[rng.IntN(len(archives))]
			step = fmt.Sprintf("restore month %d", a.month)
			target := fmt.Sprintf("lsos_ref.restored_%d", i)
			if _, err := archive.Restore(ctx, db, store, a.id, archive.Target{Table: target}); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			notGone := "true"
			for _, tn := range a.gone {
				notGone += " AND tenant_id <> " + strconv.Itoa(tn)
			}
			got := digestOf(t, db, target, "")
			want := digestOf(t, db, "(SELECT * FROM lsos_ref.events WHERE extract(month FROM at)::int = "+strconv.Itoa(a.month)+" AND "+notGone+")", "")
			if got != want {
				t.Fatalf("%s: restored %v; archived partition had %v (seed %d)", step, got, want, seed)
			}
			rowsChecked += got.Rows
			if _, err := db.Exec(ctx, `DROP TABLE `+target); err != nil {
				t.Fatal(err)
			}
		default:
			continue
		}
		ops = append(ops, step)
		check(step)
	}
	rowsChecked += count(t, db, `SELECT count(*) FROM lsos_ref.events`) + count(t, db, `SELECT count(*) FROM lsos_ref.items`)
	t.Logf("FIGURE isolation property: seed %d, %d tenants, %d events, %d steps %q, invariants checked after each, %d reference rows + restored rows compared", seed, nTenants, len(events), len(ops), ops, rowsChecked)
}
