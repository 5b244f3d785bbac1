package lint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	amigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/lsos/lsosgov/migrate"
)

// PlanOptions tune [Plan].
type PlanOptions struct {
	// Name is the migration name in the file names ("planned" by default).
	Name string
	// Version is the first version written; later steps take the following seconds.
	// Empty means Now() in UTC.
	Version string
	// Now is the clock for the default version.
	Now func() time.Time
	// Renames turns a drop+add of the same type into a rename: "table.old" → "new".
	Renames map[string]string
	// DesiredNames names the desired schema sources, one per source in order (file
	// names, say). Errors name the file; a name ending in .hcl marks Atlas HCL (see
	// [Plan]). Empty means every source is SQL.
	DesiredNames []string
}

// PlanFile is one generated version.
type PlanFile struct {
	Version       string
	Name          string
	NoTransaction bool
	Up, Down      string
}

// UpName is the forward file name.
func (f PlanFile) UpName() string { return f.Version + "_" + f.Name + ".up.sql" }

// DownName is the rollback file name.
func (f PlanFile) DownName() string { return f.Version + "_" + f.Name + ".down.sql" }

// PlanResult is the generated change.
type PlanResult struct {
	Files []PlanFile
	// Hints are suggestions the planner would not act on alone (renames).
	Hints []string
	// Irreversible names the objects whose drop the rollback cannot undo.
	Irreversible []string
}

// ErrNoChange: the directory already produces the desired schema.
var ErrNoChange = errors.New("review: plan: the directory already produces the desired schema; nothing to write")

const desiredSchema = "lsos_plan_desired"

// Plan replays d on the empty scratch database dev, loads desired next to it, diffs the
// two with Atlas and returns the change as new versions with explicit forward and
// rollback DDL.
//
// The desired schema is plain SQL (unqualified names, as if in schema public), or Atlas
// HCL (PostgreSQL dialect) when o.DesiredNames marks every source with a .hcl name. HCL
// files are evaluated together (as `atlas schema apply` does) and must declare exactly
// schema "public"; Plan creates that schema on the scratch database through Atlas's
// planner and then inspects it like the SQL one, so both kinds give the same plan for
// the same schema. HCL cannot declare partition children; existing ones are kept. A mix
// of SQL and HCL sources, SQL that does not load, and HCL with a syntax or evaluation
// error are a [*DesiredError] naming the file (and line) and wrapping [ErrDesired].
//
// Atlas's gaps are filled:
// indexes on existing tables are built CONCURRENTLY in a no-transaction version of their
// own; foreign keys and checks on existing tables are added NOT VALID and validated in a
// later version; drops are marked irreversible in the rollback with a failing guard; a
// drop+add of one type in one table is a rename hint (or a rename with o.Renames).
//
// dev must be a *pgxpool.Pool or *pgx.Conn (Atlas needs a database/sql handle).
func Plan(ctx context.Context, dev DB, md *migrate.Dir, desired []string, o PlanOptions) (*PlanResult, error) {
	d, err := viewOf(md)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = "planned"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = o.Now().UTC().Format("20060102150405")
	}
	first, err := versionTime(o.Version)
	if err != nil {
		return nil, err
	}
	if len(d.Files) > 0 && o.Version <= d.Files[len(d.Files)-1].Version {
		return nil, fmt.Errorf("review: plan: version %s is not after the directory's last version %s; pass a later version", o.Version, d.Files[len(d.Files)-1].Version)
	}
	isHCL, err := desiredKind(o.DesiredNames, len(desired))
	if err != nil {
		return nil, err
	}
	// The desired schema is parsed before any database work: a typo fails fast.
	var hclSchema *schema.Schema
	var sqlStmts [][]stmt
	if isHCL {
		if hclSchema, err = evalHCL(o.DesiredNames, desired); err != nil {
			return nil, err
		}
	} else {
		for i, src := range desired {
			st, err := desiredSQL(desiredName(o.DesiredNames, i), src)
			if err != nil {
				return nil, err
			}
			sqlStmts = append(sqlStmts, st)
		}
	}
	var sdb *sql.DB
	switch c := dev.(type) {
	case *pgxpool.Pool:
		sdb = stdlib.OpenDBFromPool(c)
	case *pgx.Conn:
		sdb = stdlib.OpenDB(*c.Config())
	default:
		return nil, fmt.Errorf("review: plan: dev database must be a *pgxpool.Pool or *pgx.Conn, got %T", dev)
	}
	defer sdb.Close()
	tables, err := userTables(ctx, dev)
	if err != nil {
		return nil, fmt.Errorf("review: plan: dev database: %w", err)
	}
	if len(tables) > 0 {
		return nil, ErrDevNotEmpty
	}
	conn, err := sdb.Conn(ctx) // one session: search_path for the desired schema
	if err != nil {
		return nil, fmt.Errorf("review: plan: dev database: %w", err)
	}
	defer conn.Close()
	for _, f := range d.Files {
		st, err := splitStatements(f.Name, f.SQL)
		if err != nil {
			return nil, err
		}
		for _, s := range st {
			if s.Node.GetTransactionStmt() != nil {
				continue
			}
			if _, err := conn.ExecContext(ctx, s.SQL); err != nil {
				return nil, fmt.Errorf("%w: %s:%d: %v", ErrReplay, f.Name, s.Line, err)
			}
		}
	}
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+desiredSchema+"; SET search_path TO "+desiredSchema); err != nil {
		return nil, fmt.Errorf("review: plan: dev database: %w", err)
	}
	for i, st := range sqlStmts {
		for _, s := range st {
			if _, err := conn.ExecContext(ctx, s.SQL); err != nil {
				return nil, &DesiredError{File: desiredName(o.DesiredNames, i), Line: s.Line,
					Err: fmt.Errorf("%w (the desired schema must load on an empty database)", err)}
			}
		}
	}
	if _, err := conn.ExecContext(ctx, "RESET search_path"); err != nil {
		return nil, err
	}
	if isHCL {
		if err := loadHCL(ctx, conn, hclSchema, desiredSchema, strings.Join(o.DesiredNames, ", ")); err != nil {
			return nil, err
		}
	}
	drv, err := postgres.Open(conn)
	if err != nil {
		return nil, fmt.Errorf("review: plan: atlas: %w", err)
	}
	cur, err := drv.InspectSchema(ctx, "public", nil)
	if err != nil {
		return nil, fmt.Errorf("review: plan: inspect current: %w", err)
	}
	want, err := drv.InspectSchema(ctx, desiredSchema, nil)
	if err != nil {
		return nil, fmt.Errorf("review: plan: inspect desired: %w", err)
	}
	want.Name = cur.Name // Atlas diffs schemas of the same name
	changes, err := drv.SchemaDiff(cur, want)
	if err != nil {
		return nil, fmt.Errorf("review: plan: diff: %w", err)
	}
	res := &PlanResult{}
	var main, index []schema.Change
	var irreversible []string
	var validate []string
	lost := map[schema.Change]bool{} // changes whose rollback cannot restore data
	for _, ch := range changes {
		switch c := ch.(type) {
		case *schema.DropTable:
			irreversible = append(irreversible, "table "+qualified(c.T))
			lost[c] = true
			main = append(main, c)
		case *schema.ModifyTable:
			subs := renames(c, o.Renames, res)
			for _, sc := range subs {
				one := &schema.ModifyTable{T: c.T, Changes: []schema.Change{sc}}
				switch x := sc.(type) {
				case *schema.AddIndex:
					x.Extra = append(x.Extra, &postgres.Concurrently{})
					index = append(index, one)
				case *schema.DropIndex:
					if isConstraintIndex(x.I) {
						main = append(main, one)
					} else {
						index = append(index, one)
					}
				case *schema.AddForeignKey:
					x.Extra = append(x.Extra, &postgres.NotValid{})
					validate = append(validate, validateStmt(c.T, x.F.Symbol))
					main = append(main, one)
				case *schema.AddCheck:
					if x.C.Name != "" {
						x.Extra = append(x.Extra, &postgres.NotValid{})
						validate = append(validate, validateStmt(c.T, x.C.Name))
					}
					main = append(main, one)
				case *schema.DropColumn:
					irreversible = append(irreversible, "column "+qualified(c.T)+"."+x.C.Name)
					lost[one] = true
					main = append(main, one)
				default:
					main = append(main, one)
				}
			}
		default:
			main = append(main, ch)
		}
	}
	parts, err := partitionChildren(ctx, conn)
	if err != nil {
		return nil, err
	}
	if len(main) == 0 && len(index) == 0 && len(parts.up) == 0 {
		return nil, ErrNoChange
	}
	step := 0
	next := func() string {
		v := first.Add(time.Duration(step) * time.Second).Format("20060102150405")
		step++
		return v
	}
	header := "-- Generated by lsosgov migrate plan (Atlas diff of the directory against the desired schema).\n"
	if len(main) > 0 || len(parts.up) > 0 {
		up, down, err := render(ctx, drv, main, lost, false)
		if err != nil {
			return nil, err
		}
		up += strings.Join(parts.up, "")
		down = strings.Join(parts.down, "") + down
		f := PlanFile{Version: next(), Name: o.Name}
		f.Up = header + up
		f.Down = "-- Rollback of " + f.Version + "_" + o.Name + ".\n" + guard(irreversible) + down
		res.Files = append(res.Files, f)
	}
	if len(index) > 0 {
		up, down, err := render(ctx, drv, index, nil, true)
		if err != nil {
			return nil, err
		}
		f := PlanFile{Version: next(), Name: o.Name + "_indexes", NoTransaction: true}
		f.Up = "-- lsos:no-transaction\n" + header + "-- Indexes on existing tables are built without blocking writes, outside a transaction.\n" + up
		f.Down = "-- lsos:no-transaction\n-- Rollback of " + f.Version + "_" + f.Name + ".\n" + down
		res.Files = append(res.Files, f)
	}
	if len(validate) > 0 {
		f := PlanFile{Version: next(), Name: o.Name + "_validate"}
		f.Up = header + "-- Constraints were added NOT VALID; validating takes only a SHARE UPDATE EXCLUSIVE lock.\n" + strings.Join(validate, "")
		f.Down = "-- Rollback of " + f.Version + "_" + f.Name + ": validation changes no data; nothing to undo.\nSELECT 1;\n"
		res.Files = append(res.Files, f)
	}
	res.Irreversible = irreversible
	return res, nil
}

// desiredSQL splits a desired SQL source, reporting a syntax error at its line.
func desiredSQL(name, src string) ([]stmt, error) {
	if _, err := pg.Parse(src); err != nil {
		e := &DesiredError{File: name, Err: err}
		var pe *pgparser.Error
		if errors.As(err, &pe) && pe.Cursorpos > 0 && pe.Cursorpos <= len(src) {
			e.Line = 1 + strings.Count(src[:pe.Cursorpos-1], "\n")
		}
		return nil, e
	}
	return splitStatements(name, src)
}

func qualified(t *schema.Table) string {
	if t.Schema != nil {
		return t.Schema.Name + "." + t.Name
	}
	return "public." + t.Name
}

func validateStmt(t *schema.Table, name string) string {
	return fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;\n", quoteQualified(qualified(t)), quoteIdent(name))
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// isConstraintIndex reports an index that backs a UNIQUE or EXCLUDE constraint (dropped
// with ALTER TABLE, not DROP INDEX).
func isConstraintIndex(i *schema.Index) bool {
	for _, a := range i.Attrs {
		if _, ok := a.(*postgres.Constraint); ok {
			return true
		}
	}
	return false
}

// renames replaces drop+add pairs named in o.Renames by renames, and records a hint
// for the other drop+add pairs of the same type.
func renames(m *schema.ModifyTable, want map[string]string, res *PlanResult) []schema.Change {
	var drops []*schema.DropColumn
	var adds []*schema.AddColumn
	for _, c := range m.Changes {
		switch x := c.(type) {
		case *schema.DropColumn:
			drops = append(drops, x)
		case *schema.AddColumn:
			adds = append(adds, x)
		}
	}
	skip := map[schema.Change]bool{}
	var out []schema.Change
	for _, dc := range drops {
		for _, ac := range adds {
			if skip[ac] || dc.C.Type == nil || ac.C.Type == nil || dc.C.Type.Raw != ac.C.Type.Raw {
				continue
			}
			key := m.T.Name + "." + dc.C.Name
			if to, ok := want[key]; ok && to == ac.C.Name {
				skip[dc], skip[ac] = true, true
				out = append(out, &schema.RenameColumn{From: dc.C, To: ac.C})
				break
			}
			res.Hints = append(res.Hints, fmt.Sprintf("%s: column %s is dropped and %s (same type %s) added: if this is a rename, pass --rename %s:%s so no data is lost",
				qualified(m.T), dc.C.Name, ac.C.Name, dc.C.Type.Raw, key, ac.C.Name))
		}
	}
	for _, c := range m.Changes {
		if !skip[c] {
			out = append(out, c)
		}
	}
	return out
}

// render plans changes with Atlas, one at a time so each keeps its own rollback, and
// returns forward and rollback SQL. The rollback of a change in lost is only a comment:
// recreating a dropped column would bring back its shape, not its data.
func render(ctx context.Context, drv amigrate.Driver, changes []schema.Change, lost map[schema.Change]bool, concurrent bool) (up, down string, err error) {
	var ups, downs []string
	for _, ch := range changes {
		p, err := drv.PlanChanges(ctx, "plan", []schema.Change{ch})
		if err != nil {
			return "", "", fmt.Errorf("review: plan: atlas: %w", err)
		}
		var rs []string
		for _, c := range p.Changes {
			cmd := c.Cmd
			if concurrent {
				cmd = concurrently(cmd)
			}
			if c.Comment != "" {
				ups = append(ups, "-- "+c.Comment+"\n")
			}
			ups = append(ups, cmd+";\n")
			rev, err := c.ReverseStmts()
			if err != nil {
				return "", "", err
			}
			for _, r := range rev {
				if concurrent {
					r = concurrently(r)
				}
				if lost[ch] {
					r = "-- after restoring the data from a backup, the shape would be: " + r
				}
				rs = append([]string{r + ";\n"}, rs...)
			}
		}
		downs = append(rs, downs...)
	}
	return strings.Join(ups, ""), strings.Join(downs, ""), nil
}

func concurrently(stmt string) string {
	for _, p := range []string{"CREATE UNIQUE INDEX ", "CREATE INDEX ", "DROP INDEX "} {
		if strings.HasPrefix(stmt, p) && !strings.Contains(stmt, "CONCURRENTLY") {
			return p + "CONCURRENTLY " + strings.TrimPrefix(stmt, p)
		}
	}
	return stmt
}

// guard renders the irreversible marker of a rollback: a comment per object and a
// statement that fails, so a rollback never silently recreates an empty column.
func guard(objs []string) string {
	if len(objs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("-- IRREVERSIBLE: the forward migration drops data that this rollback cannot bring back:\n")
	for _, o := range objs {
		fmt.Fprintf(&b, "--   %s\n", o)
	}
	b.WriteString("-- Restore from the archive or a backup instead; the guard below stops the rollback.\n")
	fmt.Fprintf(&b, "DO $$ BEGIN RAISE EXCEPTION 'irreversible: %s cannot be restored by a rollback'; END $$;\n",
		strings.ReplaceAll(strings.Join(objs, ", "), "'", "''"))
	return b.String()
}

type partSQL struct{ up, down []string }

// partitionChildren creates in public the partitions the desired schema has and the
// current one lacks (Atlas does not inspect partition children).
func partitionChildren(ctx context.Context, conn *sql.Conn) (partSQL, error) {
	rows, err := conn.QueryContext(ctx, `SELECT c.relname, p.relname, pg_get_expr(c.relpartbound, c.oid)
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relispartition AND c.relkind IN ('r','p')
		  AND NOT EXISTS (SELECT 1 FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace
		                  WHERE n2.nspname = 'public' AND c2.relname = c.relname)
		ORDER BY c.relname`, desiredSchema)
	if err != nil {
		return partSQL{}, fmt.Errorf("review: plan: partitions: %w", err)
	}
	defer rows.Close()
	var out partSQL
	for rows.Next() {
		var child, parent, bound string
		if err := rows.Scan(&child, &parent, &bound); err != nil {
			return out, err
		}
		c, p := quoteQualified("public."+child), quoteQualified("public."+parent)
		out.up = append(out.up, fmt.Sprintf("CREATE TABLE %s PARTITION OF %s %s;\n", c, p, bound))
		out.down = append([]string{fmt.Sprintf("DROP TABLE %s;\n", c)}, out.down...)
	}
	return out, rows.Err()
}

// WritePlan writes the planned versions into the directory at path and rewrites its
// atlas.sum over every .sql file.
func WritePlan(dir *migrate.Dir, res *PlanResult) error {
	if dir == nil || dir.Path() == "" {
		return errors.New("lint: WritePlan: the directory is not on disk; load it with migrate.Load(path)")
	}
	path := dir.Path()
	for _, f := range res.Files {
		for name, body := range map[string]string{f.UpName(): f.Up, f.DownName(): f.Down} {
			full := filepath.Join(path, name)
			if _, err := os.Stat(full); err == nil {
				return fmt.Errorf("lint: plan: %s already exists; choose another version", full)
			}
			if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
				return fmt.Errorf("lint: plan: %w", err)
			}
		}
	}
	return migrate.Hash(path)
}
