package classify

import (
	"fmt"
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// Catalog is the classification of every column of every table Classify read. Its JSON
// form is the govctl classify output: {"columns":[{"table":"public.users",…}],"tables":[…]}.
type Catalog struct {
	Columns []Column `json:"columns"`
	Tables  []Table  `json:"tables"`
}

// Column is the class of one column and the evidence for it.
type Column struct {
	// Table is schema-qualified: "public.users".
	Table  string `json:"table"`
	Column string `json:"column"`
	// Type is PostgreSQL's format_type text.
	Type       string           `json:"type"`
	Class      governance.Class `json:"class"`
	Source     Source           `json:"source"`
	Confidence float64          `json:"confidence"`
	// Reason explains the class; it never contains a data value, only counts and shapes.
	Reason string `json:"reason"`
	// Settled is false when nothing decided the class: it is the policy default and the
	// column is reported as unclassified-column.
	Settled bool `json:"settled"`
	// Sample summarises the values sampled for this column, when any were.
	Sample *SampleSummary `json:"sample,omitempty"`
}

// SampleSummary counts what the detectors found in a column's sample. It holds counts
// only, never values.
type SampleSummary struct {
	// Values is the number of non-null values tested.
	Values int `json:"values"`
	// Matches counts values per detector kind name ("email": 38); absent when none.
	Matches map[string]int `json:"matches,omitempty"`
}

// Object returns the finding object of the column: "schema.table.column".
func (c Column) Object() string { return c.Table + "." + c.Column }

// Table is the class of a table: the policy's table class, a table annotation, a table
// rule, or, failing those, the class all its non-sensitive columns agree on. Retention
// uses it to recognise audit tables.
type Table struct {
	// Table is schema-qualified: "public.audit_log".
	Table       string           `json:"table"`
	Class       governance.Class `json:"class"`
	Source      Source           `json:"source"`
	Reason      string           `json:"reason"`
	Settled     bool             `json:"settled"`
	Partitioned bool             `json:"partitioned,omitempty"`
	// SensitiveColumns lists the table's sensitive columns.
	SensitiveColumns []string `json:"sensitive_columns,omitempty"`
	// EstimatedRows is the planner's estimate (partitions summed) used to size the sample.
	EstimatedRows int64 `json:"estimated_rows"`
	// SampledRows is the number of rows read for sampling (0 when no column needed it).
	SampledRows int `json:"sampled_rows"`
	// SampleMethod says how rows were read: "tablesample system (p%) limit n" or "limit n".
	SampleMethod string `json:"sample_method,omitempty"`
}

// Column finds a column by "table.column" or "schema.table.column"; an unqualified table
// matches any schema.
func (c *Catalog) Column(ref string) (Column, bool) {
	i := strings.LastIndexByte(ref, '.')
	if i <= 0 {
		return Column{}, false
	}
	table, col := ref[:i], ref[i+1:]
	for _, x := range c.Columns {
		if x.Column == col && tableMatches(x.Table, table) {
			return x, true
		}
	}
	return Column{}, false
}

// Table finds a table by "table" or "schema.table".
func (c *Catalog) Table(name string) (Table, bool) {
	for _, t := range c.Tables {
		if tableMatches(t.Table, name) {
			return t, true
		}
	}
	return Table{}, false
}

// TablesOfClass lists the schema-qualified tables whose table-level class is class.
func (c *Catalog) TablesOfClass(class governance.Class) []string {
	var out []string
	for _, t := range c.Tables {
		if t.Class == class {
			out = append(out, t.Table)
		}
	}
	return out
}

// Unclassified returns the columns no source settled.
func (c *Catalog) Unclassified() []Column {
	var out []Column
	for _, x := range c.Columns {
		if !x.Settled {
			out = append(out, x)
		}
	}
	return out
}

// Findings reports each unsettled column as an unclassified-column finding (severity
// warning unless the policy says otherwise), so a human confirms the default class.
func (c *Catalog) Findings(p *governance.Policy) governance.Findings {
	var out governance.Findings
	for _, x := range c.Unclassified() {
		out = append(out, UnclassifiedFinding(p, x.Table, x.Column, x.Class))
	}
	return out
}

// UnclassifiedFinding is the unclassified-column finding for one column; the migration
// review uses it for columns a migration adds.
func UnclassifiedFinding(p *governance.Policy, table, column string, def governance.Class) governance.Finding {
	return governance.Finding{
		Check:    governance.CheckUnclassifiedColumn,
		Code:     "CL001",
		Severity: p.SeverityFor(governance.CheckUnclassifiedColumn, governance.SeverityWarning),
		Object:   table + "." + column,
		Message: fmt.Sprintf("no policy class, annotation, rule or detector classifies this column; it gets the default class %s. "+
			"Confirm it: add it to the policy's classes.columns, or COMMENT ON COLUMN with %s<class>", def, TagPrefix),
	}
}

func tableMatches(qualified, name string) bool {
	if qualified == name {
		return true
	}
	return !strings.Contains(name, ".") && unqualified(qualified) == name
}
