package review

import (
	"context"
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
	// Applied lists the versions applied on the live database; nil means every version
	// of the directory.
	Applied []string
	// Schemas to compare; default public.
	Schemas []string
	// IgnorePartitions leaves out partition children and the indexes, constraints,
	// triggers, policies and comments on them. Partition maintenance and archiving
	// create and detach monthly partitions at run time, so on a live database they are
	// not migration state. Partitioned parents are still compared, and a parent's
	// indexes and constraints reach its children, so a hand-made change to a parent is
	// still found; a change made to one child only is not.
	IgnorePartitions bool
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

// Drift replays the applied versions of d on the empty scratch database dev, snapshots
// it and live (tables through Atlas; partitions, views, functions, triggers, RLS and
// policies, sequences, types, index and constraint definitions and comments through
// the catalog) and lists every difference, so a hand-made hotfix is found. live is only
// read. Both databases must be a *pgxpool.Pool or *pgx.Conn.
func Drift(ctx context.Context, live, dev DB, d *Dir, o DriftOptions) ([]Difference, error) {
	if len(o.Schemas) == 0 {
		o.Schemas = []string{"public"}
	}
	tables, err := userTables(ctx, dev)
	if err != nil {
		return nil, fmt.Errorf("review: drift: dev database: %w", err)
	}
	if len(tables) > 0 {
		return nil, ErrDevNotEmpty
	}
	applied := map[string]bool{}
	for _, v := range o.Applied {
		applied[v] = true
	}
	for _, f := range d.Files {
		if o.Applied != nil && !applied[f.Version] {
			continue
		}
		st, err := splitStatements(f.Name, f.SQL)
		if err != nil {
			return nil, err
		}
		for _, s := range st {
			if s.Node.GetTransactionStmt() != nil {
				continue
			}
			if _, err := dev.Exec(ctx, s.SQL); err != nil {
				return nil, fmt.Errorf("%w: %s:%d: %v", ErrReplay, f.Name, s.Line, err)
			}
		}
	}
	want, err := schemasnap.Take(ctx, dev, o.Schemas...)
	if err != nil {
		return nil, fmt.Errorf("review: drift: expected state: %w", err)
	}
	got, err := schemasnap.Take(ctx, live, o.Schemas...)
	if err != nil {
		return nil, fmt.Errorf("review: drift: live database: %w", err)
	}
	if o.IgnorePartitions {
		parts := map[string]bool{}
		for _, snap := range []*schemasnap.Snapshot{want, got} {
			for k := range snap.Partitions {
				parts[k] = true
			}
		}
		dropPartitions(want, parts)
		dropPartitions(got, parts)
	}
	return compareSnapshots(want, got), nil
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
