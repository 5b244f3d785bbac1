package classify

import (
	"fmt"
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// ChangeKind says how a column differs between two catalogs.
type ChangeKind string

// The kinds of change Diff reports.
const (
	ColumnAdded   ChangeKind = "added"
	ColumnRemoved ChangeKind = "removed"
	ClassChanged  ChangeKind = "class-changed"
	// TypeChanged is reported only for sensitive columns: retyping one is a change to the
	// sensitive data model (policy §10) even when its class stays.
	TypeChanged ChangeKind = "type-changed"
)

// Change is one column difference between two catalogs.
type Change struct {
	Table    string           `json:"table"`
	Column   string           `json:"column"`
	Kind     ChangeKind       `json:"kind"`
	OldClass governance.Class `json:"old_class,omitempty"`
	NewClass governance.Class `json:"new_class,omitempty"`
	OldType  string           `json:"old_type,omitempty"`
	NewType  string           `json:"new_type,omitempty"`
	// Sensitive is true when the column is sensitive before or after: policy §10 wants a
	// security review for such changes.
	Sensitive bool `json:"sensitive"`
}

// Object returns "schema.table.column".
func (c Change) Object() string { return c.Table + "." + c.Column }

// Changes is the result of Diff.
type Changes []Change

// Diff compares two catalogs column by column (old before a migration, new after):
// columns added or removed, and columns whose class changed, in new's order followed by
// removals in old's order.
func Diff(old, new *Catalog) Changes {
	key := func(c Column) string { return c.Table + "\x00" + c.Column }
	before := map[string]Column{}
	if old != nil {
		for _, c := range old.Columns {
			before[key(c)] = c
		}
	}
	out := Changes{}
	seen := map[string]bool{}
	if new != nil {
		for _, c := range new.Columns {
			k := key(c)
			seen[k] = true
			o, ok := before[k]
			switch {
			case !ok:
				out = append(out, Change{Table: c.Table, Column: c.Column, Kind: ColumnAdded, NewClass: c.Class, NewType: c.Type,
					Sensitive: c.Class == governance.Sensitive})
			case o.Class != c.Class:
				out = append(out, Change{Table: c.Table, Column: c.Column, Kind: ClassChanged, OldClass: o.Class, NewClass: c.Class,
					OldType: o.Type, NewType: c.Type, Sensitive: o.Class == governance.Sensitive || c.Class == governance.Sensitive})
			case o.Type != c.Type && c.Class == governance.Sensitive:
				out = append(out, Change{Table: c.Table, Column: c.Column, Kind: TypeChanged, OldClass: o.Class, NewClass: c.Class,
					OldType: o.Type, NewType: c.Type, Sensitive: true})
			}
		}
	}
	if old != nil {
		for _, c := range old.Columns {
			if !seen[key(c)] {
				out = append(out, Change{Table: c.Table, Column: c.Column, Kind: ColumnRemoved, OldClass: c.Class, OldType: c.Type,
					Sensitive: c.Class == governance.Sensitive})
			}
		}
	}
	return out
}

// Sensitive returns the changes that touch sensitive data.
func (cs Changes) Sensitive() Changes {
	out := Changes{}
	for _, c := range cs {
		if c.Sensitive {
			out = append(out, c)
		}
	}
	return out
}

// Findings reports each sensitive change as a sensitive-change finding (severity
// warning unless the policy says otherwise) naming the approvers policy §10 requires.
func (cs Changes) Findings(p *governance.Policy) governance.Findings {
	var out governance.Findings
	names := make([]string, len(p.Approvals.SensitiveChange))
	for i, a := range p.Approvals.SensitiveChange {
		names[i] = string(a)
	}
	approvers := strings.Join(names, ", ")
	for _, c := range cs.Sensitive() {
		var what string
		switch c.Kind {
		case ColumnAdded:
			what = "adds a sensitive column"
		case ColumnRemoved:
			what = "removes a sensitive column"
		case ClassChanged:
			what = fmt.Sprintf("changes the column's class from %s to %s", c.OldClass, c.NewClass)
		case TypeChanged:
			what = fmt.Sprintf("changes a sensitive column's type from %s to %s", c.OldType, c.NewType)
		}
		out = append(out, governance.Finding{
			Check:    governance.CheckSensitiveChange,
			Code:     "CL002",
			Severity: p.SeverityFor(governance.CheckSensitiveChange, governance.SeverityWarning),
			Object:   c.Object(),
			Message:  fmt.Sprintf("the change %s; sensitive data model changes need a security review (approvers: %s)", what, approvers),
		})
	}
	return out
}
