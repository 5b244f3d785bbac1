package alembic

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Direction is up (upgrade) or down (downgrade).
type Direction string

// Directions.
const (
	Up   Direction = "up"
	Down Direction = "down"
)

// Rendering is the SQL of every revision as Alembic's offline mode (`--sql`)
// renders it.
type Rendering struct {
	// Revisions are in apply order.
	Revisions []*RenderedRevision
	// Up and Down are Alembic's whole output: `upgrade base:heads --sql` and
	// `downgrade <head>:base --sql` (one run per head).
	Up   string
	Down []string
}

// Lookup returns the rendering of one revision, or nil.
func (r *Rendering) Lookup(id string) *RenderedRevision {
	for _, rr := range r.Revisions {
		if rr.Revision.ID == id {
			return rr
		}
	}
	return nil
}

// RenderedRevision is the SQL of one revision.
type RenderedRevision struct {
	Revision *Revision
	// Up and Down are the statements upgrade() and downgrade() render to, each
	// ending with ";", without Alembic's bookkeeping (BEGIN/COMMIT and the
	// alembic_version statements).
	Up, Down string
	// UpRaw and DownRaw are the revision's step exactly as Alembic printed it, from
	// its "-- Running …" line to the next one.
	UpRaw, DownRaw string
	// UpNoTransaction and DownNoTransaction report that part of the step runs
	// outside the migration transaction (an autocommit_block(): Alembic printed a
	// COMMIT before a statement of the step).
	UpNoTransaction, DownNoTransaction bool
	// Directives are the revision's `# lsos:` comments as `-- lsos:` lines.
	Directives []Directive

	upMap, downMap []stmtSource
}

// stmtSource maps the lines of one statement of Up or Down to the revision file.
type stmtSource struct {
	first, last int // lines in Up or Down, 1-based
	srcLine     int
}

// File returns the SQL of one direction as a native migration file would hold it:
// the leading `-- lsos:` directive block (the directives of the docstring and
// module level, plus those written inside that direction's function; and
// `-- lsos:no-transaction` when Alembic ran part of the step outside its
// transaction), a comment naming the revision, then the statements.
func (r *RenderedRevision) File(d Direction) string {
	head, body := r.header(d)
	if body == "" {
		body = "-- The revision renders no statement (a merge point or a no-op).\n"
	}
	return strings.Join(head, "\n") + "\n" + body
}

// DirectivesFor returns the directives that apply to one direction, in file order,
// with the inferred no-transaction appended when needed.
func (r *RenderedRevision) DirectivesFor(d Direction) []Directive {
	scope, noTx, fn := ScopeUp, r.UpNoTransaction, r.Revision.Upgrade
	if d == Down {
		scope, noTx, fn = ScopeDown, r.DownNoTransaction, r.Revision.Downgrade
	}
	var out []Directive
	hasNoTx := false
	for _, dv := range r.Directives {
		if dv.Scope == ScopeBoth || dv.Scope == scope {
			out = append(out, dv)
			if strings.TrimSpace(dv.Text) == "-- lsos:no-transaction" {
				hasNoTx = true
			}
		}
	}
	if noTx && !hasNoTx {
		line := 0
		if fn != nil {
			line = fn.Line
		}
		out = append(out, Directive{Text: "-- lsos:no-transaction", File: r.Revision.File, Line: line, Scope: scope, Inferred: true})
	}
	return out
}

func (r *RenderedRevision) header(d Direction) ([]string, string) {
	var head []string
	for _, dv := range r.DirectivesFor(d) {
		head = append(head, dv.Text)
	}
	what, body := "upgrade()", r.Up
	if d == Down {
		what, body = "downgrade()", r.Down
	}
	desc := "-- Alembic revision " + r.Revision.ID
	if r.Revision.Message != "" {
		desc += ": " + oneLine(r.Revision.Message)
	}
	head = append(head, desc, "-- "+what+" of "+r.Revision.Name+", rendered by alembic --sql")
	return head, body
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Source maps a line of [RenderedRevision.File](d) back to the revision file: the
// line of the string literal the statement came from when it was written as raw SQL
// (op.execute("…")), else the `def upgrade`/`def downgrade` line; directive lines map
// to their comment.
func (r *RenderedRevision) Source(d Direction, line int) (file string, srcLine int) {
	head, _ := r.header(d)
	dirs := r.DirectivesFor(d)
	file = r.Revision.File
	if line >= 1 && line <= len(dirs) {
		return file, dirs[line-1].Line
	}
	fn, m := r.Revision.Upgrade, r.upMap
	if d == Down {
		fn, m = r.Revision.Downgrade, r.downMap
	}
	def := 1
	if fn != nil {
		def = fn.Line
	}
	bodyLine := line - len(head)
	for _, s := range m {
		if bodyLine >= s.first && bodyLine <= s.last {
			return file, s.srcLine
		}
	}
	return file, def
}

// Render runs Alembic's offline mode over the whole history and splits its output
// into one up and one down script per revision. It needs Alembic (see
// [Config.Command]; a *[ToolNotFoundError] when it is missing) and the project on
// disk with its alembic.ini; env.py must support offline mode. A graph with a cycle
// or a dangling reference is a *[GraphError].
func (p *Project) Render(ctx context.Context) (*Rendering, error) {
	if err := p.graph.Err(); err != nil {
		return nil, err
	}
	out := &Rendering{}
	byID := map[string]*RenderedRevision{}
	for _, r := range p.graph.Order {
		rr := &RenderedRevision{Revision: r, Directives: r.Directives}
		out.Revisions = append(out.Revisions, rr)
		byID[r.ID] = rr
	}
	if len(out.Revisions) == 0 {
		return out, nil
	}
	up, err := p.run(ctx, "", "upgrade", "base:heads", "--sql")
	if err != nil {
		return nil, err
	}
	out.Up = string(up)
	if err := p.splitSteps(out.Up, Up, byID); err != nil {
		return nil, err
	}
	for _, h := range p.graph.Heads {
		down, err := p.run(ctx, "", "downgrade", h.ID+":base", "--sql")
		if err != nil {
			return nil, err
		}
		out.Down = append(out.Down, string(down))
		if err := p.splitSteps(string(down), Down, byID); err != nil {
			return nil, err
		}
	}
	for _, rr := range out.Revisions {
		if rr.UpRaw == "" || rr.DownRaw == "" {
			return nil, fmt.Errorf("%w: Alembic printed no %q step for revision %s (%s); does env.py run context.run_migrations() in offline mode?",
				ErrOutput, map[bool]string{true: "upgrade", false: "downgrade"}[rr.UpRaw == ""], rr.Revision.ID, rr.Revision.File)
		}
	}
	return out, nil
}

// stepRE matches Alembic's step marker in offline output: "-- Running upgrade a -> b".
var stepRE = regexp.MustCompile(`^-- Running (upgrade|downgrade) ([^>]*?) ?-> ?(.*?)\s*$`)

type marker struct {
	start, end int
	line       int
	id         string
}

// splitSteps cuts Alembic's offline output at its step markers.
func (p *Project) splitSteps(text string, d Direction, byID map[string]*RenderedRevision) error {
	var ms []marker
	var bad error
	scanSQL(text, func(start, end, line int) {
		m := stepRE.FindStringSubmatch(text[start:end])
		if m == nil || bad != nil {
			return
		}
		if (m[1] == "upgrade") != (d == Up) {
			bad = fmt.Errorf("%w: a %q step in %s output (line %d)", ErrOutput, m[1], d, line)
			return
		}
		id := strings.TrimSpace(m[3])
		if d == Down {
			id = strings.TrimSpace(m[2])
		}
		if strings.Contains(id, ",") || byID[id] == nil {
			bad = fmt.Errorf("%w: line %d %q names no single revision of the script directory", ErrOutput, line, text[start:end])
			return
		}
		ms = append(ms, marker{start: start, end: end, line: line, id: id})
	})
	if bad != nil {
		return bad
	}
	for i, m := range ms {
		end := len(text)
		if i+1 < len(ms) {
			end = ms[i+1].start
		}
		raw := text[m.start:end]
		body := text[m.end:end]
		rr := byID[m.id]
		clean, noTx, smap := p.cleanStep(rr.Revision, d, body)
		switch d {
		case Up:
			if rr.UpRaw == "" {
				rr.UpRaw, rr.Up, rr.UpNoTransaction, rr.upMap = raw, clean, noTx, smap
			}
		case Down:
			if rr.DownRaw == "" {
				rr.DownRaw, rr.Down, rr.DownNoTransaction, rr.downMap = raw, clean, noTx, smap
			}
		}
	}
	return nil
}

// cleanStep removes Alembic's bookkeeping from one step and maps its statements to
// the revision file.
func (p *Project) cleanStep(r *Revision, d Direction, body string) (string, bool, []stmtSource) {
	versionRE := p.versionStmtRE()
	var b strings.Builder
	var smap []stmtSource
	committed, noTx := false, false
	line := 1
	scope := ScopeUp
	fn := r.Upgrade
	if d == Down {
		scope, fn = ScopeDown, r.Downgrade
	}
	for _, st := range splitSQL(body) {
		code := strings.TrimSpace(stripComments(st.Text))
		word := strings.ToUpper(code)
		switch {
		case word == "BEGIN" || word == "START TRANSACTION" || word == "BEGIN TRANSACTION":
			continue
		case word == "COMMIT" || word == "END" || word == "COMMIT TRANSACTION":
			committed = true
			continue
		case versionRE.MatchString(code):
			continue
		}
		if !st.Comment && committed {
			noTx = true
		}
		text := st.Text
		if !st.Comment {
			text += ";"
		}
		n := strings.Count(text, "\n") + 1
		src := 1
		if fn != nil {
			src = fn.Line
		}
		if l, ok := r.sourceLine(scope, code); ok {
			src = l
		}
		smap = append(smap, stmtSource{first: line, last: line + n - 1, srcLine: src})
		b.WriteString(text)
		b.WriteString("\n\n")
		line += n + 1
	}
	return b.String(), noTx, smap
}

// versionStmtRE matches the statements Alembic issues on its version table.
func (p *Project) versionStmtRE() *regexp.Regexp {
	t := `"?` + regexp.QuoteMeta(p.cfg.VersionTable) + `"?`
	if p.cfg.VersionTableSchema != "" {
		t = `"?` + regexp.QuoteMeta(p.cfg.VersionTableSchema) + `"?\.` + t
	} else {
		t = `(?:"?[A-Za-z_][A-Za-z0-9_$]*"?\.)?` + t
	}
	return regexp.MustCompile(`(?is)^(?:CREATE TABLE|INSERT INTO|UPDATE|DELETE FROM|DROP TABLE)\s+` + t + `(?:\s|\(|$)`)
}

// sourceLine finds the string literal of the function a rendered statement came
// from: the literal's line plus the offset of the statement's first line in it.
func (r *Revision) sourceLine(scope Scope, code string) (int, bool) {
	first, _, _ := strings.Cut(strings.TrimSpace(code), "\n")
	first = strings.TrimSpace(first)
	if len(first) < 6 {
		return 0, false
	}
	for _, s := range r.strings {
		if s.In != scope {
			continue
		}
		if i := strings.Index(s.Val, first); i >= 0 {
			return s.Line + strings.Count(s.Val[:i], "\n"), true
		}
		if v := strings.TrimSpace(s.Val); len(v) >= 6 && !strings.Contains(v, "\n") && strings.HasPrefix(first, v) {
			return s.Line, true
		}
	}
	return 0, false
}
