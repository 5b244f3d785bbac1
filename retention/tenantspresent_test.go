package retention

import (
	"context"
	"slices"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestEligibilityTenantsOnlyAgreesWithCounting: finding the tenants through the
// tenant-leading index gives the same verdicts and tenant lists as counting the rows,
// marks the rows as not counted, and a partition without such an index is still counted.
func TestEligibilityTenantsOnlyAgreesWithCounting(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	p := governance.Default()
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	counted, err := Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	indexed, err := EligibilityWith(ctx, db, p, cat, sampleNow, EligibilityOptions{TenantsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, name := range []string{"public.ranking_snapshots", "public.crawl_outputs"} {
		c, i := findTable(t, counted, name), findTable(t, indexed, name)
		if !slices.Equal(eligibleNames(c), eligibleNames(i)) || !slices.Equal(blockedNames(c), blockedNames(i)) {
			t.Fatalf("%s: verdicts differ: counted %v / %v, indexed %v / %v", name, eligibleNames(c), blockedNames(c), eligibleNames(i), blockedNames(i))
		}
		for k, e := range i.Eligible {
			if !slices.Equal(e.Tenants, c.Eligible[k].Tenants) || len(e.Tenants) == 0 {
				t.Errorf("%s: tenants %v through the index, %v counted", e.Partition, e.Tenants, c.Eligible[k].Tenants)
			}
			if e.Rows != RowsNotCounted || c.Eligible[k].Rows <= 0 {
				t.Errorf("%s: rows %d through the index (want %d), %d counted", e.Partition, e.Rows, RowsNotCounted, c.Eligible[k].Rows)
			}
			seen++
		}
	}
	if seen == 0 {
		t.Fatal("the sample must have eligible partitions")
	}
}

// TestTenantsByIndexNeedsALeadingBtreeIndex: without a valid btree index led by the tenant
// column the loose scan is not used (it would read the table once per tenant); with one
// it lists every non-NULL tenant once, in the column's order.
func TestTenantsByIndexNeedsALeadingBtreeIndex(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", pgtest.SQLSetup(
		`CREATE TABLE ev (tenant_id bigint, at date, v int)`,
		`INSERT INTO ev SELECT CASE WHEN g % 13 = 0 THEN NULL ELSE g % 9 * 10 END, DATE '2024-01-01', g FROM generate_series(1, 2000) g`,
		`CREATE INDEX ev_at_tenant ON ev (at, tenant_id)`,
		`CREATE INDEX ev_tenant_partial ON ev (tenant_id) WHERE v > 10`,
		`CREATE INDEX ev_tenant_hash ON ev USING hash (tenant_id)`))
	ev := governance.QualifiedName{Schema: "public", Name: "ev"}
	if ids, ok, err := tenantsByIndex(ctx, db, ev, "tenant_id"); err != nil || ok || ids != nil {
		t.Fatalf("without a leading btree index: ids %v ok %v err %v; want not used", ids, ok, err)
	}
	mustExec(t, db, `CREATE INDEX ev_tenant ON ev (tenant_id, at)`)
	ids, ok, err := tenantsByIndex(ctx, db, ev, "tenant_id")
	if err != nil || !ok {
		t.Fatalf("with ev_tenant: ok %v err %v", ok, err)
	}
	if want := []string{"0", "10", "20", "30", "40", "50", "60", "70", "80"}; !slices.Equal(ids, want) {
		t.Fatalf("tenants %v, want %v", ids, want)
	}
}
