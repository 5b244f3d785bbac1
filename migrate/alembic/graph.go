package alembic

import (
	"cmp"
	"fmt"
	"slices"
)

// Graph is the revision graph of a project: down_revision edges (and depends_on
// edges, which order revisions but do not make branches).
type Graph struct {
	// Heads are the revisions no other revision follows (`alembic heads`); Bases the
	// revisions with no down revision. Both are in apply order.
	Heads []*Revision
	Bases []*Revision
	// Order is the apply order: topological from the bases, every revision after
	// its down revisions and dependencies; among revisions ready at the same time,
	// the earlier Create Date, then file name, comes first, so the order is stable.
	// Nil when the graph has a cycle.
	Order []*Revision
	// Dangling lists the references to revisions the directory does not have.
	Dangling []Dangling
	// Cycle is one cycle of the graph (revision ids in down_revision order), empty
	// when there is none.
	Cycle []string

	deps map[*Revision][]*Revision
}

// Dangling is a down_revision or depends_on naming a revision (or branch label) that
// no file declares.
type Dangling struct {
	Revision *Revision
	Field    string // "down_revision" or "depends_on"
	Ref      string
	Line     int
}

func (d Dangling) String() string {
	return fmt.Sprintf("%s (%s:%d) has %s %q, which no revision file declares", d.Revision.ID, d.Revision.File, d.Line, d.Field, d.Ref)
}

// Err returns a *[GraphError] when the graph has a cycle or a dangling reference,
// nil otherwise. Several heads are not an error here (see [Project.Findings]).
func (g *Graph) Err() error {
	if len(g.Cycle) == 0 && len(g.Dangling) == 0 {
		return nil
	}
	return &GraphError{Cycle: g.Cycle, Dangling: g.Dangling}
}

// HeadIDs returns the ids of the heads.
func (g *Graph) HeadIDs() []string { return ids(g.Heads) }

func ids(rs []*Revision) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func buildGraph(p *Project) *Graph {
	g := &Graph{deps: map[*Revision][]*Revision{}}
	labels := map[string]*Revision{}
	for _, r := range p.Revisions {
		for _, l := range r.BranchLabels {
			labels[l] = r
		}
	}
	followed := map[*Revision]bool{}
	for _, r := range p.Revisions {
		for _, d := range r.DownRevisions {
			dr := p.byID[d]
			if dr == nil {
				g.Dangling = append(g.Dangling, Dangling{Revision: r, Field: "down_revision", Ref: d, Line: r.DownLine})
				continue
			}
			followed[dr] = true
			g.deps[r] = append(g.deps[r], dr)
		}
		for _, d := range r.DependsOn {
			dr := p.byID[d]
			if dr == nil {
				dr = labels[d]
			}
			if dr == nil {
				g.Dangling = append(g.Dangling, Dangling{Revision: r, Field: "depends_on", Ref: d, Line: r.DependsLine})
				continue
			}
			if !slices.Contains(g.deps[r], dr) {
				g.deps[r] = append(g.deps[r], dr)
			}
		}
	}
	g.Order, g.Cycle = g.order(p.Revisions)
	pos := map[*Revision]int{}
	for i, r := range g.Order {
		pos[r] = i
	}
	for _, r := range p.Revisions {
		if !followed[r] {
			g.Heads = append(g.Heads, r)
		}
		if len(r.DownRevisions) == 0 {
			g.Bases = append(g.Bases, r)
		}
	}
	byPos := func(a, b *Revision) int {
		pa, oka := pos[a]
		pb, okb := pos[b]
		if oka && okb {
			return cmp.Compare(pa, pb)
		}
		return cmp.Compare(a.ID, b.ID)
	}
	slices.SortFunc(g.Heads, byPos)
	slices.SortFunc(g.Bases, byPos)
	return g
}

// readyBefore orders revisions that are ready to apply at the same time.
func readyBefore(a, b *Revision) int {
	return cmp.Or(a.CreateDate.Compare(b.CreateDate), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}

// order is Kahn's algorithm with a stable tie-break; on a cycle it returns nil and
// one cycle.
func (g *Graph) order(all []*Revision) ([]*Revision, []string) {
	indeg := map[*Revision]int{}
	next := map[*Revision][]*Revision{}
	for _, r := range all {
		indeg[r] = len(g.deps[r])
		for _, d := range g.deps[r] {
			next[d] = append(next[d], r)
		}
	}
	var ready, out []*Revision
	for _, r := range all {
		if indeg[r] == 0 {
			ready = append(ready, r)
		}
	}
	for len(ready) > 0 {
		slices.SortFunc(ready, readyBefore)
		r := ready[0]
		ready = ready[1:]
		out = append(out, r)
		for _, n := range next[r] {
			if indeg[n]--; indeg[n] == 0 {
				ready = append(ready, n)
			}
		}
	}
	if len(out) == len(all) {
		return out, nil
	}
	// Every revision left has a dependency left: walk them until one repeats.
	var start *Revision
	for _, r := range all {
		if indeg[r] > 0 {
			start = r
			break
		}
	}
	seen := map[*Revision]int{}
	var path []*Revision
	for r := start; ; {
		if i, ok := seen[r]; ok {
			cyc := path[i:]
			slices.Reverse(cyc) // down_revision order: older first
			return nil, ids(cyc)
		}
		seen[r] = len(path)
		path = append(path, r)
		for _, d := range g.deps[r] {
			if indeg[d] > 0 {
				r = d
				break
			}
		}
	}
}

// ancestors returns the revisions reachable from the given ones through down
// revisions and dependencies, the given ones included.
func (g *Graph) ancestors(from []*Revision) map[*Revision]bool {
	seen := map[*Revision]bool{}
	stack := slices.Clone(from)
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[r] {
			continue
		}
		seen[r] = true
		stack = append(stack, g.deps[r]...)
	}
	return seen
}
