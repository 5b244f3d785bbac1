package alembic

import (
	"strings"
)

// sqlStmt is one statement of rendered SQL: its text (without the terminating
// semicolon, leading comments kept) and the 1-based line its first token is on.
type sqlStmt struct {
	Text string
	Line int
	// Comment is true for a chunk holding only comments (no statement).
	Comment bool
}

// splitSQL splits PostgreSQL text at top-level semicolons, honouring '…' and E'…'
// strings, "…" identifiers, $tag$…$tag$ bodies, -- and nested /* */ comments. It is
// used only to recognise Alembic's own bookkeeping statements in its offline output;
// the statements themselves go to the lint package unchanged.
func splitSQL(s string) []sqlStmt { return scanSQL(s, nil) }

// scanSQL is splitSQL that also calls onComment with the byte range and line of
// every top-level "--" comment that starts its line.
func scanSQL(s string, onComment func(start, end, line int)) []sqlStmt {
	var out []sqlStmt
	start, line, startLine := 0, 1, 1
	emit := func(end int) {
		text := s[start:end]
		if strings.TrimSpace(text) != "" {
			lead := len(text) - len(strings.TrimLeft(text, " \t\r\n"))
			out = append(out, sqlStmt{Text: strings.TrimSpace(text), Line: startLine + strings.Count(text[:lead], "\n"), Comment: onlyComments(text)})
		}
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			if onComment != nil && strings.TrimSpace(s[strings.LastIndexByte(s[:i], '\n')+1:i]) == "" {
				onComment(i, i+j, line)
			}
			i += j
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			depth := 0
			for i < len(s) {
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
					if s[i] == '\n' {
						line++
					}
					i++
				}
			}
		case c == '\'' || c == '"':
			escapes := c == '\'' && i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') && (i < 2 || !isIdentByte(s[i-2]))
			i++
			for i < len(s) {
				if escapes && s[i] == '\\' && i+1 < len(s) {
					if s[i+1] == '\n' {
						line++
					}
					i += 2
					continue
				}
				if s[i] == c {
					if i+1 < len(s) && s[i+1] == c {
						i += 2
						continue
					}
					i++
					break
				}
				if s[i] == '\n' {
					line++
				}
				i++
			}
		case c == '$' && (i == 0 || !isIdentByte(s[i-1])):
			j := i + 1
			for j < len(s) && isIdentByte(s[j]) && !(j == i+1 && s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j < len(s) && s[j] == '$' {
				tag := s[i : j+1]
				end := strings.Index(s[j+1:], tag)
				if end < 0 {
					line += strings.Count(s[i:], "\n")
					i = len(s)
				} else {
					line += strings.Count(s[i:j+1+end+len(tag)], "\n")
					i = j + 1 + end + len(tag)
				}
			} else {
				i++
			}
		case c == ';':
			emit(i)
			i++
			start, startLine = i, line
		default:
			i++
		}
	}
	emit(len(s))
	return out
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// onlyComments reports whether s holds nothing but blanks and comments.
func onlyComments(s string) bool {
	return strings.TrimSpace(stripComments(s)) == ""
}

// stripComments removes leading -- and /* */ comments.
func stripComments(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"):
			j := strings.IndexByte(s, '\n')
			if j < 0 {
				return ""
			}
			s = s[j+1:]
		case strings.HasPrefix(s, "/*"):
			j := strings.Index(s, "*/")
			if j < 0 {
				return ""
			}
			s = s[j+2:]
		default:
			return s
		}
	}
}
