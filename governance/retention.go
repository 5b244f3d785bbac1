package governance

import "fmt"

// Category is a retention category of policy §6; a retention rule's category decides
// which floor applies.
type Category string

// The retention categories of policy §6.
const (
	CategorySnapshots Category = "snapshots" // hot operational snapshots: 13 months minimum
	CategoryAudit     Category = "audit"     // audit logs: 24 months minimum
	CategoryDelivery  Category = "delivery"  // delivery logs: 12 months minimum
	CategorySummaries Category = "summaries" // aggregated reporting summaries: long-term, plan dependent
)

// Categories lists the retention categories.
func Categories() []Category {
	return []Category{CategorySnapshots, CategoryAudit, CategoryDelivery, CategorySummaries}
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	switch c {
	case CategorySnapshots, CategoryAudit, CategoryDelivery, CategorySummaries:
		return true
	}
	return false
}

// SeedFloors are the minimum keeps of policy §6. A policy file may raise a floor but
// never lower one. The seed gives no number for aggregated summaries ("long-term
// retention, plan/compliance dependent"): we read "long-term" as at least as long as the
// hot snapshots they summarise (13 months), with "forever" as the default keep.
func SeedFloors() map[Category]Keep {
	return map[Category]Keep{
		CategorySnapshots: Months(13),
		CategoryAudit:     Months(24),
		CategoryDelivery:  Months(12),
		CategorySummaries: Months(13),
	}
}

// RetentionRule assigns a keep to the tables of one category. Plans overrides the keep
// per tenant plan (policy §6 "plan/compliance dependent"); each plan keep must still be at
// or above the category floor.
type RetentionRule struct {
	Category   Category        `yaml:"category" json:"category"`
	Tables     []string        `yaml:"tables" json:"tables"`
	Keep       Keep            `yaml:"keep" json:"keep"`
	Plans      map[string]Keep `yaml:"plans,omitempty" json:"plans,omitempty"`
	TimeColumn string          `yaml:"time_column,omitempty" json:"time_column,omitempty"`
}

// RetentionFor returns the rule that covers table (unqualified or schema-qualified
// name), or false when no rule names it.
func (p *Policy) RetentionFor(table string) (RetentionRule, bool) {
	t := unqualified(table)
	for _, r := range p.Retention {
		for _, rt := range r.Tables {
			if unqualified(rt) == t {
				return r, true
			}
		}
	}
	return RetentionRule{}, false
}

// Floor returns the effective floor of a category: the seed floor, raised by the
// policy's retention_floors where those are higher.
func (p *Policy) Floor(c Category) Keep {
	f := SeedFloors()[c]
	if v, ok := p.RetentionFloors[c]; ok && f.Less(v) {
		f = v
	}
	return f
}

// KeepFor returns the keep that applies to table for a tenant on plan (empty plan: the
// rule's default keep). ok is false when no rule covers the table.
func (p *Policy) KeepFor(table, plan string) (keep Keep, rule RetentionRule, ok bool) {
	rule, ok = p.RetentionFor(table)
	if !ok {
		return Keep{}, rule, false
	}
	keep = rule.Keep
	if k, found := rule.Plans[plan]; found && plan != "" {
		keep = k
	}
	return keep, rule, true
}

func (c Category) describe() string {
	switch c {
	case CategorySnapshots:
		return "hot operational snapshots"
	case CategoryAudit:
		return "audit logs"
	case CategoryDelivery:
		return "delivery logs"
	case CategorySummaries:
		return "aggregated reporting summaries"
	}
	return fmt.Sprintf("category %q", string(c))
}
