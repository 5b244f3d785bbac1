package lint

import (
	"regexp"
	"strings"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
)

// Classifier places a column in a data class of policy §5. ok is false when no rule,
// annotation or explicit policy entry settles it (the column is unclassified).
type Classifier func(table, column, dataType, comment string) (class governance.Class, ok bool)

var (
	annotationRe  = regexp.MustCompile(`lsos:class=([a-z]+)`)
	sensitiveRe   = regexp.MustCompile(`(^|_)(email|e_mail|password|passwd|pwd|secret|token|api_key|apikey|ssn|phone|mobile|ip|ip_address|full_name|first_name|last_name|birth|birthdate|dob|address|iban|card)(_|$)`)
	operationalRe = regexp.MustCompile(`^(id|tenant_id|name|title|plan|status|state|kind|type|url|domain|position|rank|rating|score|label|description|slug|keyword|phrase|locale|country|language|currency|priority|version|action|channel|source|target|checksum|body|note_count)$|_(id|at|on|count|total|date|status|url|name|type|kind|code|rank|score|position|version|no|num|number|seq)$|^seq(_|$)|^(is|has|can)_`)
)

// DefaultClassifier is the review's classifier when none is given: package classify's
// static decision (policy classes, annotations, name, type and table rules), then, for
// a column it leaves to value sampling, the review's name rules ([NameRules]): a
// migration's new column has no values to sample yet, and a column named title, label
// or seq_no is operational by its name. Free-form columns (notes, payload, data) stay
// unclassified, so a person decides.
func DefaultClassifier(p *governance.Policy) Classifier {
	names := NameRules(p)
	return func(table, column, dataType, comment string) (governance.Class, bool) {
		c, _, _, settled := classify.ClassifyColumn(p, table, column, dataType, comment)
		if settled {
			return c, true
		}
		return names(table, column, dataType, comment)
	}
}

// NameRules is a small classifier of the policy's explicit classes, a `lsos:class=`
// annotation in the column comment, then name and type rules. It leaves free-form
// columns (notes, payload, data) unplaced so that a person decides.
func NameRules(p *governance.Policy) Classifier {
	return func(table, column, dataType, comment string) (governance.Class, bool) {
		if c, _, ok := p.ExplicitClass(table, column); ok {
			return c, true
		}
		if m := annotationRe.FindStringSubmatch(comment); m != nil {
			if c := governance.Class(m[1]); c.Valid() {
				return c, true
			}
		}
		col := strings.ToLower(column)
		if sensitiveRe.MatchString(col) || dataType == "inet" || dataType == "cidr" {
			return governance.Sensitive, true
		}
		if operationalRe.MatchString(col) {
			return governance.Operational, true
		}
		switch {
		case dataType == "boolean", strings.HasPrefix(dataType, "timestamp"), dataType == "date",
			dataType == "integer", dataType == "bigint", dataType == "smallint",
			strings.HasPrefix(dataType, "numeric"), dataType == "double precision", dataType == "real":
			return governance.Operational, true
		}
		return "", false
	}
}
