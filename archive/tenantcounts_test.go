package archive

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestManifestTenantCountsMatchTheTable: the tenant counts an archive records (taken from
// the export stream for integer, uuid and text tenant columns, counted by a query for
// the others) equal what the table held, NULL tenants included, and the drop happened.
func TestManifestTenantCountsMatchTheTable(t *testing.T) {
	ctx := context.Background()
	for typ, gen := range map[string]string{
		"bigint":  `(g % 7) + 1`,
		"uuid":    `('00000000-0000-4000-8000-' || lpad(((g % 5) * 1234567)::text, 12, '0'))::uuid`,
		"text":    `'tenant-' || (g % 4)`,
		"inet":    `('10.0.0.' || (g % 3))::inet`, // counted by the fallback query
		"char(8)": `'t' || (g % 2)`,               // as text its blanks go: fallback query
	} {
		t.Run(typ, func(t *testing.T) {
			db := pgtest.DB(t, "", pgtest.SQLSetup(
				`CREATE TABLE ev (tenant_id `+typ+`, at date NOT NULL, v int) PARTITION BY RANGE (at)`,
				`CREATE TABLE ev_2024_01 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')`,
				`INSERT INTO ev SELECT CASE WHEN g % 11 = 0 THEN NULL ELSE `+gen+` END, DATE '2024-01-01' + g % 31, g FROM generate_series(1, 3000) g`))
			rows, err := db.Query(ctx, `SELECT coalesce(tenant_id::text, ''), count(*) FROM ev_2024_01 GROUP BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{}
			for _, r := range must(pgx.CollectRows(rows, pgx.RowToStructByPos[TenantRows]))(t) {
				want[r.Tenant] = r.Rows
			}
			rep, err := run(t, db, fileStore(t), Options{Partitions: []Partition{{Name: "public.ev_2024_01"}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Partitions) != 1 || rep.Partitions[0].State != stateDropped {
				t.Fatalf("report %+v; want the partition dropped", rep.Partitions)
			}
			e, err := Get(ctx, db, rep.Partitions[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, r := range e.Manifest.Tenants {
				got[r.Tenant] += r.Rows
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("manifest tenants differ from the table (-table +manifest):\n%s", diff)
			}
		})
	}
}

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
