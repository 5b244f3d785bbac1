package lint

import (
	"errors"
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/lsos/lsosgov/migrate"
)

// stmt is one statement of a file: split by package migrate (the splitter the
// executor uses) and parsed with PostgreSQL's own parser.
type stmt struct {
	SQL     string
	Pos     int // byte offset of the first token in the file
	Line    int // line of the first token (1-based)
	EndLine int
	Node    *pg.Node
}

// splitStatements splits src as the executor will and parses each statement with
// PostgreSQL's parser. A statement that does not parse is an error naming the file
// and the line.
func splitStatements(name, src string) ([]stmt, error) {
	parts, err := migrate.SplitStatements(name, []byte(src))
	if err != nil {
		return nil, err
	}
	out := make([]stmt, 0, len(parts))
	for _, p := range parts {
		tree, err := pg.Parse(p.SQL)
		if err != nil {
			return nil, &migrate.FileError{File: name, Line: p.Line + errLine(p.SQL, err), Err: fmt.Errorf("%w: %v (fix the SQL; the statement does not parse as PostgreSQL)", migrate.ErrSyntax, err)}
		}
		var node *pg.Node
		if len(tree.Stmts) > 0 {
			node = tree.Stmts[0].Stmt
		}
		if len(tree.Stmts) != 1 {
			return nil, fmt.Errorf("lint: %s:%d: the statement splits into %d statements for PostgreSQL's parser; report this file as a bug of the splitter", name, p.Line, len(tree.Stmts))
		}
		out = append(out, stmt{SQL: p.SQL, Pos: p.Pos, Line: p.Line, EndLine: p.EndLine, Node: node})
	}
	return out, nil
}

// errLine returns how many lines into sql a parser error's cursor points (0 when the
// error has no position).
func errLine(sql string, err error) int {
	var pe *pgparser.Error
	if errors.As(err, &pe) && pe.Cursorpos > 0 && pe.Cursorpos <= len(sql) {
		return strings.Count(sql[:pe.Cursorpos-1], "\n")
	}
	return 0
}

// skipSpaceAndComments returns the offset of the first token at or after i.
func skipSpaceAndComments(s string, i, end int) int {
	for i < end {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return end
			}
			i += j + 1
		case strings.HasPrefix(s[i:], "/*"):
			// Block comments nest in PostgreSQL.
			depth := 0
			for i < end {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			if depth > 0 {
				return end
			}
		default:
			return i
		}
	}
	return i
}

// qname renders a RangeVar as schema.table (public by default).
func qname(rv *pg.RangeVar) string {
	if rv == nil {
		return ""
	}
	s := rv.Schemaname
	if s == "" {
		s = "public"
	}
	return s + "." + rv.Relname
}

// nameList joins a list of String nodes ("public", "t") into "public.t".
func nameList(nodes []*pg.Node) string {
	var parts []string
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			parts = append(parts, s.Sval)
		}
	}
	if len(parts) == 1 {
		return "public." + parts[0]
	}
	return strings.Join(parts, ".")
}

// typeName renders a TypeName roughly as written, for messages and width estimates.
func typeName(t *pg.TypeName) string {
	if t == nil {
		return ""
	}
	var parts []string
	for _, n := range t.Names {
		if s := n.GetString_(); s != nil && s.Sval != "pg_catalog" {
			parts = append(parts, s.Sval)
		}
	}
	return strings.Join(parts, ".")
}

// funcNames lists the names of the functions called anywhere in n.
func funcNames(n *pg.Node) []string {
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch v := x.(type) {
		case *pg.Node:
			if v == nil {
				return
			}
			if fc := v.GetFuncCall(); fc != nil {
				if len(fc.Funcname) > 0 {
					if s := fc.Funcname[len(fc.Funcname)-1].GetString_(); s != nil {
						out = append(out, s.Sval)
					}
				}
				for _, a := range fc.Args {
					walk(a)
				}
				return
			}
			if tc := v.GetTypeCast(); tc != nil {
				walk(tc.Arg)
				return
			}
			if ae := v.GetAExpr(); ae != nil {
				walk(ae.Lexpr)
				walk(ae.Rexpr)
				return
			}
			if be := v.GetBoolExpr(); be != nil {
				for _, a := range be.Args {
					walk(a)
				}
				return
			}
			if ce := v.GetCoalesceExpr(); ce != nil {
				for _, a := range ce.Args {
					walk(a)
				}
			}
		}
	}
	walk(n)
	return out
}
