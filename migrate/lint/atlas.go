package lint

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	amigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlcheck"
	"ariga.io/atlas/sql/sqlcheck/condrop"
	"ariga.io/atlas/sql/sqlcheck/datadepend"
	"ariga.io/atlas/sql/sqlcheck/destructive"
	"ariga.io/atlas/sql/sqlcheck/incompatible"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lsos/lsosgov/governance"
)

// AtlasReport records what Atlas's sqlcheck analyzers said about the reviewed files and
// what became of each diagnostic.
type AtlasReport struct {
	// Analyzers are the Atlas analyzers run on each file.
	Analyzers []string `json:"analyzers"`
	// Diagnostics lists every Atlas diagnostic, in file order.
	Diagnostics []AtlasDiagnostic `json:"diagnostics"`
	// Skipped says why the analyzers did not run ("" when they did).
	Skipped string `json:"skipped,omitempty"`
}

// Outcomes of an Atlas diagnostic.
const (
	// AtlasMerged: a finding of ours on the same statement says the same thing; the
	// finding keeps its check and code and its message names the Atlas code.
	AtlasMerged = "merged"
	// AtlasFinding: no check of ours covers it; it became a finding of an atlas-* check.
	AtlasFinding = "finding"
	// AtlasAccepted: a check of ours covers it and accepted the statement (a deprecation
	// window that has passed, a declared contract step, a validated NOT NULL check, an
	// identity column), so it raised nothing.
	AtlasAccepted = "accepted"
)

// AtlasDiagnostic is one diagnostic of an Atlas analyzer.
type AtlasDiagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Analyzer string `json:"analyzer"`
	Code     string `json:"code"` // DS101, MF101, CD101, BC102, …
	Text     string `json:"text"`
	Outcome  string `json:"outcome"` // merged | finding | accepted
	Check    string `json:"check"`   // the check of the finding that carries it, or that accepted it
}

// atlasCover maps an Atlas code to the check and codes of ours that decide the same
// question; the Atlas diagnostic is merged into such a finding, or accepted when our
// check (which knows deprecations, expand/contract and validated checks) raised none.
var atlasCover = map[string]struct {
	check string
	codes []string
}{
	"DS102": {governance.CheckDestructiveChange, []string{"DC101"}},
	"DS103": {governance.CheckDestructiveChange, []string{"DC102"}},
	"BC101": {governance.CheckBackwardIncompatible, []string{"BI101"}},
	"BC102": {governance.CheckBackwardIncompatible, []string{"BI102"}},
	"MF103": {governance.CheckBackwardIncompatible, []string{"BI105"}},
	"MF104": {governance.CheckBackwardIncompatible, []string{"BI107"}},
}

// atlasCheck names the check of an Atlas-sourced finding by analyzer.
var atlasCheck = map[string]string{
	"destructive":  governance.CheckAtlasDestructive,
	"data_depend":  governance.CheckAtlasDataDepend,
	"condrop":      governance.CheckAtlasConDrop,
	"incompatible": governance.CheckAtlasIncompatible,
}

// atlasSeverity is the default severity of the atlas-* checks; the policy's severities
// map overrides it like any other check's.
var atlasSeverity = map[string]governance.Severity{
	governance.CheckAtlasDestructive:  governance.SeverityError,
	governance.CheckAtlasIncompatible: governance.SeverityError,
	governance.CheckAtlasDataDepend:   governance.SeverityWarning,
	governance.CheckAtlasConDrop:      governance.SeverityWarning,
}

// atlasRun holds the Atlas driver of a review: a database/sql session of its own on the
// dev database (Atlas inspects through database/sql; the review's statements commit one
// by one, so this session sees each statement's effect).
type atlasRun struct {
	db        *sql.DB
	conn      *sql.Conn
	drv       amigrate.Driver
	analyzers []sqlcheck.NamedAnalyzer
	// cache is the last inspected state and its scope key, valid until a statement that
	// may change the schema runs.
	cache    *schema.Realm
	cacheKey string
}

// atlasFile is the Atlas view of one file under review.
type atlasFile struct {
	changes []*sqlcheck.Change
	scope   scope
	from    *schema.Realm
	stmtAt  map[int]int   // statement position → index
	scopes  map[int]scope // statement position → the tables inspected around it
	name    string
	failed  bool
}

// openAtlas opens the Atlas driver on dev. A dev database given as something other than
// a pool or a connection (say, a transaction) cannot be reached from a second session:
// the analyzers are then skipped and the reason is returned.
func openAtlas(ctx context.Context, dev DB) (*atlasRun, string, error) {
	var cfg *pgx.ConnConfig
	switch c := dev.(type) {
	case *pgxpool.Pool:
		cfg = c.Config().ConnConfig
	case *pgxpool.Conn:
		cfg = c.Conn().Config()
	case *pgx.Conn:
		cfg = c.Config()
	default:
		return nil, fmt.Sprintf("the dev database is a %T; Atlas inspects through a session of its own, so give a *pgxpool.Pool or *pgx.Conn to run its analyzers", dev), nil
	}
	// The analyzers take their options from an Atlas HCL resource; nil keeps the defaults.
	ds, err := destructive.New(nil)
	if err != nil {
		return nil, "", fmt.Errorf("review: atlas: %w", err)
	}
	dd, err := datadepend.New(nil, datadepend.Handler{AddNotNull: addNotNull})
	if err != nil {
		return nil, "", fmt.Errorf("review: atlas: %w", err)
	}
	cd, err := condrop.New(nil)
	if err != nil {
		return nil, "", fmt.Errorf("review: atlas: %w", err)
	}
	bc, err := incompatible.New(nil)
	if err != nil {
		return nil, "", fmt.Errorf("review: atlas: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, "", fmt.Errorf("review: atlas: dev database: %w", err)
	}
	drv, err := postgres.Open(conn)
	if err != nil {
		conn.Close()
		db.Close()
		return nil, "", fmt.Errorf("review: atlas: %w", err)
	}
	a := &atlasRun{db: db, conn: conn, drv: drv}
	a.analyzers = []sqlcheck.NamedAnalyzer{ds, dd, cd, bc}
	return a, "", nil
}

func (a *atlasRun) close() {
	if a != nil {
		a.conn.Close()
		a.db.Close()
	}
}

// addNotNull is the PostgreSQL handler of Atlas's postgrescheck for MF103 (a NOT NULL
// column without default added to an existing table).
func addNotNull(p *datadepend.ColumnPass) ([]sqlcheck.Diagnostic, error) {
	tt, err := postgres.FormatType(p.Column.Type.Type)
	if err != nil {
		return nil, err
	}
	return []sqlcheck.Diagnostic{{Pos: p.Change.Stmt.Pos,
		Text: fmt.Sprintf("Adding a non-nullable %q column %q will fail in case table %q is not empty", tt, p.Column.Name, p.Table.Name)}}, nil
}

// scope is what to inspect: schema → tables ("*" alone: every table of the schema).
type scope map[string][]string

func (s scope) add(qualified string) {
	sc, t, ok := strings.Cut(qualified, ".")
	if !ok || slices.Contains(s[sc], t) || slices.Contains(s[sc], "*") {
		return
	}
	if t == "*" {
		s[sc] = []string{"*"}
		return
	}
	s[sc] = append(s[sc], t)
}

// overlaps reports whether s and o name a common table (or one names a whole schema
// the other has a table in).
func (s scope) overlaps(o scope) bool {
	for sc, ts := range o {
		mine, ok := s[sc]
		if !ok {
			continue
		}
		if slices.Contains(mine, "*") || slices.Contains(ts, "*") {
			return true
		}
		for _, t := range ts {
			if slices.Contains(mine, t) {
				return true
			}
		}
	}
	return false
}

func (s scope) merge(o scope) {
	for sc, ts := range o {
		for _, t := range ts {
			s.add(sc + "." + t)
		}
	}
}

func (s scope) key() string {
	var parts []string
	for sc, ts := range s {
		for _, t := range ts {
			parts = append(parts, sc+"."+t)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// atlasScope lists the tables whose shape a statement may change, as Atlas sees them.
// Statements outside it (DML, SET, COMMENT, functions, …) change no table shape that
// the analyzers look at.
func (r *reviewer) atlasScope(ctx context.Context, n *pg.Node) (scope, error) {
	s := scope{}
	switch {
	case n.GetCreateStmt() != nil || n.GetIndexStmt() != nil || n.GetAlterTableStmt() != nil:
		if t := touchedTable(n); t != "" {
			s.add(t)
		}
	case n.GetDropStmt() != nil:
		d := n.GetDropStmt()
		for _, o := range d.Objects {
			switch d.RemoveType {
			case pg.ObjectType_OBJECT_TABLE:
				if l := o.GetList(); l != nil {
					s.add(qualify(nameList(l.Items)))
				}
			case pg.ObjectType_OBJECT_INDEX:
				if l := o.GetList(); l != nil {
					t0 := time.Now()
					t, _, err := indexTable(ctx, r.dev, qualify(nameList(l.Items)))
					r.devTime += time.Since(t0)
					if err != nil {
						return nil, err
					}
					if t != "" {
						s.add(t)
					}
				}
			case pg.ObjectType_OBJECT_SCHEMA:
				if str := o.GetString_(); str != nil {
					s.add(str.Sval + ".*")
				}
			}
		}
	case n.GetRenameStmt() != nil:
		rn := n.GetRenameStmt()
		switch rn.RenameType {
		case pg.ObjectType_OBJECT_TABLE:
			t := qname(rn.Relation)
			s.add(t)
			sc, _, _ := strings.Cut(t, ".")
			s.add(sc + "." + rn.Newname)
		case pg.ObjectType_OBJECT_COLUMN:
			s.add(qname(rn.Relation))
		}
	}
	return s, nil
}

// additive reports a statement none of the four analyzers can object to on its own:
// they look only at changes to what already exists (DropSchema, DropTable, RenameTable
// and ModifyTable: dropped or modified columns, indexes made unique or added unique,
// dropped foreign keys, NOT NULL columns added), never at a new table (AddTable), a
// plain new index or a nullable new column. Such a statement is inspected only when
// another statement of the same file touches the same table, since the analyzers then
// need to know, say, that a column indexed unique was added by this file: inspecting
// Atlas's view of every statement was most of a review's time on a directory that
// mostly adds tables and columns.
func additive(n *pg.Node) bool {
	switch {
	case n.GetCreateStmt() != nil:
		return true
	case n.GetIndexStmt() != nil:
		return !n.GetIndexStmt().Unique
	case n.GetAlterTableStmt() != nil:
		return onlyNullableColumnsAdded(n.GetAlterTableStmt())
	}
	return false
}

// onlyNullableColumnsAdded reports an ALTER TABLE that only adds nullable columns (no
// NOT NULL, primary key or unique): an AddColumn the analyzers pass over (data_depend
// looks only at a NOT NULL column added without a way to fill existing rows).
func onlyNullableColumnsAdded(a *pg.AlterTableStmt) bool {
	if len(a.Cmds) == 0 {
		return false
	}
	for _, n := range a.Cmds {
		c := n.GetAlterTableCmd()
		if c == nil || c.Subtype != pg.AlterTableType_AT_AddColumn {
			return false
		}
		cd := c.Def.GetColumnDef()
		if cd == nil || cd.IsNotNull {
			return false
		}
		for _, k := range cd.Constraints {
			switch k.GetConstraint().GetContype() {
			case pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE, pg.ConstrType_CONSTR_IDENTITY:
				return false
			}
		}
	}
	return true
}

// qualify puts an unqualified name in schema public.
func qualify(name string) string {
	if strings.Contains(name, ".") {
		return name
	}
	return "public." + name
}

// schemaChanging reports whether a statement outside any scope may still change table
// shapes (so the cached inspection is stale): everything but DML, SET and SELECT.
func schemaChanging(n *pg.Node) bool {
	switch {
	case n.GetSelectStmt() != nil, n.GetInsertStmt() != nil, n.GetUpdateStmt() != nil, n.GetDeleteStmt() != nil,
		n.GetVariableSetStmt() != nil, n.GetTransactionStmt() != nil, n.GetCommentStmt() != nil:
		return false
	}
	return true
}

// inspect reads the tables of sc with Atlas.
func (a *atlasRun) inspect(ctx context.Context, sc scope) (*schema.Realm, error) {
	realm := schema.NewRealm()
	names := make([]string, 0, len(sc))
	for n := range sc {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		opts := &schema.InspectOptions{Mode: schema.InspectTables}
		if !slices.Contains(sc[name], "*") {
			opts.Tables = sc[name]
		}
		s, err := a.drv.InspectSchema(ctx, name, opts)
		if schema.IsNotExistError(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		realm.AddSchemas(s)
	}
	return realm, nil
}

// diff returns the changes from one inspected state to the next, schema by schema.
func (a *atlasRun) diff(sc scope, from, to *schema.Realm) ([]schema.Change, error) {
	var out []schema.Change
	names := make([]string, 0, len(sc))
	for n := range sc {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f, fok := from.Schema(name)
		t, tok := to.Schema(name)
		whole := slices.Contains(sc[name], "*")
		switch {
		case !fok && !tok:
			continue
		case fok && !tok && whole:
			out = append(out, &schema.DropSchema{S: f})
			continue
		case !fok:
			f = &schema.Schema{Name: name}
		case !tok:
			t = &schema.Schema{Name: name}
		}
		ch, err := a.drv.SchemaDiff(f, t)
		if err != nil {
			return nil, err
		}
		out = append(out, ch...)
	}
	return out, nil
}

// fixRename turns the drop+add a schema diff shows for a RENAME into Atlas's rename
// changes, as Atlas's own SQL parser does when it lints a file.
func fixRename(n *pg.Node, changes []schema.Change) []schema.Change {
	rn := n.GetRenameStmt()
	if rn == nil {
		return changes
	}
	switch rn.RenameType {
	case pg.ObjectType_OBJECT_TABLE:
		var drop *schema.DropTable
		var add *schema.AddTable
		for _, c := range changes {
			switch c := c.(type) {
			case *schema.DropTable:
				if c.T.Name == rn.Relation.Relname {
					drop = c
				}
			case *schema.AddTable:
				if c.T.Name == rn.Newname {
					add = c
				}
			}
		}
		if drop == nil || add == nil {
			return changes
		}
		out := []schema.Change{&schema.RenameTable{From: drop.T, To: add.T}}
		for _, c := range changes {
			if c != schema.Change(drop) && c != schema.Change(add) {
				out = append(out, c)
			}
		}
		return out
	case pg.ObjectType_OBJECT_COLUMN:
		for _, c := range changes {
			m, ok := c.(*schema.ModifyTable)
			if !ok {
				continue
			}
			di, ai := -1, -1
			for i, mc := range m.Changes {
				if d, ok := mc.(*schema.DropColumn); ok && d.C.Name == rn.Subname {
					di = i
				}
				if a, ok := mc.(*schema.AddColumn); ok && a.C.Name == rn.Newname {
					ai = i
				}
			}
			if di < 0 || ai < 0 {
				continue
			}
			rc := &schema.RenameColumn{From: m.Changes[di].(*schema.DropColumn).C, To: m.Changes[ai].(*schema.AddColumn).C}
			var rest schema.Changes
			for i, mc := range m.Changes {
				if i != di && i != ai {
					rest = append(rest, mc)
				}
			}
			m.Changes = append(schema.Changes{rc}, rest...)
		}
	}
	return changes
}

// atlasBegin starts the Atlas view of file i: the state of every table the file names.
func (r *reviewer) atlasBegin(ctx context.Context, i int) *atlasFile {
	if r.atlas == nil {
		return nil
	}
	af := &atlasFile{scope: scope{}, stmtAt: map[int]int{}, scopes: map[int]scope{}, name: r.dir.Files[i].Name}
	type pending struct {
		pos int
		sc  scope
	}
	var quiet []pending // additive statements, inspected only if the file needs them
	for si, s := range r.parsed[i] {
		af.stmtAt[s.Pos] = si
		sc, err := r.atlasScope(ctx, s.Node)
		if err != nil {
			r.atlasFail(af, err)
			return af
		}
		if len(sc) == 0 {
			continue
		}
		if additive(s.Node) {
			quiet = append(quiet, pending{s.Pos, sc})
			continue
		}
		af.scopes[s.Pos] = sc
		af.scope.merge(sc)
	}
	for _, q := range quiet {
		if af.scope.overlaps(q.sc) {
			af.scopes[q.pos] = q.sc
		}
	}
	for _, sc := range af.scopes {
		af.scope.merge(sc)
	}
	if len(af.scope) == 0 {
		return af
	}
	from, err := r.atlasInspect(ctx, af.scope)
	if err != nil {
		r.atlasFail(af, err)
		return af
	}
	af.from = from
	return af
}

func (r *reviewer) atlasInspect(ctx context.Context, sc scope) (*schema.Realm, error) {
	k := sc.key()
	if r.atlas.cache != nil && r.atlas.cacheKey == k {
		return r.atlas.cache, nil
	}
	t0 := time.Now()
	realm, err := r.atlas.inspect(ctx, sc)
	r.devTime += time.Since(t0)
	if err != nil {
		return nil, err
	}
	r.atlas.cache, r.atlas.cacheKey = realm, k
	return realm, nil
}

// atlasFail notes an Atlas inspection that failed: the file's analysis is dropped (the
// review's own checks still ran) and the report says why.
func (r *reviewer) atlasFail(af *atlasFile, err error) {
	af.failed = true
	r.atlas.cache = nil
	r.log.Warn("review: atlas inspection failed; the file is reviewed without Atlas's analyzers", "file", af.name, "err", err)
	msg := fmt.Sprintf("%s: %v", af.name, err)
	if r.rep.Atlas.Skipped == "" {
		r.rep.Atlas.Skipped = "Atlas could not inspect " + msg
	}
}

// atlasBefore inspects the tables a statement may change, before it runs.
func (r *reviewer) atlasBefore(ctx context.Context, af *atlasFile, s stmt) (scope, *schema.Realm) {
	if af == nil || af.failed {
		return nil, nil
	}
	sc := af.scopes[s.Pos]
	if len(sc) == 0 {
		return nil, nil
	}
	before, err := r.atlasInspect(ctx, sc)
	if err != nil {
		r.atlasFail(af, err)
		return nil, nil
	}
	return sc, before
}

// atlasAfter records the changes a statement made, as Atlas sees them.
func (r *reviewer) atlasAfter(ctx context.Context, af *atlasFile, s stmt, sc scope, before *schema.Realm, executed bool) {
	if af == nil || af.failed {
		return
	}
	if sc == nil {
		if executed && schemaChanging(s.Node) {
			r.atlas.cache = nil
		}
		return
	}
	if !executed {
		return // nothing changed on dev; the statement was reviewed from its parse tree
	}
	r.atlas.cache = nil
	after, err := r.atlasInspect(ctx, sc)
	if err == nil {
		var ch []schema.Change
		ch, err = r.atlas.diff(sc, before, after)
		if err == nil && len(ch) > 0 {
			af.changes = append(af.changes, &sqlcheck.Change{Changes: fixRename(s.Node, ch),
				Stmt: &amigrate.Stmt{Pos: s.Pos, Text: s.SQL}})
		}
	}
	if err != nil {
		r.atlasFail(af, err)
	}
}

var quotedName = regexp.MustCompile(`"([^"]+)"`)

// atlasEnd runs the analyzers on the file and maps their diagnostics into findings. It
// runs after the file's own checks, so a diagnostic can be merged into their findings.
func (r *reviewer) atlasEnd(ctx context.Context, af *atlasFile, fc *fileCtx) error {
	if af == nil || af.failed || len(af.changes) == 0 {
		return nil
	}
	f := fc.f
	file := &sqlcheck.File{File: amigrate.NewLocalFile(f.Name, []byte(f.SQL)), Changes: af.changes, From: af.from}
	if to, err := r.atlasInspect(ctx, af.scope); err == nil {
		file.To = to
		if sum, err := r.atlas.diff(af.scope, af.from, to); err == nil {
			file.Sum = sum
		}
	}
	for _, az := range r.atlas.analyzers {
		var reports []sqlcheck.Report
		pass := &sqlcheck.Pass{File: file, Reporter: sqlcheck.ReportWriterFunc(func(rp sqlcheck.Report) { reports = append(reports, rp) })}
		if err := az.Analyze(ctx, pass); err != nil && len(reports) == 0 {
			// Analyzers return an error only to flag reported diagnostics; any other is real.
			return fmt.Errorf("review: atlas %s analyzer on %s: %w", az.Name(), f.Name, err)
		}
		for _, rp := range reports {
			for _, d := range rp.Diagnostics {
				r.atlasDiagnostic(fc, af, az.Name(), d)
			}
		}
	}
	return nil
}

// atlasDiagnostic merges one Atlas diagnostic into the file's findings.
func (r *reviewer) atlasDiagnostic(fc *fileCtx, af *atlasFile, analyzer string, d sqlcheck.Diagnostic) {
	si, ok := af.stmtAt[d.Pos]
	if !ok {
		si = -1
	}
	line := 1
	var node *pg.Node
	if si >= 0 {
		line, node = r.parsed[fc.idx][si].Line, r.parsed[fc.idx][si].Node
	}
	ad := AtlasDiagnostic{File: fc.f.Name, Line: line, Analyzer: analyzer, Code: d.Code, Text: d.Text}
	note := fmt.Sprintf(" (Atlas %s: %s)", d.Code, d.Text)
	if cov, ok := atlasCover[d.Code]; ok && si >= 0 {
		ad.Check = cov.check
		var hits []int
		for k := range r.raw {
			rf := &r.raw[k]
			if rf.File == fc.f.Name && rf.stmt == si && rf.Check == cov.check && slices.Contains(cov.codes, rf.Code) {
				hits = append(hits, k)
			}
		}
		// Several objects in one statement: merge into the ones the diagnostic names.
		if len(hits) > 1 {
			var named []int
			names := quotedName.FindAllStringSubmatch(d.Text, -1)
			for _, k := range hits {
				obj := r.raw[k].Object
				last := obj[strings.LastIndexByte(obj, '.')+1:]
				if slices.ContainsFunc(names, func(m []string) bool { return m[1] == last }) {
					named = append(named, k)
				}
			}
			if len(named) > 0 {
				hits = named
			}
		}
		if len(hits) == 0 {
			ad.Outcome = AtlasAccepted
		} else {
			ad.Outcome = AtlasMerged
			for _, k := range hits {
				r.raw[k].Message += note
			}
		}
		r.rep.Atlas.Diagnostics = append(r.rep.Atlas.Diagnostics, ad)
		return
	}
	check, ok := atlasCheck[analyzer]
	if !ok {
		check = "atlas-" + strings.ReplaceAll(analyzer, "_", "-")
	}
	ad.Check, ad.Outcome = check, AtlasFinding
	obj := ""
	if node != nil {
		obj = touchedTable(node)
	}
	if d.Code == "DS101" || obj == "" {
		if m := quotedName.FindStringSubmatch(d.Text); m != nil {
			obj = m[1]
		}
	}
	msg := fmt.Sprintf("Atlas %s: %s", d.Code, d.Text)
	switch analyzer {
	case "data_depend":
		msg += ": check the target for offending rows first (the statement fails mid-deploy on the first one), or clean them up in an earlier version"
	case "condrop":
		msg += ": without it the database no longer enforces the relationship (policy §2 critical relationships); make sure nothing relies on it"
	case "destructive":
		msg += ": the data cannot come back; archive it first and deprecate before dropping"
	}
	for _, fix := range d.SuggestedFixes {
		if fix.Message != "" {
			msg += "; " + fix.Message
		}
	}
	r.add(fc.f, si, line, check, d.Code, obj, msg)
	r.rep.Atlas.Diagnostics = append(r.rep.Atlas.Diagnostics, ad)
}
