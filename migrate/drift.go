package migrate

import (
	"context"
	"errors"
	"fmt"

	"regexp"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lsos/lsosgov/internal/schemasnap"
)

// DriftOptions tune [Drift].
type DriftOptions struct {
	// Dev is an empty scratch database (a *pgxpool.Pool or *pgx.Conn) on which the
	// applied versions are replayed. Required: drift never replays on the live database.
	Dev DB
	// Config names the revisions schema; its zero value is the default.
	Config Config
	// Applied overrides the applied versions; nil reads them from the live database's
	// revisions table.
	Applied []string
	// Schemas to compare; default public.
	Schemas []string
	// IgnorePartitions leaves out partition children (and the indexes, constraints,
	// triggers and comments on them), which partition maintenance and archiving create
	// and detach at run time. Partitioned parents are still compared.
	IgnorePartitions bool
}

// Drift compares the live database db with the state its applied versions of dir
// produce (replayed on opts.Dev) and lists every difference: tables, columns, indexes,
// constraints, partitions, views, functions, triggers, RLS and policies, sequences,
// types and comments. A hand-made hotfix in production shows up here. db is only read.
func Drift(ctx context.Context, db DB, dir *Dir, opts DriftOptions) ([]Difference, error) {
	if dir == nil || dir.FS() == nil {
		return nil, errors.New("migrate: Drift: dir is nil; load one with Load or LoadFS")
	}
	if opts.Dev == nil {
		return nil, errors.New("migrate: Drift: DriftOptions.Dev is required: an empty scratch database to replay the applied versions on")
	}
	applied := opts.Applied
	if applied == nil {
		m, err := NewMigrator(db, dir, opts.Config)
		if err != nil {
			return nil, err
		}
		st, err := m.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("migrate: Drift: %w", err)
		}
		applied = []string{}
		for _, s := range st {
			if s.State == "applied" {
				applied = append(applied, s.Version)
			}
		}
	}
	return replayAndCompare(ctx, db, opts.Dev, dir, applied, opts)
}

// replayAndCompare replays the applied versions of dir on dev (which must be empty),
// takes schema snapshots of dev and live and lists their differences.
func replayAndCompare(ctx context.Context, live, dev DB, dir *Dir, applied []string, o DriftOptions) ([]Difference, error) {
	schemas := o.Schemas
	if len(schemas) == 0 {
		schemas = []string{"public"}
	}
	var n int
	if err := dev.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("migrate: Drift: dev database: %w", err)
	}
	if n > 0 {
		return nil, ErrDevNotEmpty
	}
	want := map[string]bool{}
	for _, v := range applied {
		want[v] = true
	}
	for _, v := range dir.Versions {
		if !want[v.Version] {
			continue
		}
		stmts, err := v.Up.Statements()
		if err != nil {
			return nil, err
		}
		for _, s := range stmts {
			if isTxControl(s) {
				continue
			}
			if _, err := dev.Exec(ctx, s.SQL); err != nil {
				return nil, fmt.Errorf("%w: %s:%d: %v", ErrReplay, v.Up.Name, s.Line, err)
			}
		}
	}
	exp, err := schemasnap.Take(ctx, dev, schemas...)
	if err != nil {
		return nil, fmt.Errorf("migrate: Drift: expected state: %w", err)
	}
	got, err := schemasnap.Take(ctx, live, schemas...)
	if err != nil {
		return nil, fmt.Errorf("migrate: Drift: live database: %w", err)
	}
	if o.IgnorePartitions {
		parts := map[string]bool{}
		for _, snap := range []*schemasnap.Snapshot{exp, got} {
			for k := range snap.Partitions {
				parts[k] = true
			}
		}
		dropPartitions(exp, parts)
		dropPartitions(got, parts)
	}
	return compareSnapshots(exp, got), nil
}

// Difference is one way the live database differs from what its migrations produce.
type Difference struct {
	Kind   string `json:"kind"`   // table, partition, view, function, trigger, policy, rls, sequence, type, index, constraint, comment
	Object string `json:"object"` // schema-qualified
	Change string `json:"change"` // extra (only live), missing (only expected), changed
	Detail string `json:"detail,omitempty"`
}

func (d Difference) String() string {
	s := fmt.Sprintf("%s %s %s", d.Change, d.Kind, d.Object)
	if d.Detail != "" {
		s += ": " + d.Detail
	}
	return s
}

// indexTableRe finds the table in pg_get_indexdef output ("… ON [ONLY] schema.table USING …").
var indexTableRe = regexp.MustCompile(` ON (?:ONLY )?(.+?) USING `)

// dropPartitions removes from s the partition children in parts and what hangs on them.
// Keys and definitions quote identifiers the same way (format %I, pg_get_*def), so the
// child names compare as they are.
func dropPartitions(s *schemasnap.Snapshot, parts map[string]bool) {
	onPart := func(key string) bool { // schema.table.object keys
		for p := range parts {
			if strings.HasPrefix(key, p+".") || key == p {
				return true
			}
		}
		return false
	}
	for k := range s.Partitions {
		delete(s.Partitions, k)
	}
	for k := range s.Tables {
		if parts[k] {
			delete(s.Tables, k)
		}
	}
	for k, def := range s.Indexes {
		if m := indexTableRe.FindStringSubmatch(def); m != nil && parts[m[1]] {
			delete(s.Indexes, k)
		}
	}
	for _, m := range []map[string]string{s.Constraint, s.Triggers, s.Policies, s.RLS} {
		for k := range m {
			if onPart(k) {
				delete(m, k)
			}
		}
	}
	// pg_describe_object leaves out the schema of an object on the search_path.
	bare := map[string]bool{}
	for p := range parts {
		if _, name, ok := strings.Cut(p, "."); ok {
			bare[name] = true
		}
	}
	for k := range s.Comments {
		kind, obj, _ := strings.Cut(k, " ")
		if kind != "table" && kind != "column" {
			continue
		}
		if kind == "column" {
			if i := strings.LastIndex(obj, "."); i > 0 {
				obj = obj[:i]
			}
		}
		if parts[obj] || bare[obj] {
			delete(s.Comments, k)
		}
	}
}

var spaceRe = regexp.MustCompile(`\s+`)

// compareSnapshots lists the differences from want (expected) to got (live).
func compareSnapshots(want, got *schemasnap.Snapshot) []Difference {
	var out []Difference
	tw, tg := map[string]string{}, map[string]string{}
	for k := range want.Tables {
		tw[k] = ""
	}
	for k := range got.Tables {
		tg[k] = ""
	}
	for _, k := range union(tw, tg) {
		a, okA := want.Tables[k]
		b, okB := got.Tables[k]
		switch {
		case !okA:
			out = append(out, Difference{"table", k, "extra", "not created by any applied migration"})
		case !okB:
			out = append(out, Difference{"table", k, "missing", "an applied migration creates it"})
		default:
			if diff := cmp.Diff(a, b, cmpopts.EquateEmpty()); diff != "" {
				out = append(out, Difference{"table", k, "changed", compact(diff)})
			}
		}
	}
	cats := []struct {
		kind string
		a, b map[string]string
	}{
		{"partition", want.Partitions, got.Partitions},
		{"view", want.Views, got.Views},
		{"function", want.Functions, got.Functions},
		{"trigger", want.Triggers, got.Triggers},
		{"policy", want.Policies, got.Policies},
		{"rls", want.RLS, got.RLS},
		{"sequence", want.Sequences, got.Sequences},
		{"type", want.Types, got.Types},
		{"index", want.Indexes, got.Indexes},
		{"constraint", want.Constraint, got.Constraint},
		{"comment", want.Comments, got.Comments},
	}
	for _, c := range cats {
		for _, k := range union(c.a, c.b) {
			a, okA := c.a[k]
			b, okB := c.b[k]
			switch {
			case !okA:
				out = append(out, Difference{c.kind, k, "extra", compact(b)})
			case !okB:
				out = append(out, Difference{c.kind, k, "missing", compact(a)})
			case a != b:
				out = append(out, Difference{c.kind, k, "changed", compact(fmt.Sprintf("expected %s; live %s", a, b))})
			}
		}
	}
	return out
}

func union(a, b map[string]string) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func compact(s string) string {
	s = strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
