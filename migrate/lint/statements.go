package lint

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate"
)

// fileCtx is the state of one file under review.
type fileCtx struct {
	idx         int
	f           *verFile
	d           *migrate.Directives
	pre         map[string]bool // tables that existed before the file
	created     map[string]bool // tables created by the file
	notValid    map[string]bool // "schema.table.constraint" added NOT VALID by the file
	lockTimeout bool            // a lock_timeout bounds the file's statements
	cur         int             // statement being reviewed
	line        int
	post        []func(executed bool) error
}

func (fc *fileCtx) existing(table string) bool { return fc.pre[table] && !fc.created[table] }

// reviewFile replays file i on the dev database, reviewing each statement.
func (r *reviewer) reviewFile(ctx context.Context, i int) error {
	f := &r.dir.Files[i]
	fc := &fileCtx{idx: i, f: f, d: r.dirs[i], created: map[string]bool{}, notValid: map[string]bool{}}
	fc.lockTimeout = fc.d.LockTimeout > 0 || r.p.Migrations.LockTimeout > 0
	var err error
	t0 := time.Now()
	fc.pre, err = userTables(ctx, r.dev)
	r.devTime += time.Since(t0)
	if err != nil {
		return fmt.Errorf("review: dev database: %w", err)
	}
	touched := r.touched(i)
	before := map[string]bool{}
	for _, t := range touched {
		if !fc.pre[t] {
			continue
		}
		t0 := time.Now()
		sh, err := tableShape(ctx, r.dev, r.p, t)
		r.devTime += time.Since(t0)
		if err != nil {
			return fmt.Errorf("review: dev database: %w", err)
		}
		for _, s := range sh {
			before[t+"\x00"+s.Key] = true
		}
	}
	af := r.atlasBegin(ctx, i)
	for si, s := range r.parsed[i] {
		fc.cur, fc.line, fc.post = si, s.Line, nil
		if err := r.statement(ctx, fc, s); err != nil {
			return err
		}
		ixBefore, ixTable, err := r.redundancyBefore(ctx, fc, s)
		if err != nil {
			return fmt.Errorf("review: dev database: %w", err)
		}
		asc, abefore := r.atlasBefore(ctx, af, s)
		xerr := r.exec(ctx, s)
		if xerr != nil {
			r.rep.Static = append(r.rep.Static, StaticStatement{File: f.Name, Line: s.Line, Error: xerr.Error()})
			r.log.Warn("review: statement failed on the dev database; reviewed statically", "file", f.Name, "line", s.Line, "err", xerr)
		}
		r.atlasAfter(ctx, af, s, asc, abefore, xerr == nil)
		for _, p := range fc.post {
			if err := p(xerr == nil); err != nil {
				return fmt.Errorf("review: dev database: %w", err)
			}
		}
		if ixTable != "" && xerr == nil {
			if err := r.redundancyAfter(ctx, fc, ixTable, ixBefore); err != nil {
				return fmt.Errorf("review: dev database: %w", err)
			}
		}
	}
	if err := r.classifyPending(ctx, fc); err != nil {
		return fmt.Errorf("review: dev database: %w", err)
	}
	// Shape findings the file introduced, attributed to the first statement touching the table.
	for _, t := range touched {
		t0 := time.Now()
		sh, err := tableShape(ctx, r.dev, r.p, t)
		r.devTime += time.Since(t0)
		if err != nil {
			return fmt.Errorf("review: dev database: %w", err)
		}
		for _, s := range sh {
			if before[t+"\x00"+s.Key] {
				continue
			}
			_, name, _ := strings.Cut(s.Key, ":")
			si, line := r.locate(i, t, name)
			r.add(f, si, line, s.Check, s.Code, s.Object, s.Message)
		}
	}
	return r.atlasEnd(ctx, af, fc)
}

// touched lists the tables whose shape file i changes, in order of first mention.
func (r *reviewer) touched(i int) []string {
	var out []string
	for _, s := range r.parsed[i] {
		if t := touchedTable(s.Node); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// locate finds the statement a shape finding belongs to: the first statement touching
// table that names the constraint or index, else the first touching table.
func (r *reviewer) locate(i int, table, name string) (int, int) {
	first, line := -1, 1
	for si, s := range r.parsed[i] {
		if touchedTable(s.Node) != table {
			continue
		}
		if first < 0 {
			first, line = si, s.Line
		}
		if name != "" && strings.Contains(strings.ToLower(s.SQL), strings.ToLower(name)) {
			return si, s.Line
		}
	}
	return first, line
}

// markRetention notes a file that removes data a retention rule governs (legal review).
func (r *reviewer) markRetention(fc *fileCtx, obj string) {
	if r.retentionObject(obj) {
		r.retention[fc.f.Name] = true
	}
}

func touchedTable(n *pg.Node) string {
	switch {
	case n.GetCreateStmt() != nil:
		if n.GetCreateStmt().Partbound == nil {
			return qname(n.GetCreateStmt().Relation)
		}
	case n.GetAlterTableStmt() != nil:
		if n.GetAlterTableStmt().Objtype == pg.ObjectType_OBJECT_TABLE {
			return qname(n.GetAlterTableStmt().Relation)
		}
	case n.GetIndexStmt() != nil:
		return qname(n.GetIndexStmt().Relation)
	}
	return ""
}

// statement reviews one statement before it runs (post checks run after).
func (r *reviewer) statement(ctx context.Context, fc *fileCtx, s stmt) error {
	n := s.Node
	switch {
	case n.GetCreateStmt() != nil:
		return r.createTable(ctx, fc, n.GetCreateStmt())
	case n.GetIndexStmt() != nil:
		return r.createIndex(ctx, fc, n.GetIndexStmt())
	case n.GetDropStmt() != nil:
		return r.drop(ctx, fc, n.GetDropStmt())
	case n.GetAlterTableStmt() != nil:
		return r.alterTable(ctx, fc, n.GetAlterTableStmt())
	case n.GetRenameStmt() != nil:
		return r.rename(ctx, fc, n.GetRenameStmt())
	case n.GetTruncateStmt() != nil:
		for _, rel := range n.GetTruncateStmt().Relations {
			t := qname(rel.GetRangeVar())
			if fc.existing(t) {
				r.markRetention(fc, t)
				r.add(fc.f, fc.cur, fc.line, governance.CheckDestructiveChange, "DC103", t,
					"TRUNCATE deletes every row and cannot be rolled back once committed: archive the data first (policy §6-7) and suppress with a reason if intended")
			}
		}
	case n.GetVariableSetStmt() != nil:
		v := n.GetVariableSetStmt()
		if v.Name == "lock_timeout" {
			fc.lockTimeout = v.Kind == pg.VariableSetKind_VAR_SET_VALUE && !zeroSetting(v.Args)
		}
	case n.GetCommentStmt() != nil:
		return r.comment(ctx, fc, n.GetCommentStmt())
	case n.GetReindexStmt() != nil:
		r.reindex(fc, n.GetReindexStmt())
	case n.GetClusterStmt() != nil:
		obj := qname(n.GetClusterStmt().Relation)
		r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR113", obj,
			"CLUSTER rewrites the table under ACCESS EXCLUSIVE, blocking reads and writes for the whole rewrite: use pg_repack (or pg_squeeze) online, outside the migration")
	case n.GetVacuumStmt() != nil:
		if v := n.GetVacuumStmt(); v.IsVacuumcmd && hasOption(v.Options, "full") {
			obj := ""
			for _, rel := range v.Rels {
				if vr := rel.GetVacuumRelation(); vr != nil && obj == "" {
					obj = qname(vr.Relation)
				}
			}
			r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR114", obj,
				"VACUUM FULL rewrites the table under ACCESS EXCLUSIVE, blocking reads and writes: use pg_repack (or pg_squeeze) online; a plain VACUUM needs no lock")
		}
	case n.GetDropdbStmt() != nil:
		r.add(fc.f, fc.cur, fc.line, governance.CheckDestructiveChange, "DC104", n.GetDropdbStmt().Dbname,
			"DROP DATABASE destroys a whole database and cannot be rolled back: a migration of the application's schema must not drop databases")
	case n.GetAlterDomainStmt() != nil:
		if d := n.GetAlterDomainStmt(); d.Subtype == "C" {
			if k := d.Def.GetConstraint(); k != nil && !k.SkipValidation {
				r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR115", nameList(d.TypeName),
					fmt.Sprintf("ALTER DOMAIN %s ADD CONSTRAINT checks every column of the domain in every table under lock: add it NOT VALID, then ALTER DOMAIN … VALIDATE CONSTRAINT in a later version", nameList(d.TypeName)))
			}
		}
	}
	return nil
}

// reindex reports REINDEX without CONCURRENTLY: it blocks writes to the table (and, for
// an index, reads that would use it) for the whole rebuild.
func (r *reviewer) reindex(fc *fileCtx, s *pg.ReindexStmt) {
	if hasOption(s.Params, "concurrently") {
		return
	}
	kind := strings.TrimPrefix(s.Kind.String(), "REINDEX_OBJECT_")
	obj := s.Name
	if s.Relation != nil {
		obj = qname(s.Relation)
	}
	r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR112", obj,
		fmt.Sprintf("REINDEX %s %s without CONCURRENTLY blocks writes (and reads through the index) for the whole rebuild: use REINDEX %s CONCURRENTLY in a -- lsos:no-transaction version", kind, obj, kind))
}

// hasOption reports whether a DefElem list (VACUUM, REINDEX options) holds name.
func hasOption(params []*pg.Node, name string) bool {
	for _, p := range params {
		if d := p.GetDefElem(); d != nil && d.Defname == name {
			return true
		}
	}
	return false
}

func zeroSetting(args []*pg.Node) bool {
	for _, a := range args {
		if c := a.GetAConst(); c != nil {
			if c.GetIval() != nil && c.GetIval().Ival == 0 && c.GetSval() == nil {
				return true
			}
			if s := c.GetSval(); s != nil && (s.Sval == "0" || s.Sval == "0s" || s.Sval == "0ms") {
				return true
			}
		}
	}
	return false
}

// accessExclusive records an ACCESS EXCLUSIVE lock on an existing table.
func (r *reviewer) accessExclusive(fc *fileCtx, table, what string) {
	if fc.lockTimeout || !fc.existing(table) {
		return
	}
	r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR108", table,
		fmt.Sprintf("%s takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query every read of %s queues; add -- lsos:lock_timeout 5s (or SET lock_timeout)", what, table))
}

func (r *reviewer) createTable(ctx context.Context, fc *fileCtx, c *pg.CreateStmt) error {
	t := qname(c.Relation)
	if !fc.pre[t] {
		fc.created[t] = true
	}
	if c.Partbound != nil {
		return nil // a partition takes its parent's columns
	}
	for _, e := range c.TableElts {
		cd := e.GetColumnDef()
		if cd == nil {
			continue
		}
		r.classifyNew(fc, t, cd.Colname, typeName(cd.TypeName), "")
	}
	return nil
}

// classifyNew reports a new column the classifier cannot place, or a sensitive one.
// The comment is read after the file runs, so a COMMENT ON COLUMN annotation counts.
func (r *reviewer) classifyNew(fc *fileCtx, table, col, typ, _ string) {
	r.pending = append(r.pending, pendingColumn{table: table, col: col, typ: typ, stmt: fc.cur, line: fc.line})
}

// pendingColumn is a new column, classified once its file has run.
type pendingColumn struct {
	table, col, typ string
	stmt, line      int
}

// classifyPending classifies the new columns of a file after it ran.
func (r *reviewer) classifyPending(ctx context.Context, fc *fileCtx) error {
	defer func() { r.pending = nil }()
	for _, pc := range r.pending {
		t0 := time.Now()
		typ, err := columnType(ctx, r.dev, pc.table, pc.col)
		if err != nil {
			return err
		}
		comment, err := columnComment(ctx, r.dev, pc.table, pc.col)
		r.devTime += time.Since(t0)
		if err != nil {
			return err
		}
		if typ == "" {
			typ = pc.typ // the statement did not run on dev: judge by the written type
		}
		obj := pc.table + "." + pc.col
		c, ok := r.classf(pc.table, pc.col, typ, comment)
		switch {
		case !ok:
			r.add(fc.f, pc.stmt, pc.line, governance.CheckUnclassifiedColumn, "UC101", obj,
				fmt.Sprintf("new column %s (%s) matches no classification rule: annotate it with COMMENT ON COLUMN … IS 'lsos:class=<operational|sensitive|audit|artifact>' or add it to classes.columns in the policy", obj, typ))
		case c == governance.Sensitive:
			r.add(fc.f, pc.stmt, pc.line, governance.CheckSensitiveChange, "SC101", obj,
				fmt.Sprintf("new sensitive column %s: security review required (policy §10); keep its values out of logs and findings", obj))
		}
	}
	return nil
}

func (r *reviewer) createIndex(ctx context.Context, fc *fileCtx, ix *pg.IndexStmt) error {
	t := qname(ix.Relation)
	if ix.Concurrent && !fc.d.NoTransaction {
		r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR103", t,
			"CREATE INDEX CONCURRENTLY cannot run inside a transaction: add -- lsos:no-transaction and keep the index in a version of its own")
	}
	if !fc.existing(t) {
		return nil
	}
	var cols []string
	for _, p := range ix.IndexParams {
		if e := p.GetIndexElem(); e != nil {
			if e.Name != "" {
				cols = append(cols, e.Name)
			} else {
				cols = append(cols, "(expression)")
			}
		}
	}
	name := ix.Idxname
	if name == "" {
		name = "(unnamed)"
	}
	if !ix.Concurrent {
		r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR101", t,
			fmt.Sprintf("CREATE INDEX %s on existing table %s without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY in a -- lsos:no-transaction version", name, t))
	}
	return r.indexImpact(ctx, fc, "create", name, t, cols, ix.Concurrent)
}

// indexImpact records the size of an index added or dropped on an existing table.
func (r *reviewer) indexImpact(ctx context.Context, fc *fileCtx, action, index, table string, cols []string, concurrent bool) error {
	var plain []string
	for _, c := range cols {
		if !strings.HasPrefix(c, "(") {
			plain = append(plain, c)
		}
	}
	t0 := time.Now()
	st, err := statsFor(ctx, r.stats, table, plain)
	r.devTime += time.Since(t0)
	if err != nil {
		return fmt.Errorf("review: statistics of %s: %w", table, err)
	}
	ii := IndexImpact{File: fc.f.Name, Line: fc.line, Action: action, Index: index, Table: table,
		Columns: strings.Join(cols, ", "), Concurrent: concurrent, Rows: st.Rows, TableBytes: st.Bytes}
	if action == "create" {
		// B-tree leaf entries at ~90% fill, plus the metapage; a sorted build writes
		// roughly a million entries a second, a concurrent one scans the table twice.
		w := (st.KeyWidth + 7) &^ 7
		ii.EstIndexBytes = int64(float64(st.Rows*int64(w+4))/0.9) + 8192
		ii.EstBuildSeconds = math.Round(float64(st.Rows)/1e6*100) / 100
		if concurrent {
			ii.EstBuildSeconds *= 2
		}
	}
	r.rep.IndexImpact = append(r.rep.IndexImpact, ii)
	msg := fmt.Sprintf("%s index %s on %s (%s): table ~%d rows, %s", action, index, table, ii.Columns, st.Rows, bytesText(st.Bytes))
	code := "II102"
	if action == "create" {
		code = "II101"
		msg += fmt.Sprintf("; estimated index %s, build ≈ %.2f s", bytesText(ii.EstIndexBytes), ii.EstBuildSeconds)
	}
	r.add(fc.f, fc.cur, fc.line, governance.CheckIndexImpact, code, table, msg)
	return nil
}

func bytesText(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

func (r *reviewer) drop(ctx context.Context, fc *fileCtx, d *pg.DropStmt) error {
	switch d.RemoveType {
	case pg.ObjectType_OBJECT_TABLE:
		for _, o := range d.Objects {
			l := o.GetList()
			if l == nil {
				continue
			}
			t := nameList(l.Items)
			if !fc.existing(t) {
				continue
			}
			r.markRetention(fc, t)
			if !r.destructive(fc, t, "", "DC101", "DROP TABLE "+t) {
				r.incompatible(fc, "BI103", t, "DROP TABLE removes a table the running version may still read")
			}
			r.accessExclusive(fc, t, "DROP TABLE")
		}
	case pg.ObjectType_OBJECT_INDEX:
		if d.Concurrent && !fc.d.NoTransaction {
			r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR103", "",
				"DROP INDEX CONCURRENTLY cannot run inside a transaction: add -- lsos:no-transaction")
		}
		for _, o := range d.Objects {
			l := o.GetList()
			if l == nil {
				continue
			}
			idx := nameList(l.Items)
			t0 := time.Now()
			t, cols, err := indexTable(ctx, r.dev, idx)
			r.devTime += time.Since(t0)
			if err != nil {
				return fmt.Errorf("review: dev database: %w", err)
			}
			if t == "" || !fc.existing(t) {
				continue
			}
			if !d.Concurrent {
				r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR102", t,
					fmt.Sprintf("DROP INDEX %s without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on %s: use DROP INDEX CONCURRENTLY in a -- lsos:no-transaction version", idx, t))
			}
			if err := r.indexImpact(ctx, fc, "drop", idx, t, cols, d.Concurrent); err != nil {
				return err
			}
		}
	}
	return nil
}

// destructive checks a drop against the deprecations of earlier versions.
//
// It reports whether the drop is accepted: an earlier version deprecated the object and
// the deprecation window has passed.
func (r *reviewer) destructive(fc *fileCtx, table, column, code, what string) bool {
	obj := table
	if column != "" {
		obj += "." + column
	}
	window := r.p.DeprecationWindow.Std()
	now := r.o.Now()
	var dep *migrate.Deprecation
	var depFile *verFile
	for j := 0; j < fc.idx; j++ {
		for _, d := range r.dirs[j].Deprecates {
			if d.QualifiedTable() == table && (d.Column == "" || d.Column == column) {
				d := d
				dep, depFile = &d, &r.dir.Files[j]
			}
		}
		if dep != nil {
			break // the earliest deprecation counts
		}
	}
	if dep == nil {
		ref := strings.TrimPrefix(obj, "public.")
		from := "that version's timestamp"
		if r.applied != nil {
			from = "that version is applied on the target"
		}
		r.add(fc.f, fc.cur, fc.line, governance.CheckDestructiveChange, code, obj,
			fmt.Sprintf("%s destroys data that no earlier version deprecates: first ship -- lsos:deprecates %s in its own version; the drop is allowed %s after %s",
				what, ref, window, from))
		return false
	}
	if r.applied == nil {
		allowed := depFile.Time.Add(window)
		if now.Before(allowed) {
			r.add(fc.f, fc.cur, fc.line, governance.CheckDestructiveChange, code, obj,
				fmt.Sprintf("%s: deprecated by %s on %s, but the %s deprecation window has not passed; the drop is allowed from %s (window measured from the version timestamp; review against the target database to measure from when it was applied there)",
					what, depFile.Version, depFile.Time.Format(time.RFC3339), window, allowed.UTC().Format(time.RFC3339)))
			return false
		}
		return true
	}
	at, ok := r.applied[depFile.Version]
	if !ok {
		r.add(fc.f, fc.cur, fc.line, governance.CheckDestructiveChange, code, obj,
			fmt.Sprintf("%s: deprecated by %s, which is not applied on the target yet, so the drop is not allowed yet: deploy %s first; the drop is allowed %s after it is applied there",
				what, depFile.Version, depFile.Version, window))
		return false
	}
	if allowed := at.Add(window); now.Before(allowed) {
		r.add(fc.f, fc.cur, fc.line, governance.CheckDestructiveChange, code, obj,
			fmt.Sprintf("%s: deprecated by %s, applied on the target on %s, but the %s deprecation window has not passed; the drop is allowed from %s (window measured from when it was applied on the target)",
				what, depFile.Version, at.UTC().Format(time.RFC3339), window, allowed.UTC().Format(time.RFC3339)))
		return false
	}
	return true
}

// incompatible records a change the previous application version cannot live with,
// unless the file is a declared contract step whose expand step shipped earlier.
func (r *reviewer) incompatible(fc *fileCtx, code, object, msg string) {
	r.incompatibleAt(fc, fc.cur, fc.line, code, object, msg)
}

func (r *reviewer) incompatibleAt(fc *fileCtx, si, line int, code, object, msg string) {
	if b := fc.d.Breaking; b != nil && b.Phase == "contract" {
		for j := 0; j < fc.idx; j++ {
			if e := r.dirs[j].Breaking; e != nil && e.Flag == b.Flag && e.Phase == "expand" {
				r.flag(fc, b.Flag, r.dir.Files[j].Version)
				return
			}
		}
		msg += fmt.Sprintf("; the file declares breaking flag=%s phase=contract but no earlier version declares its expand step (-- lsos:breaking flag=%s phase=expand)", b.Flag, b.Flag)
	} else {
		msg += "; ship it as expand/contract: an expand version (-- lsos:breaking flag=<flag> phase=expand) adds the new shape, the code switches behind the flag, then a contract version (phase=contract) removes the old"
	}
	r.add(fc.f, si, line, governance.CheckBackwardIncompatible, code, object, msg)
}

func (r *reviewer) flag(fc *fileCtx, flag, expand string) {
	for _, f := range r.rep.Flags {
		if f.Flag == flag && f.Version == fc.f.Version {
			return
		}
	}
	r.rep.Flags = append(r.rep.Flags, Flag{Flag: flag, Version: fc.f.Version, File: fc.f.Name, ExpandVersion: expand})
}

func (r *reviewer) rename(ctx context.Context, fc *fileCtx, rn *pg.RenameStmt) error {
	t := qname(rn.Relation)
	switch rn.RenameType {
	case pg.ObjectType_OBJECT_TABLE:
		if fc.existing(t) {
			r.incompatible(fc, "BI101", t, fmt.Sprintf("renaming table %s to %s breaks the running version, which still uses the old name", t, rn.Newname))
			r.accessExclusive(fc, t, "ALTER TABLE RENAME")
		}
	case pg.ObjectType_OBJECT_COLUMN:
		if fc.existing(t) {
			r.incompatible(fc, "BI102", t+"."+rn.Subname, fmt.Sprintf("renaming column %s to %s breaks the running version, which still uses the old name", rn.Subname, rn.Newname))
			r.accessExclusive(fc, t, "ALTER TABLE RENAME COLUMN")
			if err := r.sensitiveExisting(ctx, fc, t, rn.Subname, "SC102", "renames"); err != nil {
				return err
			}
		}
	}
	return nil
}

// sensitiveExisting reports a change to an existing column the classifier calls sensitive.
func (r *reviewer) sensitiveExisting(ctx context.Context, fc *fileCtx, table, col, code, verb string) error {
	t0 := time.Now()
	typ, err := columnType(ctx, r.dev, table, col)
	if err == nil && typ != "" {
		var comment string
		comment, err = columnComment(ctx, r.dev, table, col)
		r.devTime += time.Since(t0)
		if err == nil {
			if c, ok := r.classf(table, col, typ, comment); ok && c == governance.Sensitive {
				r.add(fc.f, fc.cur, fc.line, governance.CheckSensitiveChange, code, table+"."+col,
					fmt.Sprintf("the migration %s sensitive column %s.%s: security review required (policy §10)", verb, table, col))
			}
		}
		return err
	}
	r.devTime += time.Since(t0)
	return err
}

func (r *reviewer) comment(ctx context.Context, fc *fileCtx, c *pg.CommentStmt) error {
	if c.Objtype != pg.ObjectType_OBJECT_COLUMN {
		return nil
	}
	l := c.Object.GetList()
	if l == nil || len(l.Items) < 2 {
		return nil
	}
	full := nameList(l.Items)
	i := strings.LastIndexByte(full, '.')
	table, col := full[:i], full[i+1:]
	if !strings.Contains(table, ".") {
		table = "public." + table
	}
	if fc.created[table] || !fc.pre[table] {
		return nil // a new column's class is judged when the file ends
	}
	t0 := time.Now()
	typ, err := columnType(ctx, r.dev, table, col)
	if err != nil {
		return err
	}
	old, err := columnComment(ctx, r.dev, table, col)
	r.devTime += time.Since(t0)
	if err != nil {
		return err
	}
	oldC, _ := r.classf(table, col, typ, old)
	newC, _ := r.classf(table, col, typ, c.Comment)
	if oldC != newC && (oldC == governance.Sensitive || newC == governance.Sensitive) {
		r.add(fc.f, fc.cur, fc.line, governance.CheckSensitiveChange, "SC103", table+"."+col,
			fmt.Sprintf("the classification of %s.%s changes from %s to %s: security review required (policy §10)", table, col, classText(oldC), classText(newC)))
	}
	return nil
}

func classText(c governance.Class) string {
	if c == "" {
		return "unclassified"
	}
	return string(c)
}
