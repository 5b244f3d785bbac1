package retention

import (
	"sort"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// CutoffReport lists, per table, the instant before which data may leave hot storage.
type CutoffReport struct {
	Now      time.Time
	Location *time.Location
	Tables   []TableCutoff
	// Unmatched lists tables that hold data but match no retention rule and no inferred
	// category: they are reported for a decision, never silently kept or dropped.
	Unmatched []Unmatched
}

// TableCutoff is the cutoff of one table.
type TableCutoff struct {
	Table string // schema.table, unquoted (for reports)
	// Name is the table's exact name: look the table up with it ([TableCatalog.FindName]),
	// never by re-parsing Table, which folds case and cannot hold a quote or a dot.
	Name           governance.QualifiedName `json:"-"`
	Category       governance.Category
	CategorySource string // "rule", "class" or "name"
	Keep           governance.Keep
	// Cutoff is now minus Keep in calendar months (policy time zone, month end clamped);
	// zero when Forever.
	Cutoff      time.Time
	Forever     bool
	Partitioned bool
	TimeColumn  string
	// Plans holds the plan-specific cutoffs the rule sets (policy §6 "plan dependent").
	Plans []PlanCutoff
	// Note says when the keep was raised to the category floor (an unvalidated policy
	// with a keep below the floor; governance.Validate rejects such a file).
	Note string
}

// PlanCutoff is the cutoff for tenants on one plan.
type PlanCutoff struct {
	Plan    string
	Keep    governance.Keep
	Cutoff  time.Time
	Forever bool
}

// Unmatched is a table that holds data but has no retention category.
type Unmatched struct {
	Table  string
	Reason string
}

// CutoffFor returns the cutoff for a tenant on plan (the table default for an unknown or
// empty plan); ok is false when the data is kept forever.
func (t TableCutoff) CutoffFor(plan string) (cutoff time.Time, keep governance.Keep, ok bool) {
	for _, pc := range t.Plans {
		if pc.Plan == plan && plan != "" {
			return pc.Cutoff, pc.Keep, !pc.Forever
		}
	}
	return t.Cutoff, t.Keep, !t.Forever
}

// Find returns the cutoff of table ("schema.table" or a bare name).
func (r *CutoffReport) Find(table string) (TableCutoff, bool) {
	for _, t := range r.Tables {
		if t.Table == table || unqualified(t.Table) == table {
			return t, true
		}
	}
	return TableCutoff{}, false
}

// Cutoffs computes the retention cutoff of every table in cat at now. Calendar arithmetic
// runs in p.Location() with month ends clamped ([governance.Keep.Cutoff]). A keep below
// the category floor is raised to the floor (and noted), because floors are minimums.
// The root tenants table and global tables are not tenant data and are skipped; every
// other table that holds data without a category goes to Unmatched.
func Cutoffs(p *governance.Policy, cat *TableCatalog, now time.Time) *CutoffReport {
	loc := p.Location()
	r := &CutoffReport{Now: now, Location: loc}
	for i := range cat.Tables {
		t := &cat.Tables[i]
		if t.Root {
			continue
		}
		if t.Category == "" {
			if t.HasData && !t.Global {
				r.Unmatched = append(r.Unmatched, Unmatched{Table: t.Key(),
					Reason: "holds data but no retention rule covers it and no category can be inferred; add it to a retention rule in the policy (it is kept until then)"})
			}
			continue
		}
		rule, ruled := p.RetentionFor(t.Name.Name)
		if !ruled {
			rule = inferredRule(p, t.Category)
		}
		tc := TableCutoff{Table: t.Key(), Name: t.Name, Category: t.Category, CategorySource: t.CategorySource,
			Partitioned: t.Partitioned, TimeColumn: t.TimeColumn}
		floor := p.Floor(t.Category)
		tc.Keep = rule.Keep
		if tc.Keep.IsZero() || tc.Keep.Less(floor) {
			tc.Note = "keep " + tc.Keep.String() + " is below the " + string(t.Category) + " floor; using the floor " + floor.String()
			tc.Keep = floor
		}
		tc.Cutoff, tc.Forever = cutoff(tc.Keep, now, loc)
		plans := make([]string, 0, len(rule.Plans))
		for plan := range rule.Plans {
			plans = append(plans, plan)
		}
		sort.Strings(plans)
		for _, plan := range plans {
			k := rule.Plans[plan]
			if k.Less(floor) {
				k = floor
			}
			pc := PlanCutoff{Plan: plan, Keep: k}
			pc.Cutoff, pc.Forever = cutoff(k, now, loc)
			tc.Plans = append(tc.Plans, pc)
		}
		r.Tables = append(r.Tables, tc)
	}
	return r
}

func cutoff(k governance.Keep, now time.Time, loc *time.Location) (time.Time, bool) {
	c, ok := k.Cutoff(now, loc)
	return c, !ok
}

// inferredRule is the rule for a table whose category was inferred: the policy's own
// rule of that category when it has one (its keep and plans), else the floor.
func inferredRule(p *governance.Policy, c governance.Category) governance.RetentionRule {
	for _, r := range p.Retention {
		if r.Category == c {
			return r
		}
	}
	return governance.RetentionRule{Category: c, Keep: p.Floor(c)}
}
