package retention

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
)

func TestCatalogSample(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	cat, err := Catalog(ctx, db, governance.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range lsos.Tables {
		if _, ok := cat.Find(name); !ok {
			t.Errorf("catalog misses %s", name)
		}
	}
	if _, ok := cat.Find("legal_holds"); ok {
		t.Error("the package's own tables must stay out of the catalog")
	}
	want := map[string]struct {
		cat  governance.Category
		time string
	}{
		"ranking_snapshots": {governance.CategorySnapshots, "captured_on"},
		"crawl_outputs":     {governance.CategorySnapshots, "crawled_on"},
		"audit_log":         {governance.CategoryAudit, "occurred_at"},
		"delivery_log":      {governance.CategoryDelivery, "sent_at"},
		"report_summaries":  {governance.CategorySummaries, "month"},
	}
	for name, w := range want {
		tb, _ := cat.Find(name)
		if tb.Category != w.cat || tb.TimeColumn != w.time {
			t.Errorf("%s: category %q time %q, want %q %q", name, tb.Category, tb.TimeColumn, w.cat, w.time)
		}
	}
	rs, _ := cat.Find("ranking_snapshots")
	if !rs.Partitioned || len(rs.Partitions) != 26 || rs.Partitions[0].Name.Name != "ranking_snapshots_2024_11" ||
		rs.Partitions[0].From != "2024-11-01" || rs.Partitions[0].To != "2024-12-01" {
		t.Errorf("ranking_snapshots partitions: %d, first %+v", len(rs.Partitions), rs.Partitions[0])
	}
	if cat.TenantTable == nil || cat.TenantKey != "id" || cat.TenantType != "bigint" {
		t.Errorf("tenant root: %+v %q %q", cat.TenantTable, cat.TenantKey, cat.TenantType)
	}
	if bt, _ := cat.Find("branding_assets"); bt.Class != governance.Artifact {
		t.Errorf("branding_assets class from its comment = %q", bt.Class)
	}
	// Inference: an audit-named table without a rule is category audit.
	mustExec(t, db, `CREATE TABLE admin_audit (tenant_id bigint NOT NULL REFERENCES tenants(id), happened_at timestamptz NOT NULL)`)
	mustExec(t, db, `CREATE TABLE security_events (tenant_id bigint NOT NULL, at timestamptz NOT NULL); COMMENT ON TABLE security_events IS 'lsos:class=audit'`)
	cat, err = Catalog(ctx, db, governance.Default())
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"admin_audit": "name", "security_events": "class"} {
		if tb, _ := cat.Find(name); tb.Category != governance.CategoryAudit || tb.CategorySource != src {
			t.Errorf("%s: category %q from %q, want audit from %s", name, tb.Category, tb.CategorySource, src)
		}
	}
	rep := Cutoffs(governance.Default(), cat, sampleNow)
	var unmatched []string
	for _, u := range rep.Unmatched {
		unmatched = append(unmatched, u.Table)
	}
	// Entity tables hold data without a rule: reported, never silently kept or dropped.
	for _, name := range []string{"public.users", "public.campaigns", "public.reviews"} {
		if !slices.Contains(unmatched, name) {
			t.Errorf("unmatched %v lacks %s", unmatched, name)
		}
	}
	if slices.Contains(unmatched, "public.tenants") || slices.Contains(unmatched, "public.audit_log") {
		t.Errorf("unmatched %v holds a root or covered table", unmatched)
	}
}

// expectedEligible derives eligibility from the partition names alone: monthly
// partition table_YYYY_MM ends on the first day of the next month.
func expectedEligible(t *testing.T, parts []Partition, cutoff time.Time) (eligible, blocked []string) {
	t.Helper()
	for _, p := range parts {
		var y, m int
		if _, err := fmt.Sscanf(p.Name.Name[strings.LastIndexByte(p.Name.Name[:len(p.Name.Name)-3], '_')+1:], "%d_%d", &y, &m); err != nil {
			t.Fatalf("partition name %s: %v", p.Name.Name, err)
		}
		end := time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC)
		if !end.After(cutoff) {
			eligible = append(eligible, p.Name.String())
		} else {
			blocked = append(blocked, p.Name.String())
		}
	}
	return eligible, blocked
}

func eligibleNames(te TableEligibility) []string {
	var out []string
	for _, e := range te.Eligible {
		out = append(out, e.Partition)
	}
	return out
}

func blockedNames(te TableEligibility) []string {
	var out []string
	for _, b := range te.Blocked {
		out = append(out, b.Partition)
	}
	return out
}

func findTable(t *testing.T, rep *EligibilityReport, name string) TableEligibility {
	t.Helper()
	for _, te := range rep.Tables {
		if te.Table == name {
			return te
		}
	}
	t.Fatalf("no eligibility for %s", name)
	return TableEligibility{}
}

func TestEligibilitySample(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	p := governance.Default()
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"public.ranking_snapshots", "public.crawl_outputs"} {
		te := findTable(t, rep, name)
		if want := time.Date(2025, 10, 26, 0, 0, 0, 0, time.UTC); !te.Cutoff.Equal(want) {
			t.Fatalf("%s cutoff %s, want %s", name, te.Cutoff, want)
		}
		tb, _ := cat.Find(name)
		wantE, wantB := expectedEligible(t, tb.Partitions, te.Cutoff)
		if len(wantE) == 0 {
			t.Fatal("the sample must have partitions older than the cutoff")
		}
		if got := eligibleNames(te); !slices.Equal(got, wantE) {
			t.Errorf("%s eligible\n got %v\nwant %v", name, got, wantE)
		}
		if got := blockedNames(te); !slices.Equal(got, wantB) {
			t.Errorf("%s blocked\n got %v\nwant %v", name, got, wantB)
		}
		for _, e := range te.Eligible {
			var n int64
			q := "SELECT count(*) FROM " + quoteKey(e.Partition)
			if err := db.QueryRow(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if e.Rows != n || n == 0 || len(e.Tenants) != 3 || e.To.After(te.Cutoff) || !e.From.Before(e.To) {
				t.Errorf("%s: rows %d (count %d) tenants %v range %s..%s", e.Partition, e.Rows, n, e.Tenants, e.From, e.To)
			}
		}
		for _, b := range te.Blocked {
			if !strings.Contains(b.Reason, "after the cutoff") {
				t.Errorf("%s blocked for %q", b.Partition, b.Reason)
			}
		}
	}
	// Unpartitioned delivery_log: rows older than 12 months, counted independently.
	te := findTable(t, rep, "public.delivery_log")
	var want int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM delivery_log WHERE sent_at < '2025-11-26T00:00:00Z'`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if te.Rows == nil || te.Rows.Rows != want || want == 0 || !te.Rows.Newest.Before(te.Cutoff) {
		t.Errorf("delivery_log rows %+v, want %d", te.Rows, want)
	}
	if te := findTable(t, rep, "public.report_summaries"); !te.Forever || te.Rows != nil || !strings.Contains(te.Note, "forever") {
		t.Errorf("report_summaries: %+v", te)
	}
}

func quoteKey(k string) string {
	s, n, _ := strings.Cut(k, ".")
	return `"` + s + `"."` + n + `"`
}

func TestEligibilityPlanOverride(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	p := governance.Default()
	p.Retention[0].Plans = map[string]governance.Keep{"enterprise": governance.Months(20)}
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	// Every partition holds data of tenant 2 (enterprise): its 20-month keep (cutoff
	// 2025-03-26) decides, not the 13-month default.
	te := findTable(t, rep, "public.ranking_snapshots")
	tb, _ := cat.Find("ranking_snapshots")
	wantE, _ := expectedEligible(t, tb.Partitions, time.Date(2025, 3, 26, 0, 0, 0, 0, time.UTC))
	if got := eligibleNames(te); !slices.Equal(got, wantE) || len(wantE) == 0 {
		t.Errorf("eligible %v, want %v", got, wantE)
	}
	var sawPlan bool
	for _, b := range te.Blocked {
		if strings.Contains(b.Reason, "tenant 2 (plan enterprise) keeps 20 months") {
			sawPlan = true
			if strings.Contains(b.Reason, "tenant 1") && b.Partition < "public.ranking_snapshots_2025_10" {
				t.Errorf("%s: standard tenants are past their cutoff: %s", b.Partition, b.Reason)
			}
		}
	}
	if !sawPlan {
		t.Errorf("no blocked partition names the enterprise tenant's keep: %+v", te.Blocked)
	}
	// Once tenant 2's rows are gone from a partition, the default cutoff applies there.
	mustExec(t, db, `DELETE FROM ranking_snapshots_2025_05 WHERE tenant_id = 2`)
	rep, err = Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(eligibleNames(findTable(t, rep, "public.ranking_snapshots")), "public.ranking_snapshots_2025_05") {
		t.Error("a partition without enterprise data must follow the default cutoff")
	}
}

func TestEligibilityLegalHold(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	p := governance.Default()
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	before, err := Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	h, err := AddHold(ctx, db, HoldSpec{TenantID: "1", Reason: "litigation 2026-17", By: "legal@lsos", From: sampleNow.AddDate(0, -1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	// Every sample partition holds all three tenants; take tenant 1 out of one so that
	// partition shows the hold blocks only partitions holding the held tenant's data.
	mustExec(t, db, `DELETE FROM ranking_snapshots_2025_01 WHERE tenant_id = 1`)
	after, err := Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	rsBefore, rsAfter := findTable(t, before, "public.ranking_snapshots"), findTable(t, after, "public.ranking_snapshots")
	if got := eligibleNames(rsAfter); !slices.Equal(got, []string{"public.ranking_snapshots_2025_01"}) {
		t.Errorf("with tenant 1 held, only the partition without its data stays eligible; got %v", got)
	}
	held := 0
	for _, b := range rsAfter.Blocked {
		if slices.Contains(eligibleNames(rsBefore), b.Partition) {
			held++
			if !slices.Equal(b.HoldIDs, []int64{h.ID}) || !strings.Contains(b.Reason, fmt.Sprintf("legal hold %d", h.ID)) {
				t.Errorf("%s blocked by %v: %s", b.Partition, b.HoldIDs, b.Reason)
			}
		}
	}
	if held != len(eligibleNames(rsBefore))-1 || held == 0 {
		t.Errorf("%d partitions blocked by the hold, want %d", held, len(eligibleNames(rsBefore))-1)
	}
	// A table-wide hold on the parent covers crawl_outputs partitions of every tenant.
	h2, err := AddHold(ctx, db, HoldSpec{Table: "crawl_outputs", Reason: "audit request", By: "legal@lsos", From: sampleNow.AddDate(0, 0, -1)})
	if err != nil {
		t.Fatal(err)
	}
	after, err = Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if co := findTable(t, after, "public.crawl_outputs"); len(co.Eligible) != 0 {
		t.Errorf("crawl_outputs eligible under a table hold: %v", eligibleNames(co))
	}
	// Delivery rows of the held tenant are blocked with the hold id.
	dl := findTable(t, after, "public.delivery_log")
	if len(dl.Blocked) != 1 || dl.Blocked[0].Tenant != "1" || dl.Blocked[0].HoldIDs[0] != h.ID {
		t.Errorf("delivery_log blocked = %+v", dl.Blocked)
	}
	// Releasing both holds restores eligibility.
	for _, id := range []int64{h.ID, h2.ID} {
		if err := ReleaseHold(ctx, db, id, "legal@lsos", sampleNow.AddDate(0, 0, -1).Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	after, err = Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := findTable(t, after, "public.ranking_snapshots"); len(got.Eligible) != len(rsBefore.Eligible) {
		t.Errorf("after release %d eligible, want %d", len(got.Eligible), len(rsBefore.Eligible))
	}
}
