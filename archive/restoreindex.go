package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// maxIdent is PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1).
const maxIdent = 63

// indexStatements rewrites the archived partition's index definitions (pg_get_indexdef
// text from the manifest) to build the same indexes on table. The definitions are not
// executed as stored: each is read as CREATE [UNIQUE] INDEX name ON [ONLY] relation USING
// rest, the relation must be the archived partition, and the statement is rebuilt with
// the new index name and table quoted by this package; rest (access method, key columns,
// INCLUDE, WITH, WHERE, as PostgreSQL printed them) is kept only when it is one
// balanced expression list with no statement separator, comment or dollar quote outside
// its string literals and quoted identifiers. taken lists the relation names already
// used in table's schema; a new name never collides with one of them nor with another
// new name.
func indexStatements(defs []string, partition governance.QualifiedName, table governance.QualifiedName, taken map[string]bool) ([]string, error) {
	out := make([]string, 0, len(defs))
	for _, def := range defs {
		ix, err := parseIndexDef(def)
		if err != nil {
			return nil, fmt.Errorf("the manifest's index definition %q: %w", def, err)
		}
		if ix.on.Name != partition.Name || (ix.on.Schema != "" && partition.Schema != "" && ix.on.Schema != partition.Schema) {
			return nil, fmt.Errorf("the manifest's index definition %q is on %s, not on the archived partition %s", def, ix.on, partition)
		}
		name := indexName(ix.name, partition.Name, table.Name, taken)
		taken[name] = true
		var b strings.Builder
		b.WriteString("CREATE ")
		if ix.unique {
			b.WriteString("UNIQUE ")
		}
		b.WriteString("INDEX " + sqlident.Quote(name) + " ON " + table.Quoted() + " USING " + ix.rest)
		out = append(out, b.String())
	}
	return out, nil
}

// indexDef is a pg_get_indexdef text taken apart.
type indexDef struct {
	unique bool
	name   string
	on     governance.QualifiedName
	rest   string // from the access method on
}

// errIndexDef is wrapped by every definition parseIndexDef refuses.
var errIndexDef = errors.New("not a single CREATE INDEX statement as pg_get_indexdef prints one")

// parseIndexDef reads the head of a pg_get_indexdef text with identifiers as PostgreSQL
// quotes them, and checks the tail with checkIndexTail.
func parseIndexDef(def string) (indexDef, error) {
	var ix indexDef
	s := def
	kw := func(w string) bool {
		if len(s) >= len(w)+1 && strings.EqualFold(s[:len(w)], w) && s[len(w)] == ' ' {
			s = s[len(w)+1:]
			return true
		}
		return false
	}
	if !kw("CREATE") {
		return ix, errIndexDef
	}
	ix.unique = kw("UNIQUE")
	if !kw("INDEX") {
		return ix, errIndexDef
	}
	var err error
	if ix.name, s, err = readIdent(s); err != nil {
		return ix, err
	}
	if !strings.HasPrefix(s, " ") {
		return ix, errIndexDef
	}
	s = s[1:]
	if !kw("ON") {
		return ix, errIndexDef
	}
	kw("ONLY")
	first, s, err := readIdent(s)
	if err != nil {
		return ix, err
	}
	ix.on = governance.QualifiedName{Name: first}
	if strings.HasPrefix(s, ".") {
		second, rest, err := readIdent(s[1:])
		if err != nil {
			return ix, err
		}
		ix.on, s = governance.QualifiedName{Schema: first, Name: second}, rest
	}
	if !strings.HasPrefix(s, " USING ") {
		return ix, errIndexDef
	}
	ix.rest = s[len(" USING "):]
	if err := checkIndexTail(ix.rest); err != nil {
		return ix, err
	}
	return ix, nil
}

// readIdent reads one identifier at the start of s: a double-quoted one (with ""
// escapes) or an unquoted one of lower-case letters, digits, _ and non-ASCII bytes, as
// quote_ident leaves them.
func readIdent(s string) (ident, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch {
			case s[i] == '"' && i+1 < len(s) && s[i+1] == '"':
				b.WriteByte('"')
				i++
			case s[i] == '"':
				if b.Len() == 0 {
					return "", "", fmt.Errorf("%w: empty quoted identifier", errIndexDef)
				}
				return b.String(), s[i+1:], nil
			default:
				b.WriteByte(s[i])
			}
		}
		return "", "", fmt.Errorf("%w: unterminated quoted identifier", errIndexDef)
	}
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || i > 0 && s[i] >= '0' && s[i] <= '9' || s[i] >= 0x80) {
		i++
	}
	if i == 0 {
		return "", "", fmt.Errorf("%w: expected an identifier at %q", errIndexDef, s)
	}
	return s[:i], s[i:], nil
}

// checkIndexTail accepts the part of an index definition after USING: an access method
// name, then a parenthesised column list and optional INCLUDE, NULLS NOT DISTINCT,
// WITH, TABLESPACE and WHERE clauses. Outside string literals and quoted identifiers it
// refuses a semicolon, a comment, a dollar sign (dollar quotes, parameters) and
// unbalanced parentheses, so the text cannot end the statement or hide another one.
func checkIndexTail(s string) error {
	method, rest, err := readIdent(s)
	if err != nil {
		return err
	}
	if method == "" || !strings.HasPrefix(rest, " (") {
		return fmt.Errorf("%w: expected the access method and a column list after USING", errIndexDef)
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			// E'…' strings take backslash escapes; standard strings only ''.
			escapes := i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') && (i == 1 || !isIdentByte(s[i-2]))
			if i > 1 && (s[i-1] == 'E' || s[i-1] == 'e') && s[i-2] >= '0' && s[i-2] <= '9' {
				// "1E'…'": PostgreSQL's lexer may read a number and then an E'…' string
				// where this loop would see an identifier and a standard string.
				return fmt.Errorf("%w: a string literal right after a number", errIndexDef)
			}
			j := i + 1
			for ; j < len(s); j++ {
				if escapes && s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return fmt.Errorf("%w: unterminated string literal", errIndexDef)
			}
			i = j
		case c == '"':
			_, rest, err := readIdent(s[i:])
			if err != nil {
				return err
			}
			i = len(s) - len(rest) - 1
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return fmt.Errorf("%w: unbalanced parentheses", errIndexDef)
			}
		case c == ';':
			return fmt.Errorf("%w: a statement separator", errIndexDef)
		case c == '$':
			return fmt.Errorf("%w: a dollar sign outside a string", errIndexDef)
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '/' && i+1 < len(s) && s[i+1] == '*':
			return fmt.Errorf("%w: a comment", errIndexDef)
		case c == 0:
			return fmt.Errorf("%w: a NUL byte", errIndexDef)
		}
	}
	if depth != 0 {
		return fmt.Errorf("%w: unbalanced parentheses", errIndexDef)
	}
	return nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// indexName names the restored copy of index orig: the partition's name prefix replaced
// by the table's ("ranking_snapshots_2025_03_pkey" restored into "audit_2025_03" becomes
// "audit_2025_03_pkey"), else the table's name and the original joined by "_". A name
// over 63 bytes is cut and given a hash of the whole, and a taken name gets the first
// free suffix _2, _3, …: the same inputs always give the same names.
func indexName(orig, partition, table string, taken map[string]bool) string {
	stem := table + "_" + orig
	if rest, ok := strings.CutPrefix(orig, partition); ok && rest != "" {
		stem = table + rest
	}
	name := fitIdent(stem, "")
	for i := 2; taken[name]; i++ {
		name = fitIdent(stem, "_"+strconv.Itoa(i))
	}
	return name
}

// fitIdent returns s+suffix, cut to 63 bytes (on a character boundary) with a short hash
// of s when too long, so that different long names stay different.
func fitIdent(s, suffix string) string {
	if len(s)+len(suffix) <= maxIdent {
		return s + suffix
	}
	h := sha256.Sum256([]byte(s))
	tail := "_" + hex.EncodeToString(h[:4]) + suffix
	cut := maxIdent - len(tail)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

// takenNames returns the relation names (tables, indexes, sequences, …) of schema: index
// names share that namespace.
func takenNames(ctx context.Context, db DB, schema string) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// createIndexes builds the manifest's indexes on the restored table tn, after its rows
// are loaded (one sort per index instead of per-row maintenance). Each statement runs
// alone over the extended protocol ([execOne]).
func createIndexes(ctx context.Context, tx pgx.Tx, m *Manifest, tn governance.QualifiedName) error {
	if len(m.Indexes) == 0 {
		return nil
	}
	taken, err := takenNames(ctx, tx, tn.Schema)
	if err != nil {
		return fmt.Errorf("archive: read names in schema %s: %w", tn.Schema, err)
	}
	part, err := exactName(m.PartitionName, m.Partition)
	if err != nil {
		return invalidManifest(m, "partition_name", err)
	}
	stmts, err := indexStatements(m.Indexes, part, tn, taken)
	if err != nil {
		return invalidManifest(m, "indexes", fmt.Errorf("%w (set Target.NoIndexes to restore without them)", err))
	}
	// The definitions were checked with standard string rules (a backslash escapes only in
	// E'…'); make the server read them the same way.
	if err := execOne(ctx, tx, `SET LOCAL standard_conforming_strings = on`); err != nil {
		return fmt.Errorf("archive: restore indexes: %w", err)
	}
	for _, s := range stmts {
		if err := execOne(ctx, tx, s); err != nil {
			return fmt.Errorf("archive: create index on %s (set Target.NoIndexes to restore without indexes): %s: %w", tn, s, err)
		}
	}
	return nil
}

// checkIndexDefs refuses, before anything runs, a manifest whose index definitions
// createIndexes would refuse.
func checkIndexDefs(m *Manifest) error {
	part, err := exactName(m.PartitionName, m.Partition)
	if err != nil {
		return invalidManifest(m, "partition_name", err)
	}
	for i, def := range m.Indexes {
		if _, err := indexStatements([]string{def}, part, part, map[string]bool{}); err != nil {
			return invalidManifest(m, fmt.Sprintf("indexes[%d]", i), err)
		}
	}
	return nil
}
