package governance

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// PolicyChange describes how two policies differ and who must approve the change.
type PolicyChange struct {
	// Changed lists the top-level keys whose value differs, such as "retention".
	Changed []string `json:"changed"`
	// Reasons explains each required approval beyond the schema-change default.
	Reasons []string `json:"reasons"`
	// Approvals lists who must sign the change (policy §10).
	Approvals []Approver `json:"approvals"`
}

// DiffPolicies compares old and new and says which approvals the change needs: any
// change needs the schema-change approvers; a retention, retention-floor or offboarding
// (deletion) change needs legal/compliance review; a class change that makes something
// sensitive or stops it being sensitive needs security review.
func DiffPolicies(old, new *Policy) PolicyChange {
	var ch PolicyChange
	ov, nv := reflect.ValueOf(*old), reflect.ValueOf(*new)
	t := ov.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		// An empty list and a missing one mean the same policy.
		if !cmp.Equal(ov.Field(i).Interface(), nv.Field(i).Interface(), cmpopts.EquateEmpty()) {
			ch.Changed = append(ch.Changed, yamlName(f))
		}
	}
	if len(ch.Changed) == 0 {
		return ch
	}
	retention := slices.ContainsFunc(ch.Changed, func(k string) bool {
		return k == "retention" || k == "retention_floors" || k == "offboarding" || k == "time_zone"
	})
	if retention {
		ch.Reasons = append(ch.Reasons, "retention or deletion settings changed: legal/compliance review (policy §10)")
	}
	sensitive := false
	for _, diff := range sensitiveClassChanges(old, new) {
		sensitive = true
		ch.Reasons = append(ch.Reasons, diff)
	}
	ch.Approvals = new.Approvals.Required(true, sensitive, retention)
	return ch
}

func sensitiveClassChanges(old, new *Policy) []string {
	var out []string
	cmpMap := func(kind string, o, n map[string]Class) {
		keys := map[string]bool{}
		for k := range o {
			keys[k] = true
		}
		for k := range n {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			a, b := o[k], n[k]
			if a != b && (a == Sensitive || b == Sensitive) {
				out = append(out, fmt.Sprintf("class of %s %s changes from %q to %q: security review (policy §10)", kind, k, a, b))
			}
		}
	}
	cmpMap("column", old.Classes.Columns, new.Classes.Columns)
	cmpMap("table", old.Classes.Tables, new.Classes.Tables)
	return out
}

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	for i := range len(tag) {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	if tag == "" {
		return f.Name
	}
	return tag
}
