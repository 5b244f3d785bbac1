// Package sqlident quotes and parses PostgreSQL identifiers. Every name that reaches SQL
// in this module goes through Quote or Name.Quoted; no SQL is built from unquoted input.
package sqlident

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxLen is PostgreSQL's identifier limit in bytes (NAMEDATALEN-1).
const MaxLen = 63

// ErrInvalid is wrapped by every identifier error.
var ErrInvalid = errors.New("invalid identifier")

// Quote returns s as a double-quoted identifier with embedded quotes doubled.
func Quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral returns s as a single-quoted SQL string literal (standard_conforming_strings).
func QuoteLiteral(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

// Check reports why s cannot be an identifier: empty, a NUL byte, invalid UTF-8, or
// longer than 63 bytes (PostgreSQL would silently truncate it).
func Check(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty name", ErrInvalid)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("%w: %q contains a NUL byte", ErrInvalid, s)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalid, s)
	case len(s) > MaxLen:
		return fmt.Errorf("%w: %q is %d bytes, over PostgreSQL's limit of %d", ErrInvalid, s, len(s), MaxLen)
	}
	return nil
}

// Name is a schema-qualified relation name.
type Name struct {
	Schema string
	Name   string
}

// Quoted returns "schema"."name" (or "name" when Schema is empty).
func (n Name) Quoted() string {
	if n.Schema == "" {
		return Quote(n.Name)
	}
	return Quote(n.Schema) + "." + Quote(n.Name)
}

// String returns schema.name without quotes, as findings print objects.
func (n Name) String() string {
	if n.Schema == "" {
		return n.Name
	}
	return n.Schema + "." + n.Name
}

// Parse reads "table", "schema.table" or quoted forms such as `"My Schema"."a.b"`.
// Unquoted parts are folded to lower case as PostgreSQL does. defaultSchema fills an
// unqualified name.
func Parse(s, defaultSchema string) (Name, error) {
	parts, err := splitParts(s)
	if err != nil {
		return Name{}, err
	}
	switch len(parts) {
	case 1:
		return Name{Schema: defaultSchema, Name: parts[0]}, nil
	case 2:
		return Name{Schema: parts[0], Name: parts[1]}, nil
	}
	return Name{}, fmt.Errorf("%w: %q has %d dot-separated parts; want table or schema.table", ErrInvalid, s, len(parts))
}

// SplitParts splits a dotted name into its parts, honouring double quotes.
func SplitParts(s string) ([]string, error) { return splitParts(s) }

func splitParts(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	quoted, inQuote, started := false, false, false
	flush := func() error {
		p := cur.String()
		if !utf8.ValidString(p) {
			return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalid, s)
		}
		if !quoted {
			p = strings.ToLower(strings.TrimSpace(p))
		}
		if err := Check(p); err != nil {
			return fmt.Errorf("name %q: %w", s, err)
		}
		parts = append(parts, p)
		cur.Reset()
		quoted, started = false, false
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '"' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case inQuote && c == '"':
			inQuote = false
		case inQuote:
			cur.WriteByte(c)
		case c == '"' && !started:
			inQuote, quoted, started = true, true, true
		case c == '"':
			return nil, fmt.Errorf("%w: %q has a quote inside an unquoted name", ErrInvalid, s)
		case c == '.':
			if err := flush(); err != nil {
				return nil, err
			}
		default:
			if quoted {
				return nil, fmt.Errorf("%w: %q has text after a closing quote", ErrInvalid, s)
			}
			started = true
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%w: %q has an unterminated quote", ErrInvalid, s)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return parts, nil
}

// QuoteList quotes each name and joins them with ", ".
func QuoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Quote(n)
	}
	return strings.Join(q, ", ")
}
