package review

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// stmt is one statement of a file, split as PostgreSQL's parser splits it.
type stmt struct {
	SQL     string
	Pos     int // byte offset of the first token in the file
	Line    int // line of the first token (1-based)
	EndLine int
	Node    *pg.Node
}

// splitStatements parses src with PostgreSQL's own parser.
func splitStatements(name, src string) ([]stmt, error) {
	tree, err := pg.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("review: %s: %v (fix the SQL; the file does not parse as PostgreSQL)", name, err)
	}
	var out []stmt
	for _, rs := range tree.Stmts {
		start := int(rs.StmtLocation)
		end := len(src)
		if rs.StmtLen > 0 {
			end = start + int(rs.StmtLen)
		}
		start = skipSpaceAndComments(src, start, end)
		text := strings.TrimSpace(src[start:end])
		out = append(out, stmt{
			SQL:     text,
			Pos:     start,
			Line:    1 + strings.Count(src[:start], "\n"),
			EndLine: 1 + strings.Count(src[:end], "\n"),
			Node:    rs.Stmt,
		})
	}
	return out, nil
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
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return end
			}
			i += j + 4
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
