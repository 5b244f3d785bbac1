package governance

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxIdentLen is PostgreSQL's identifier limit in bytes (NAMEDATALEN-1).
const MaxIdentLen = 63

// ErrInvalidName is wrapped by every error about a malformed identifier or name.
var ErrInvalidName = errors.New("invalid identifier")

// QualifiedName is a schema-qualified relation name, as the SDK's public API takes and
// returns tables, partitions and parents. Its parts are the names as stored in the
// catalog (case and quotes resolved): use [ParseQualifiedName] to read one as SQL
// spells it, and Quoted to put one into SQL.
type QualifiedName struct {
	Schema string
	Name   string
}

// Quoted returns "schema"."name" (or "name" when Schema is empty), each part a
// double-quoted identifier with embedded quotes doubled.
func (n QualifiedName) Quoted() string {
	if n.Schema == "" {
		return quoteIdent(n.Name)
	}
	return quoteIdent(n.Schema) + "." + quoteIdent(n.Name)
}

// String returns schema.name without quotes, as findings print objects.
func (n QualifiedName) String() string {
	if n.Schema == "" {
		return n.Name
	}
	return n.Schema + "." + n.Name
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// CheckIdent reports why s cannot be an identifier: empty, a NUL byte, invalid UTF-8,
// or longer than 63 bytes (PostgreSQL would silently truncate it).
func CheckIdent(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty name", ErrInvalidName)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("%w: %q contains a NUL byte", ErrInvalidName, s)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, s)
	case len(s) > MaxIdentLen:
		return fmt.Errorf("%w: %q is %d bytes, over PostgreSQL's limit of %d", ErrInvalidName, s, len(s), MaxIdentLen)
	}
	return nil
}

// ParseQualifiedName reads "table", "schema.table" or quoted forms such as
// `"My Schema"."a.b"`. Unquoted parts are folded to lower case as PostgreSQL does;
// defaultSchema fills an unqualified name.
func ParseQualifiedName(s, defaultSchema string) (QualifiedName, error) {
	parts, err := SplitIdentParts(s)
	if err != nil {
		return QualifiedName{}, err
	}
	switch len(parts) {
	case 1:
		return QualifiedName{Schema: defaultSchema, Name: parts[0]}, nil
	case 2:
		return QualifiedName{Schema: parts[0], Name: parts[1]}, nil
	}
	return QualifiedName{}, fmt.Errorf("%w: %q has %d dot-separated parts; want table or schema.table", ErrInvalidName, s, len(parts))
}

// SplitIdentParts splits a dotted name into its parts, honouring double quotes and
// folding unquoted parts to lower case.
func SplitIdentParts(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	quoted, inQuote, started := false, false, false
	flush := func() error {
		p := cur.String()
		if !utf8.ValidString(p) {
			return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, s)
		}
		if !quoted {
			p = strings.ToLower(strings.TrimSpace(p))
		}
		if err := CheckIdent(p); err != nil {
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
			return nil, fmt.Errorf("%w: %q has a quote inside an unquoted name", ErrInvalidName, s)
		case c == '.':
			if err := flush(); err != nil {
				return nil, err
			}
		default:
			if quoted {
				return nil, fmt.Errorf("%w: %q has text after a closing quote", ErrInvalidName, s)
			}
			started = true
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%w: %q has an unterminated quote", ErrInvalidName, s)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return parts, nil
}
