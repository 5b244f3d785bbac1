// Package sqlident quotes and parses PostgreSQL identifiers. Every name that reaches SQL
// in this module goes through Quote or Name.Quoted; no SQL is built from unquoted input.
// The name type and its parser are public in package governance
// ([governance.QualifiedName]); this package keeps the short names internal code uses.
package sqlident

import (
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// MaxLen is PostgreSQL's identifier limit in bytes (NAMEDATALEN-1).
const MaxLen = governance.MaxIdentLen

// ErrInvalid is wrapped by every identifier error.
var ErrInvalid = governance.ErrInvalidName

// Quote returns s as a double-quoted identifier with embedded quotes doubled.
func Quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral returns s as a single-quoted SQL string literal (standard_conforming_strings).
func QuoteLiteral(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

// Check reports why s cannot be an identifier (see [governance.CheckIdent]).
func Check(s string) error { return governance.CheckIdent(s) }

// Name is a schema-qualified relation name: the public [governance.QualifiedName].
type Name = governance.QualifiedName

// Parse reads "table", "schema.table" or quoted forms (see
// [governance.ParseQualifiedName]).
func Parse(s, defaultSchema string) (Name, error) {
	return governance.ParseQualifiedName(s, defaultSchema)
}

// SplitParts splits a dotted name into its parts, honouring double quotes.
func SplitParts(s string) ([]string, error) { return governance.SplitIdentParts(s) }

// QuoteList quotes each name and joins them with ", ".
func QuoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Quote(n)
	}
	return strings.Join(q, ", ")
}
