package alembic

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The revision files are read with a small Python tokenizer rather than regular
// expressions over the whole file: a "revision = …" inside a docstring, a string that
// spans lines, or a comment must not be mistaken for an assignment.

type tokKind int

const (
	tokName tokKind = iota + 1
	tokNumber
	tokString
	tokOp
	tokComment
)

func (k tokKind) String() string {
	switch k {
	case tokName:
		return "name"
	case tokNumber:
		return "number"
	case tokString:
		return "string"
	case tokOp:
		return "operator"
	case tokComment:
		return "comment"
	}
	return "token"
}

// token is one Python token. For a string, Val is the decoded value and Raw the
// source text (prefix and quotes included).
type token struct {
	Kind    tokKind
	Raw     string
	Val     string
	Prefix  string // string prefix, lower-cased: "", "r", "b", "f", "rb", "u", …
	Line    int    // 1-based line of the first character
	EndLine int    // line of the last character
	Col     int    // 0-based byte column
}

// logicalLine is one Python logical line: its tokens (comments excluded) and the
// indentation of its first token.
type logicalLine struct {
	Toks   []token
	Indent int
	Line   int
}

// pyFile is a tokenized Python file.
type pyFile struct {
	Lines    []logicalLine
	Comments []token
}

var pyOps = []string{"**=", "//=", ">>=", "<<=", "...", "->", ":=", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "**", "//", "<<", ">>"}

// tokenize splits src into logical lines. Errors wrap ErrSyntax and carry the line
// in a *FileError (the caller fills in the file name).
func tokenize(src []byte) (*pyFile, error) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(src) {
		line := 1 + bytes.Count(src[:firstInvalidUTF8(src)], []byte("\n"))
		return nil, &FileError{Line: line, Err: syntaxError("the file is not valid UTF-8")}
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return nil, &FileError{Line: 1 + bytes.Count(src[:i], []byte("\n")), Err: syntaxError("NUL byte: not a Python source file")}
	}
	s := string(src)
	f := &pyFile{}
	var (
		i, line  = 0, 1
		lineOff  = 0 // offset of the current physical line's start
		depth    int
		opens    []token // open brackets, for messages
		cur      logicalLine
		inLine   bool // the logical line has a token
		contLine bool // a backslash continuation is pending
	)
	endLogical := func() {
		if inLine {
			f.Lines = append(f.Lines, cur)
		}
		cur, inLine = logicalLine{}, false
	}
	add := func(t token) {
		if !inLine {
			cur = logicalLine{Indent: t.Col, Line: t.Line}
			inLine = true
		}
		cur.Toks = append(cur.Toks, t)
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n':
			if depth == 0 && !contLine {
				endLogical()
			}
			contLine = false
			i++
			line++
			lineOff = i
			continue
		case c == '\\':
			j := i + 1
			if j < len(s) && s[j] == '\r' {
				j++
			}
			if j < len(s) && s[j] == '\n' {
				contLine = true
				i = j
				continue
			}
			if j >= len(s) {
				return nil, &FileError{Line: line, Err: syntaxError("backslash continuation at the end of the file")}
			}
			return nil, &FileError{Line: line, Err: syntaxError("unexpected character %q after a backslash (a line continuation must end the line)", s[j])}
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
			continue
		case c == '#':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			text := strings.TrimRight(s[i:i+j], "\r")
			f.Comments = append(f.Comments, token{Kind: tokComment, Raw: text, Val: text, Line: line, EndLine: line, Col: i - lineOff})
			i += j
			continue
		}
		col := i - lineOff
		// String, possibly with a prefix.
		if p, q, ok := stringStart(s[i:]); ok {
			start, startLine := i, line
			i += len(p)
			prefix := strings.ToLower(p)
			raw := strings.Contains(prefix, "r")
			triple := strings.HasPrefix(s[i:], strings.Repeat(string(q), 3))
			var body strings.Builder
			if triple {
				i += 3
				closed := false
				for i < len(s) {
					if strings.HasPrefix(s[i:], strings.Repeat(string(q), 3)) {
						i += 3
						closed = true
						break
					}
					if s[i] == '\\' && i+1 < len(s) {
						if s[i+1] == '\n' {
							line++
						}
						body.WriteString(s[i : i+2])
						i += 2
						continue
					}
					if s[i] == '\n' {
						line++
					}
					body.WriteByte(s[i])
					i++
				}
				if !closed {
					return nil, &FileError{Line: startLine, Err: syntaxError("unterminated triple-quoted string starting here")}
				}
			} else {
				i++
				closed := false
				for i < len(s) {
					if s[i] == q {
						i++
						closed = true
						break
					}
					if s[i] == '\n' {
						break
					}
					if s[i] == '\\' && i+1 < len(s) {
						if s[i+1] == '\n' {
							line++
						}
						body.WriteString(s[i : i+2])
						i += 2
						continue
					}
					body.WriteByte(s[i])
					i++
				}
				if !closed {
					return nil, &FileError{Line: startLine, Err: syntaxError("unterminated string: a %c-quoted string must close on the same line (use triple quotes for several lines)", q)}
				}
			}
			val := body.String()
			if !raw {
				v, err := unescapePy(val, strings.Contains(prefix, "b"))
				if err != nil {
					return nil, &FileError{Line: startLine, Err: syntaxError("string: %v", err)}
				}
				val = v
			}
			add(token{Kind: tokString, Raw: s[start:i], Val: val, Prefix: prefix, Line: startLine, EndLine: line, Col: col})
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '_' || unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				j += n
			}
			add(token{Kind: tokName, Raw: s[i:j], Val: s[i:j], Line: line, EndLine: line, Col: col})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) {
				d := s[j]
				if d >= '0' && d <= '9' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d == '_' || d == '.' {
					j++
					continue
				}
				if (d == '+' || d == '-') && (s[j-1] == 'e' || s[j-1] == 'E') && !strings.HasPrefix(strings.ToLower(s[i:j]), "0x") {
					j++
					continue
				}
				break
			}
			add(token{Kind: tokNumber, Raw: s[i:j], Val: s[i:j], Line: line, EndLine: line, Col: col})
			i = j
		default:
			op := ""
			for _, o := range pyOps {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if !strings.ContainsRune("()[]{}:,;.=+-*/%&|^~<>@!", r) {
					return nil, &FileError{Line: line, Err: syntaxError("unexpected character %q", r)}
				}
				op = string(r)
			}
			t := token{Kind: tokOp, Raw: op, Val: op, Line: line, EndLine: line, Col: col}
			switch op {
			case "(", "[", "{":
				depth++
				opens = append(opens, t)
			case ")", "]", "}":
				if depth == 0 {
					return nil, &FileError{Line: line, Err: syntaxError("unmatched %q", op)}
				}
				o := opens[len(opens)-1]
				if want := map[string]string{"(": ")", "[": "]", "{": "}"}[o.Val]; want != op {
					return nil, &FileError{Line: line, Err: syntaxError("%q does not match %q opened on line %d", op, o.Val, o.Line)}
				}
				depth--
				opens = opens[:len(opens)-1]
			}
			add(t)
			i += len(op)
		}
	}
	if depth > 0 {
		o := opens[len(opens)-1]
		return nil, &FileError{Line: o.Line, Err: syntaxError("%q is never closed", o.Val)}
	}
	endLogical()
	return f, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// stringStart reports whether s starts a string literal: its prefix and quote.
func stringStart(s string) (prefix string, quote byte, ok bool) {
	n := 0
	for n < len(s) && n < 3 && strings.ContainsRune("rRbBuUfF", rune(s[n])) {
		n++
	}
	if n < len(s) && (s[n] == '\'' || s[n] == '"') {
		p := strings.ToLower(s[:n])
		switch p {
		case "", "r", "u", "b", "f", "br", "rb", "fr", "rf":
			return s[:n], s[n], true
		}
	}
	return "", 0, false
}

// unescapePy decodes the backslash escapes of a non-raw Python string.
func unescapePy(s string, bytesLit bool) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if bytesLit && e != 'x' {
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			if i+1+n > len(s) {
				return "", errBadEscape(s[i-1:])
			}
			v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil || v > unicode.MaxRune {
				return "", errBadEscape(s[i-1 : i+1+n])
			}
			if e == 'x' && bytesLit {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
			i += n
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 32)
			b.WriteRune(rune(v))
			i = j - 1
		case 'N':
			end := strings.IndexByte(s[i:], '}')
			if bytesLit || i+1 >= len(s) || s[i+1] != '{' || end < 0 {
				b.WriteString(`\N`)
				continue
			}
			return "", errBadEscape(s[i-1 : i+end+1])
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String(), nil
}

type errBadEscape string

func (e errBadEscape) Error() string {
	return "unsupported escape " + strconv.Quote(string(e)) + " (write the character itself)"
}
