package migrate

import (
	"fmt"
	"strings"
)

// Statement is one SQL statement of a file, split as PostgreSQL's own scanner would
// split it (see [SplitStatements]).
type Statement struct {
	// SQL is the statement's text from its first token up to, not including, the
	// terminating semicolon.
	SQL string
	// Line is the 1-based line of the statement's first token in the file.
	Line int
	// EndLine is the 1-based line of the statement's last byte.
	EndLine int
	// Pos is the byte offset of the statement's first token in the file.
	Pos int
	// Comments are the "--" comment lines directly before the statement (between the
	// previous statement and this one), as written; directives are read from them.
	Comments []Comment

	inner []Comment // "--" comments inside the statement that look like directives
}

// Comment is one "--" comment line between statements.
type Comment struct {
	Text string // the whole line, trimmed, starting with "--"
	Line int
}

// SplitStatements splits src into statements in pure Go, following PostgreSQL's
// lexical rules: single-quoted strings (a doubled quote escapes a quote; in E'…' strings a backslash
// escapes), double-quoted identifiers, dollar quoting ($$…$$, $tag$…$tag$), "--" and
// nested "/* */" comments, and the BEGIN … END body of a CREATE FUNCTION or PROCEDURE
// written in SQL-standard form (BEGIN ATOMIC), whose inner semicolons do not end the
// statement. It needs no database and no cgo, so services can run migrations from a
// static binary. The error, a *[FileError] wrapping [ErrSyntax], names the line of an
// unterminated string, identifier or comment, or of a statement that does not start with
// an SQL command keyword (a typo such as "CREAT TABLE"); the server's parser reports
// any other syntax error when the statement runs, and the lint package checks every
// statement with PostgreSQL's own parser ahead of time.
func SplitStatements(name string, src []byte) ([]Statement, error) {
	return splitStatements(name, src)
}

func splitStatements(path string, src []byte) ([]Statement, error) {
	stmts, _, err := scanStatements(path, src)
	return stmts, err
}

// scanStatements splits src and also returns the comment lines after the last
// statement.
func scanStatements(path string, src []byte) ([]Statement, []Comment, error) {
	s := string(src)
	var (
		out      []Statement
		comments []Comment
		inner    []Comment
		start    = -1 // offset of the current statement's first token
		words    []string
		depth    int // BEGIN/CASE … END nesting inside a function body
	)
	flush := func(end int) error {
		if start < 0 {
			return nil
		}
		text := strings.TrimRightFunc(s[start:end], isSpace)
		st := Statement{SQL: text, Pos: start, Line: 1 + strings.Count(s[:start], "\n"), Comments: comments, inner: inner}
		st.EndLine = st.Line + strings.Count(text, "\n")
		if len(words) == 0 || !commandKeywords[words[0]] {
			first := text
			if len(words) > 0 {
				first = words[0]
			}
			if i := strings.IndexAny(first, " \t\r\n("); i > 0 {
				first = first[:i]
			}
			return &FileError{File: path, Line: st.Line, Err: fmt.Errorf("%w: %q does not start an SQL command (a typo?)", ErrSyntax, first)}
		}
		out = append(out, st)
		start, words, comments, inner, depth = -1, nil, nil, nil, 0
		return nil
	}
	syntaxErr := func(off int, what string) error {
		return &FileError{File: path, Line: 1 + strings.Count(s[:off], "\n"), Err: fmt.Errorf("%w: %s", ErrSyntax, what)}
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				end = len(s) - i
			}
			c := Comment{Text: strings.TrimSpace(s[i : i+end]), Line: 1 + strings.Count(s[:i], "\n")}
			if start < 0 {
				comments = append(comments, c)
			} else if _, ok := directiveLine(c.Text); ok {
				inner = append(inner, c)
			}
			i += end
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end, ok := skipBlockComment(s, i)
			if !ok {
				return nil, nil, syntaxErr(i, "unterminated /* comment")
			}
			i = end
		case c == ';' && depth == 0:
			if err := flush(i); err != nil {
				return nil, nil, err
			}
			i++
		default:
			if start < 0 {
				start = i
			}
			end, err := skipToken(s, i)
			if err != "" {
				return nil, nil, syntaxErr(i, err)
			}
			if isBareWord(s[i:end]) {
				w := strings.ToUpper(s[i:end])
				words = append(words, w)
				depth = bodyDepth(words, w, depth)
			}
			i = end
		}
	}
	if err := flush(len(s)); err != nil {
		return nil, nil, err
	}
	return out, comments, nil
}

// isBareWord reports whether a token is a keyword or unquoted identifier (not a
// string with a prefix such as E'…' or U&"…").
func isBareWord(tok string) bool {
	return tok != "" && isIdentStart(tok[0]) && !strings.ContainsAny(tok, "'\"&")
}

// bodyDepth tracks BEGIN/CASE … END nesting inside the body of a CREATE FUNCTION or
// CREATE PROCEDURE statement written with BEGIN ATOMIC, as psql does, so that the
// semicolons of the body's statements do not end the CREATE statement.
func bodyDepth(words []string, w string, depth int) int {
	if !createsRoutine(words) {
		return 0
	}
	switch w {
	case "BEGIN", "CASE":
		return depth + 1
	case "END":
		if depth > 0 {
			return depth - 1
		}
	}
	return depth
}

// createsRoutine reports whether the statement so far is CREATE [OR REPLACE]
// FUNCTION|PROCEDURE.
func createsRoutine(words []string) bool {
	if len(words) < 2 || words[0] != "CREATE" {
		return false
	}
	w := words[1]
	if w == "OR" && len(words) >= 4 {
		w = words[3]
	}
	return w == "FUNCTION" || w == "PROCEDURE"
}

// skipBlockComment returns the offset after the /* … */ comment at i; PostgreSQL's
// block comments nest.
func skipBlockComment(s string, i int) (int, bool) {
	depth := 0
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return i, false
}

// skipToken returns the offset after the token starting at i (a string, quoted
// identifier, dollar-quoted string, word or single character), or a description of
// what is unterminated.
func skipToken(s string, i int) (int, string) {
	c := s[i]
	switch {
	case c == '\'':
		return skipQuoted(s, i, '\'', false)
	case c == '"':
		return skipQuoted(s, i, '"', false)
	case (c == 'e' || c == 'E') && i+1 < len(s) && s[i+1] == '\'' && !identBefore(s, i):
		return skipQuoted(s, i+1, '\'', true)
	case (c == 'u' || c == 'U') && strings.HasPrefix(s[i+1:], "&'") && !identBefore(s, i):
		return skipQuoted(s, i+2, '\'', false)
	case (c == 'u' || c == 'U') && strings.HasPrefix(s[i+1:], "&\"") && !identBefore(s, i):
		return skipQuoted(s, i+2, '"', false)
	case (c == 'b' || c == 'B' || c == 'x' || c == 'X') && i+1 < len(s) && s[i+1] == '\'' && !identBefore(s, i):
		return skipQuoted(s, i+1, '\'', false)
	case c == '$' && !identBefore(s, i):
		if tag, ok := dollarTag(s, i); ok {
			end := strings.Index(s[i+len(tag):], tag)
			if end < 0 {
				return len(s), "unterminated dollar-quoted string " + tag
			}
			return i + len(tag) + end + len(tag), ""
		}
		return i + 1, ""
	case isIdentStart(c):
		j := i + 1
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		return j, ""
	}
	return i + 1, ""
}

// skipQuoted skips a quoted string or identifier opening at i. A doubled quote is an
// escaped quote; with backslash, \x escapes the next byte (E'…' strings).
func skipQuoted(s string, i int, q byte, backslash bool) (int, string) {
	j := i + 1
	for j < len(s) {
		switch {
		case backslash && s[j] == '\\':
			j += 2
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j += 2
		case s[j] == q:
			return j + 1, ""
		default:
			j++
		}
	}
	if q == '"' {
		return len(s), "unterminated quoted identifier"
	}
	return len(s), "unterminated quoted string"
}

// dollarTag returns the $tag$ opening at i: "$" then an optional identifier that does
// not start with a digit, then "$". "$1" (a parameter) is no tag.
func dollarTag(s string, i int) (string, bool) {
	j := i + 1
	if j < len(s) && s[j] == '$' {
		return "$$", true
	}
	if j >= len(s) || !isIdentStart(s[j]) {
		return "", false
	}
	for j < len(s) && isIdentChar(s[j]) && s[j] != '$' {
		j++
	}
	if j < len(s) && s[j] == '$' {
		return s[i : j+1], true
	}
	return "", false
}

// identBefore reports whether the byte before i continues an identifier (so a quote or
// dollar sign at i belongs to it, as in a$b$ or x'…' after a name).
func identBefore(s string, i int) bool { return i > 0 && isIdentChar(s[i-1]) }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
}

// commandKeywords are the words a PostgreSQL statement can start with (the SQL
// commands of the reference manual), plus "(" for a parenthesised query.
var commandKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ABORT ALTER ANALYZE ANALYSE BEGIN CALL CHECKPOINT CLOSE CLUSTER
		COMMENT COMMIT COPY CREATE DEALLOCATE DECLARE DELETE DISCARD DO DROP END EXECUTE
		EXPLAIN FETCH GRANT IMPORT INSERT LISTEN LOAD LOCK MERGE MOVE NOTIFY PREPARE
		REASSIGN REFRESH REINDEX RELEASE RESET REVOKE ROLLBACK SAVEPOINT SECURITY SELECT
		SET SHOW START TABLE TRUNCATE UNLISTEN UPDATE VACUUM VALUES WITH`) {
		m[w] = true
	}
	return m
}()

// Words returns the statement's first n bare words (keywords and unquoted
// identifiers) in upper case, skipping comments, strings and quoted identifiers; a
// parenthesis ends nothing, so REINDEX (CONCURRENTLY) TABLE t yields REINDEX,
// CONCURRENTLY, TABLE, T.
func (s Statement) Words(n int) []string { return leadingWords(s.SQL, n) }

func leadingWords(sql string, n int) []string {
	var out []string
	i := 0
	for i < len(sql) && len(out) < n {
		c := sql[i]
		switch {
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return out
			}
			i += end
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i, _ = skipBlockComment(sql, i)
		default:
			end, _ := skipToken(sql, i)
			if isBareWord(sql[i:end]) {
				out = append(out, strings.ToUpper(sql[i:end]))
			}
			i = end
		}
	}
	return out
}

// txUnsafe says why a statement cannot run inside the transaction that wraps a
// transactional file, or "" when it can: transaction control (the engine wraps the
// file in its own transaction, so a COMMIT inside would make a half-applied file
// permanent) and the commands PostgreSQL refuses in a transaction block.
func txUnsafe(st Statement) string {
	w := st.Words(12)
	if len(w) == 0 {
		return ""
	}
	has := func(word string) bool {
		for _, x := range w[1:] {
			if x == word {
				return true
			}
		}
		return false
	}
	switch w[0] {
	case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE":
		return "transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) in a transactional file; remove it: each file already runs in one transaction"
	case "PREPARE":
		if len(w) > 1 && w[1] == "TRANSACTION" {
			return "transaction control (PREPARE TRANSACTION) in a transactional file; remove it: each file already runs in one transaction"
		}
	case "CREATE":
		if has("INDEX") && has("CONCURRENTLY") && indexBeforeConcurrently(w) {
			return "CREATE INDEX CONCURRENTLY cannot run inside a transaction; put it in its own file with -- lsos:no-transaction"
		}
		if len(w) > 1 && (w[1] == "DATABASE" || w[1] == "TABLESPACE") {
			return "CREATE " + w[1] + " cannot run inside a transaction"
		}
	case "DROP":
		if len(w) > 1 && w[1] == "INDEX" && has("CONCURRENTLY") {
			return "DROP INDEX CONCURRENTLY cannot run inside a transaction; put it in its own file with -- lsos:no-transaction"
		}
		if len(w) > 1 && (w[1] == "DATABASE" || w[1] == "TABLESPACE") {
			return "DROP " + w[1] + " cannot run inside a transaction"
		}
	case "REINDEX":
		if has("CONCURRENTLY") {
			return "REINDEX CONCURRENTLY cannot run inside a transaction; put it in its own file with -- lsos:no-transaction"
		}
		if len(w) > 1 && (w[1] == "DATABASE" || w[1] == "SYSTEM") {
			return "REINDEX " + w[1] + " cannot run inside a transaction"
		}
	case "VACUUM":
		return "VACUUM cannot run inside a transaction; use a file with -- lsos:no-transaction"
	case "ALTER":
		if len(w) > 1 && w[1] == "SYSTEM" {
			return "ALTER SYSTEM cannot run inside a transaction"
		}
		if len(w) > 1 && w[1] == "TABLE" && has("DETACH") && has("PARTITION") && w[len(w)-1] == "CONCURRENTLY" {
			return "DETACH PARTITION … CONCURRENTLY cannot run inside a transaction; put it in its own file with -- lsos:no-transaction"
		}
	}
	return ""
}

// indexBeforeConcurrently checks CREATE [UNIQUE] INDEX CONCURRENTLY: CONCURRENTLY
// directly follows INDEX (a column or index could be named "concurrently" later on).
func indexBeforeConcurrently(w []string) bool {
	for i := 1; i+1 < len(w); i++ {
		if w[i] == "INDEX" {
			return w[i+1] == "CONCURRENTLY"
		}
	}
	return false
}

// checkStatements refuses what the executor cannot run as written: in a
// transactional file, statements that break its transaction (see txUnsafe); in a
// no-transaction file, transaction control, since each statement runs on its own and a
// BEGIN would pull the following ones (a CREATE INDEX CONCURRENTLY, say) into a
// transaction block where they fail.
func checkStatements(path string, stmts []Statement, noTransaction bool) error {
	for _, st := range stmts {
		why := txUnsafe(st)
		if noTransaction && why != "" && !isTxControl(st) {
			continue
		}
		if noTransaction && why != "" {
			why = "transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) in a -- lsos:no-transaction file; remove it: each statement already runs on its own, and inside BEGIN … COMMIT a CREATE INDEX CONCURRENTLY fails"
		}
		if why != "" {
			return &FileError{File: path, Line: st.Line, Err: fmt.Errorf("%w: %s", ErrNotInTransaction, why)}
		}
	}
	return nil
}

// isTxControl reports whether st is BEGIN, COMMIT, ROLLBACK, SAVEPOINT or the like.
func isTxControl(st Statement) bool {
	w := st.Words(2)
	if len(w) == 0 {
		return false
	}
	switch w[0] {
	case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE":
		return true
	case "PREPARE":
		return len(w) > 1 && w[1] == "TRANSACTION"
	}
	return false
}
