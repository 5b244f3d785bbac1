package retention

import (
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
)

func handCatalog(tables ...Table) *TableCatalog {
	return &TableCatalog{Tables: tables, TenantKey: "id", TenantType: "bigint"}
}

func tbl(name string, cat governance.Category, hasData bool) Table {
	return Table{Name: governance.QualifiedName{Schema: "public", Name: name}, Category: cat, CategorySource: "rule", HasData: hasData, TenantColumn: "tenant_id"}
}

func TestCutoffsCalendar(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	newYork, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		name  string
		zone  string
		table string
		cat   governance.Category
		now   time.Time
		want  time.Time
	}{
		{"acceptance snapshots", "UTC", "ranking_snapshots", governance.CategorySnapshots,
			time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 26, 0, 0, 0, 0, time.UTC)},
		{"month end clamps to february", "UTC", "ranking_snapshots", governance.CategorySnapshots,
			time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC), time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC)},
		{"month end clamps to 30 days", "UTC", "delivery_log", governance.CategoryDelivery,
			time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC)},
		{"month end 31 to 30", "UTC", "ranking_snapshots", governance.CategorySnapshots,
			time.Date(2026, 7, 31, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)},
		{"into a leap february", "UTC", "ranking_snapshots", governance.CategorySnapshots,
			time.Date(2029, 3, 31, 0, 0, 0, 0, time.UTC), time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"from leap day, 12 months", "UTC", "delivery_log", governance.CategoryDelivery,
			time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"from leap day, 24 months", "UTC", "audit_log", governance.CategoryAudit,
			time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"berlin: already april locally", "Europe/Berlin", "ranking_snapshots", governance.CategorySnapshots,
			time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC), time.Date(2025, 3, 1, 1, 30, 0, 0, berlin)},
		{"new york: still november locally, across DST", "America/New_York", "ranking_snapshots", governance.CategorySnapshots,
			time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), time.Date(2025, 10, 30, 22, 0, 0, 0, newYork)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := governance.Default()
			p.TimeZone = c.zone
			rep := Cutoffs(p, handCatalog(tbl(c.table, c.cat, true)), c.now)
			if len(rep.Tables) != 1 {
				t.Fatalf("tables = %+v", rep.Tables)
			}
			got := rep.Tables[0]
			if got.Forever || !got.Cutoff.Equal(c.want) {
				t.Fatalf("cutoff = %s (forever %v), want %s", got.Cutoff, got.Forever, c.want)
			}
			if got.Cutoff.Location().String() != c.zone {
				t.Errorf("cutoff in %s, want the policy zone %s", got.Cutoff.Location(), c.zone)
			}
		})
	}
}

func TestCutoffsPlans(t *testing.T) {
	p := governance.Default()
	for i := range p.Retention {
		if p.Retention[i].Category == governance.CategorySummaries {
			p.Retention[i].Keep = governance.Months(36)
			p.Retention[i].Plans = map[string]governance.Keep{"enterprise": governance.Forever, "standard": governance.Months(18)}
		}
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("policy: %v", err)
	}
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	rep := Cutoffs(p, handCatalog(tbl("report_summaries", governance.CategorySummaries, true)), now)
	tc, ok := rep.Find("public.report_summaries")
	if !ok {
		t.Fatal("report_summaries missing")
	}
	if !tc.Cutoff.Equal(time.Date(2023, 11, 26, 0, 0, 0, 0, time.UTC)) || tc.Keep.Months != 36 {
		t.Errorf("default cutoff %s keep %s", tc.Cutoff, tc.Keep)
	}
	if c, _, ok := tc.CutoffFor("enterprise"); ok {
		t.Errorf("enterprise must keep forever, got cutoff %s", c)
	}
	if c, k, ok := tc.CutoffFor("standard"); !ok || !c.Equal(time.Date(2025, 5, 26, 0, 0, 0, 0, time.UTC)) || k.Months != 18 {
		t.Errorf("standard cutoff %s %s %v", c, k, ok)
	}
	if c, _, ok := tc.CutoffFor("unknown-plan"); !ok || !c.Equal(tc.Cutoff) {
		t.Errorf("an unknown plan must get the default cutoff, got %s", c)
	}
	// The seed keeps summaries forever.
	rep = Cutoffs(governance.Default(), handCatalog(tbl("report_summaries", governance.CategorySummaries, true)), now)
	if !rep.Tables[0].Forever || !rep.Tables[0].Cutoff.IsZero() {
		t.Errorf("seed summaries: %+v", rep.Tables[0])
	}
}

func TestCutoffsFloors(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	// A keep below the floor is rejected by Validate ...
	p := governance.Default()
	for i := range p.Retention {
		if p.Retention[i].Category == governance.CategoryDelivery {
			p.Retention[i].Keep = governance.Months(6)
		}
	}
	err := p.Validate()
	if err == nil || !strings.Contains(err.Error(), "below the policy floor") {
		t.Fatalf("Validate = %v, want a floor violation", err)
	}
	// ... and Cutoffs never goes below the floor even for an unvalidated policy.
	rep := Cutoffs(p, handCatalog(tbl("delivery_log", governance.CategoryDelivery, true)), now)
	if got := rep.Tables[0]; got.Keep.Months != 12 || !got.Cutoff.Equal(time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)) || got.Note == "" {
		t.Errorf("below-floor keep: %+v", got)
	}
	// A raised floor raises the cutoff of a rule that keeps less.
	p = governance.Default()
	p.RetentionFloors = map[governance.Category]governance.Keep{governance.CategoryAudit: governance.Years(3)}
	if err := p.Validate(); err == nil {
		t.Error("the audit rule keeps 24 months, below a raised 36-month floor: Validate must say so")
	}
	rep = Cutoffs(p, handCatalog(tbl("audit_log", governance.CategoryAudit, true)), now)
	if got := rep.Tables[0]; got.Keep.Months != 36 || !got.Cutoff.Equal(time.Date(2023, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("raised floor: %+v", got)
	}
	// A lowered floor is rejected.
	p = governance.Default()
	p.RetentionFloors = map[governance.Category]governance.Keep{governance.CategorySnapshots: governance.Months(6)}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "never lowered") {
		t.Errorf("lowered floor: Validate = %v", err)
	}
}

func TestCutoffsUnmatchedAndInferred(t *testing.T) {
	p := governance.Default()
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	root := tbl("tenants", "", true)
	root.Root, root.TenantColumn = true, ""
	audit := tbl("audit_events", governance.CategoryAudit, true)
	audit.CategorySource = "name"
	rep := Cutoffs(p, handCatalog(root, tbl("campaigns", "", true), tbl("empty_things", "", false), audit), now)
	if len(rep.Unmatched) != 1 || rep.Unmatched[0].Table != "public.campaigns" || !strings.Contains(rep.Unmatched[0].Reason, "retention rule") {
		t.Errorf("unmatched = %+v, want only public.campaigns", rep.Unmatched)
	}
	tc, ok := rep.Find("audit_events")
	if !ok || tc.Keep.Months != 24 || tc.CategorySource != "name" || !tc.Cutoff.Equal(time.Date(2024, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("inferred audit table: %+v", tc)
	}
	if _, ok := rep.Find("tenants"); ok {
		t.Error("the root tenants table is not tenant data and must not get a cutoff")
	}
}
