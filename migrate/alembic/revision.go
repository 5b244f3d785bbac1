package alembic

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Revision is one Alembic revision file, as read from its source (no Python runs).
type Revision struct {
	// ID is the `revision = "…"` identifier.
	ID string
	// DownRevisions are the revisions this one follows: none for a base, one
	// usually, several for a merge revision (`down_revision = ("a", "b")`).
	DownRevisions []string
	// BranchLabels and DependsOn are `branch_labels` and `depends_on`.
	BranchLabels []string
	DependsOn    []string
	// Message is the first paragraph of the module docstring, as `alembic history`
	// shows it.
	Message string
	// Doc is the whole module docstring.
	Doc string
	// CreateDate is the docstring's "Create Date:" header, zero when absent or not
	// parseable. A date without a zone is taken as UTC.
	CreateDate time.Time
	// File is the path of the revision file (as opened: a disk path for [Open], a
	// path in the file system for [OpenFS]); Name is its path relative to the script
	// directory, with forward slashes (the key of its checksum).
	File string
	Name string
	// Line is the line of the `revision =` assignment; DownLine of `down_revision =`
	// (0 when absent) and DependsLine of `depends_on =`.
	Line, DownLine, DependsLine int
	// Upgrade and Downgrade describe the two functions; nil when the file has none.
	Upgrade, Downgrade *Func
	// Directives are the `# lsos:` comments of the file.
	Directives []Directive
	// Checksum is the base64 SHA-256 of the file's bytes.
	Checksum string

	strings []pyString // string literals inside upgrade() and downgrade(), for line mapping
}

// IsMerge reports whether the revision merges several down revisions.
func (r *Revision) IsMerge() bool { return len(r.DownRevisions) > 1 }

// IsBase reports whether the revision has no down revision.
func (r *Revision) IsBase() bool { return len(r.DownRevisions) == 0 }

// Func describes upgrade() or downgrade().
type Func struct {
	Line    int // the `def` line
	EndLine int // the last line of its body

	scopeEnd int // the line before the next top-level statement: comments up to it belong here
	// Empty: the body holds nothing but a docstring, comments, `pass` or `...`.
	Empty bool
	// RaisesOnly: every statement of the body is a `raise` (an irreversible
	// revision that refuses to go down).
	RaisesOnly bool
}

// Scope says which rendered SQL a directive applies to.
type Scope string

// Directive scopes.
const (
	ScopeBoth Scope = "both" // written in the docstring or at module level
	ScopeUp   Scope = "up"   // written inside upgrade()
	ScopeDown Scope = "down" // written inside downgrade()
)

// Directive is one `# lsos:` comment of a revision file, given back in the spelling
// of a native migration file: "# lsos:no-transaction" → "-- lsos:no-transaction".
type Directive struct {
	Text  string // "-- lsos:allow lock-risk reason=\"…\""
	File  string
	Line  int
	Scope Scope
	// Inferred marks a no-transaction directive the file does not write but its
	// rendered SQL needs (Alembic ran part of the step in an autocommit_block()).
	Inferred bool
}

// pyString is a string literal in a function body.
type pyString struct {
	Val  string
	Line int
	In   Scope
}

var (
	headerRE     = regexp.MustCompile(`^\s*(Revision ID|Revises|Create Date)\s*:\s*(.*?)\s*$`)
	directiveRE  = regexp.MustCompile(`^\s*#\s*lsos:(\S.*?)\s*$`)
	createLayout = []string{
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999 Z07:00",
		"2006-01-02 15:04:05.999999999-0700",
		"2006-01-02 15:04:05.999999999 -0700",
		"2006-01-02 15:04:05.999999999 MST",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04",
		"2006-01-02",
	}
)

// parseCreateDate reads Alembic's "Create Date:" header (str(datetime), with a zone
// when the ini sets `timezone`).
func parseCreateDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range createLayout {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseRevision reads one revision file. file is the path for messages, name the
// path relative to the script directory.
func parseRevision(file, name string, src []byte) (*Revision, error) {
	pf, err := tokenize(src)
	if err != nil {
		if fe, ok := err.(*FileError); ok {
			fe.File = file
		}
		return nil, err
	}
	r := &Revision{File: file, Name: name}
	fail := func(line int, format string, args ...any) error {
		return &FileError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
	}
	seen := map[string]int{}
	type fn struct {
		name  string
		f     *Func
		lines []logicalLine
	}
	var funcs []*fn
	var open *fn
	for li, ll := range pf.Lines {
		if ll.Indent > 0 {
			if open != nil {
				open.lines = append(open.lines, ll)
				open.f.EndLine = lastLine(ll)
			}
			continue
		}
		if open != nil {
			open.f.scopeEnd = ll.Line - 1
		}
		open = nil
		t := ll.Toks
		// Module docstring: the first statement, a lone string.
		if li == 0 && allStrings(t) {
			r.Doc = concatStrings(t)
			for _, x := range t {
				docDirectives(r, x, file, ScopeBoth)
			}
			continue
		}
		if isName(t, 0, "async") {
			t = t[1:]
		}
		if isName(t, 0, "def") && len(t) > 1 && t[1].Kind == tokName {
			f := &fn{name: t[1].Val, f: &Func{Line: t[0].Line, EndLine: lastLine(ll)}}
			// A one-line body: def downgrade(): pass
			if colon := bodyColon(t); colon >= 0 && colon+1 < len(t) {
				f.lines = append(f.lines, logicalLine{Toks: t[colon+1:], Indent: 1, Line: t[colon+1].Line})
			}
			funcs = append(funcs, f)
			open = f
			continue
		}
		if len(t) < 2 || t[0].Kind != tokName {
			continue
		}
		key := t[0].Val
		switch key {
		case "revision", "down_revision", "branch_labels", "depends_on":
		default:
			continue
		}
		eq := assignIndex(t)
		if eq < 0 {
			continue // e.g. revision.upper() or a comparison
		}
		if prev, ok := seen[key]; ok {
			return nil, fail(t[0].Line, "%w: %s is assigned twice (first on line %d)", ErrBadValue, key, prev)
		}
		seen[key] = t[0].Line
		v, err := parseLiteral(t[eq+1:])
		if err != nil {
			want := "None, a string or a tuple of strings"
			if key == "revision" {
				want = "a string literal"
			}
			return nil, fail(t[0].Line, "%w: %s must be %s: %v", ErrBadValue, key, want, err)
		}
		switch key {
		case "revision":
			if v.kind != valStr || strings.TrimSpace(v.str) == "" {
				return nil, fail(t[0].Line, "%w: revision must be a non-empty string literal, got %s", ErrBadValue, v.describe())
			}
			r.ID, r.Line = v.str, t[0].Line
		case "down_revision":
			ids, err := v.strings()
			if err != nil {
				return nil, fail(t[0].Line, "%w: down_revision must be None, a string or a tuple of strings: %v", ErrBadValue, err)
			}
			r.DownRevisions, r.DownLine = ids, t[0].Line
		case "branch_labels":
			ids, err := v.strings()
			if err != nil {
				return nil, fail(t[0].Line, "%w: branch_labels must be None, a string or a tuple of strings: %v", ErrBadValue, err)
			}
			r.BranchLabels = ids
		case "depends_on":
			ids, err := v.strings()
			if err != nil {
				return nil, fail(t[0].Line, "%w: depends_on must be None, a string or a tuple of strings: %v", ErrBadValue, err)
			}
			r.DependsOn, r.DependsLine = ids, t[0].Line
		}
	}
	if open != nil {
		open.f.scopeEnd = int(^uint(0) >> 1)
	}
	if r.ID == "" {
		return nil, &FileError{File: file, Line: 1, Err: ErrNoRevision}
	}
	if strings.ContainsAny(r.ID, " \t\n,@:") {
		return nil, fail(r.Line, "%w: revision id %q contains a space, comma, '@' or ':'", ErrBadValue, r.ID)
	}
	for _, f := range funcs {
		var in Scope
		switch f.name {
		case "upgrade":
			r.Upgrade, in = f.f, ScopeUp
		case "downgrade":
			r.Downgrade, in = f.f, ScopeDown
		default:
			continue
		}
		f.f.Empty, f.f.RaisesOnly = bodyKind(f.lines)
		if len(f.lines) > 0 && allStrings(f.lines[0].Toks) {
			for _, x := range f.lines[0].Toks {
				docDirectives(r, x, file, in)
			}
		}
		for _, ll := range f.lines {
			for _, t := range ll.Toks {
				if t.Kind == tokString {
					r.strings = append(r.strings, pyString{Val: t.Val, Line: t.Line, In: in})
				}
			}
		}
	}
	r.readDoc()
	for _, c := range pf.Comments {
		m := directiveRE.FindStringSubmatch(c.Val)
		if m == nil {
			continue
		}
		scope := ScopeBoth
		if c.Col > 0 {
			for _, f := range []struct {
				f *Func
				s Scope
			}{{r.Upgrade, ScopeUp}, {r.Downgrade, ScopeDown}} {
				if f.f != nil && c.Line > f.f.Line && c.Line <= max(f.f.EndLine, f.f.scopeEnd) {
					scope = f.s
				}
			}
		}
		r.Directives = append(r.Directives, Directive{Text: "-- lsos:" + m[1], File: file, Line: c.Line, Scope: scope})
	}
	sortDirectives(r.Directives)
	return r, nil
}

// readDoc takes the message and the Create Date header from the docstring.
func (r *Revision) readDoc() {
	if r.Doc == "" {
		return
	}
	doc := strings.ReplaceAll(r.Doc, "\r\n", "\n")
	para, _, _ := strings.Cut(strings.TrimLeft(doc, "\n"), "\n\n")
	var msg []string
	for _, l := range strings.Split(para, "\n") {
		if headerRE.MatchString(l) || directiveRE.MatchString(l) {
			continue
		}
		if l = strings.TrimSpace(l); l != "" {
			msg = append(msg, l)
		}
	}
	r.Message = strings.Join(msg, " ")
	for _, l := range strings.Split(doc, "\n") {
		if m := headerRE.FindStringSubmatch(l); m != nil && m[1] == "Create Date" {
			if t, ok := parseCreateDate(m[2]); ok {
				r.CreateDate = t
			}
		}
	}
}

// docDirectives reads "# lsos:" lines written inside a docstring (the module's, or
// upgrade()'s or downgrade()'s with that function's scope).
func docDirectives(r *Revision, t token, file string, scope Scope) {
	body := t.Raw[len(t.Prefix):]
	q := body[:1]
	if strings.HasPrefix(body, strings.Repeat(q, 3)) {
		q = strings.Repeat(q, 3)
	}
	body = strings.TrimSuffix(strings.TrimPrefix(body, q), q)
	for i, l := range strings.Split(body, "\n") {
		if m := directiveRE.FindStringSubmatch(strings.TrimRight(l, "\r")); m != nil {
			r.Directives = append(r.Directives, Directive{Text: "-- lsos:" + m[1], File: file, Line: t.Line + i, Scope: scope})
		}
	}
}

func sortDirectives(ds []Directive) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].Line < ds[j-1].Line; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func lastLine(ll logicalLine) int {
	if len(ll.Toks) == 0 {
		return ll.Line
	}
	return ll.Toks[len(ll.Toks)-1].EndLine
}

func isName(t []token, i int, name string) bool {
	return i < len(t) && t[i].Kind == tokName && t[i].Val == name
}

func isOp(t token, op string) bool { return t.Kind == tokOp && t.Val == op }

func allStrings(t []token) bool {
	for _, x := range t {
		if x.Kind != tokString {
			return false
		}
	}
	return len(t) > 0
}

func concatStrings(t []token) string {
	var b strings.Builder
	for _, x := range t {
		b.WriteString(x.Val)
	}
	return b.String()
}

// bodyColon returns the index of the ':' ending a def header (after the closing
// parenthesis and an optional return annotation), or -1.
func bodyColon(t []token) int {
	depth := 0
	for i, x := range t {
		if x.Kind != tokOp {
			continue
		}
		switch x.Val {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ":":
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// assignIndex returns the index of the '=' of "name = value" or
// "name: annotation = value" at bracket depth 0, or -1 when t is not such an
// assignment.
func assignIndex(t []token) int {
	if len(t) < 2 || t[1].Kind != tokOp || (t[1].Val != "=" && t[1].Val != ":") {
		return -1
	}
	depth := 0
	for i := 1; i < len(t); i++ {
		x := t[i]
		if x.Kind != tokOp {
			continue
		}
		switch x.Val {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case "=":
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// bodyKind classifies a function body.
func bodyKind(lines []logicalLine) (empty, raisesOnly bool) {
	stmts := 0
	raises := 0
	for i, ll := range lines {
		t := ll.Toks
		for len(t) > 0 && isOp(t[len(t)-1], ";") {
			t = t[:len(t)-1]
		}
		switch {
		case len(t) == 0:
		case isName(t, 0, "pass") && len(t) == 1:
		case len(t) == 1 && isOp(t[0], "..."):
		case i == 0 && allStrings(t): // docstring
		default:
			stmts++
			if isName(t, 0, "raise") {
				raises++
			}
		}
	}
	return stmts == 0, stmts > 0 && raises == stmts
}

// A literal value: None, a string, or a tuple/list of values.
type valKind int

const (
	valNone valKind = iota + 1
	valStr
	valSeq
	valOther
)

type value struct {
	kind  valKind
	str   string
	items []value
	text  string // source, for messages
}

func (v value) describe() string {
	switch v.kind {
	case valNone:
		return "None"
	case valSeq:
		return "a tuple or list"
	case valOther:
		return v.text
	}
	return "a string"
}

// strings returns the identifiers of None, a string, or a flat sequence of strings.
func (v value) strings() ([]string, error) {
	switch v.kind {
	case valNone:
		return nil, nil
	case valStr:
		if strings.TrimSpace(v.str) == "" {
			return nil, fmt.Errorf("empty string")
		}
		return []string{v.str}, nil
	case valSeq:
		var out []string
		for _, it := range v.items {
			if it.kind != valStr || strings.TrimSpace(it.str) == "" {
				return nil, fmt.Errorf("item %s is not a non-empty string", it.describe())
			}
			out = append(out, it.str)
		}
		return out, nil
	}
	return nil, fmt.Errorf("got %s", v.describe())
}

// parseLiteral parses the right-hand side of an assignment.
func parseLiteral(t []token) (value, error) {
	if len(t) == 0 {
		return value{}, fmt.Errorf("no value after '='")
	}
	for _, x := range t {
		if isOp(x, "=") {
			return value{}, fmt.Errorf("chained assignment is not supported; assign a literal")
		}
	}
	p := &litParser{t: t}
	v, err := p.seq(true)
	if err != nil {
		return value{}, err
	}
	if p.i < len(p.t) {
		x := p.t[p.i]
		return value{}, fmt.Errorf("only a literal (a string, None, or a tuple/list of strings) is understood; found %s %q after it", x.Kind, x.Raw)
	}
	return v, nil
}

type litParser struct {
	t []token
	i int
}

// seq parses a comma-separated list; bare is true at the top (an unparenthesized
// tuple).
func (p *litParser) seq(bare bool) (value, error) {
	first, err := p.atom()
	if err != nil {
		return value{}, err
	}
	if !bare || p.i >= len(p.t) || !isOp(p.t[p.i], ",") {
		return first, nil
	}
	items := []value{first}
	for p.i < len(p.t) && isOp(p.t[p.i], ",") {
		p.i++
		if p.i >= len(p.t) {
			break
		}
		v, err := p.atom()
		if err != nil {
			return value{}, err
		}
		items = append(items, v)
	}
	return value{kind: valSeq, items: items}, nil
}

func (p *litParser) atom() (value, error) {
	if p.i >= len(p.t) {
		return value{}, fmt.Errorf("the value ends early")
	}
	x := p.t[p.i]
	switch {
	case x.Kind == tokString:
		var b strings.Builder
		for p.i < len(p.t) && p.t[p.i].Kind == tokString {
			s := p.t[p.i]
			if strings.ContainsAny(s.Prefix, "fb") {
				return value{}, fmt.Errorf("%s is an f-string or bytes literal; use a plain string", s.Raw)
			}
			b.WriteString(s.Val)
			p.i++
		}
		return value{kind: valStr, str: b.String()}, nil
	case x.Kind == tokName && x.Val == "None":
		p.i++
		return value{kind: valNone}, nil
	case isOp(x, "(") || isOp(x, "["):
		closing := map[string]string{"(": ")", "[": "]"}[x.Val]
		p.i++
		var items []value
		trailingComma := false
		for {
			if p.i >= len(p.t) {
				return value{}, fmt.Errorf("%q is never closed", x.Val)
			}
			if isOp(p.t[p.i], closing) {
				p.i++
				break
			}
			v, err := p.atom()
			if err != nil {
				return value{}, err
			}
			items = append(items, v)
			trailingComma = false
			if p.i < len(p.t) && isOp(p.t[p.i], ",") {
				p.i++
				trailingComma = true
				continue
			}
			if p.i < len(p.t) && isOp(p.t[p.i], closing) {
				continue
			}
			if p.i < len(p.t) {
				return value{}, fmt.Errorf("unexpected %q in %s…%s", p.t[p.i].Raw, x.Val, closing)
			}
		}
		if x.Val == "(" && len(items) == 1 && !trailingComma {
			return items[0], nil // parenthesized expression, not a tuple
		}
		return value{kind: valSeq, items: items}, nil
	}
	return value{kind: valOther, text: x.Raw}, fmt.Errorf("only a literal (a string, None, or a tuple/list of strings) is understood; got %s %q", x.Kind, x.Raw)
}
