package migrate

import (
	"errors"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

// Statement is one SQL statement of a file, as PostgreSQL's parser splits it.
type Statement struct {
	SQL  string
	Line int // 1-based line of the statement's first token in the file
}

// splitStatements splits a file with PostgreSQL's own parser (pg_query), so dollar
// quoting, nested comments and semicolons in strings are handled as the server would.
func splitStatements(path string, src []byte) ([]Statement, error) {
	text := string(src)
	parts, err := pg_query.SplitWithParser(text, true)
	if err != nil {
		line := 0
		var pe *parser.Error
		if errors.As(err, &pe) && pe.Cursorpos > 0 && pe.Cursorpos <= len(text) {
			line = 1 + strings.Count(text[:pe.Cursorpos-1], "\n")
		}
		return nil, &FileError{File: path, Line: line, Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
	}
	var out []Statement
	cursor := 0
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		off := strings.Index(text[cursor:], p)
		if off < 0 { // cannot happen: parts are substrings of text
			off = 0
		} else {
			off += cursor
		}
		cursor = off + len(p)
		start := off + firstToken(p)
		if onlyComments(p) {
			continue
		}
		out = append(out, Statement{SQL: p, Line: 1 + strings.Count(text[:start], "\n")})
	}
	return out, nil
}

// firstToken returns the offset of the first byte that is neither white space nor
// inside a leading comment.
func firstToken(s string) int {
	i := 0
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return len(s)
			}
			i += nl + 1
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return len(s)
			}
			i += end + 4
		default:
			return i
		}
	}
	return i
}

func onlyComments(s string) bool { return firstToken(s) >= len(s) }

// checkTxSafe refuses statements that break a transactional file: transaction control
// (the engine wraps the file in its own transaction, so a COMMIT inside would make a
// half-applied file permanent) and statements PostgreSQL cannot run in a transaction.
func checkTxSafe(path string, src []byte, stmts []Statement) error {
	tree, err := pg_query.Parse(string(src))
	if err != nil {
		return nil // splitStatements already reported syntax errors
	}
	for i, raw := range tree.Stmts {
		if i >= len(stmts) {
			break
		}
		n := raw.Stmt
		var why string
		switch {
		case n.GetTransactionStmt() != nil:
			why = "transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) in a transactional file; remove it: each file already runs in one transaction"
		case n.GetIndexStmt() != nil && n.GetIndexStmt().Concurrent:
			why = "CREATE INDEX CONCURRENTLY cannot run inside a transaction; put it in its own file with -- lsos:no-transaction"
		case n.GetDropStmt() != nil && n.GetDropStmt().Concurrent:
			why = "DROP INDEX CONCURRENTLY cannot run inside a transaction; put it in its own file with -- lsos:no-transaction"
		case n.GetReindexStmt() != nil && hasConcurrently(n.GetReindexStmt().Params):
			why = "REINDEX CONCURRENTLY cannot run inside a transaction; put it in its own file with -- lsos:no-transaction"
		case n.GetVacuumStmt() != nil:
			why = "VACUUM cannot run inside a transaction; use a file with -- lsos:no-transaction"
		case n.GetCreatedbStmt() != nil || n.GetDropdbStmt() != nil:
			why = "CREATE/DROP DATABASE cannot run inside a transaction"
		}
		if why != "" {
			return &FileError{File: path, Line: stmts[i].Line, Err: errors.New(why)}
		}
	}
	return nil
}

func hasConcurrently(params []*pg_query.Node) bool {
	for _, p := range params {
		if d := p.GetDefElem(); d != nil && d.Defname == "concurrently" {
			return true
		}
	}
	return false
}
