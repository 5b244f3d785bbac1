package alembic_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate/alembic"
)

// withDate replaces the Create Date header of a revision file.
func withDate(src, date string) string {
	return strings.Replace(src, "2026-02-01 10:00:00.000000", date, 1)
}

func codes(fs governance.Findings) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Check+"/"+f.Code+"/"+f.Object)
	}
	return out
}

func TestGraphMergeOrderIsStable(t *testing.T) {
	// base → (b1 on 02-03, b2 on 02-02) → merge; b2 is older, so it goes first even
	// though its file name sorts later.
	dir := writeProject(t, map[string]string{
		"a_base.py":  rev("base", "", "", ""),
		"b_b1.py":    withDate(rev("b1", "base", "", ""), "2026-02-03 00:00:00"),
		"c_b2.py":    withDate(rev("b2", "base", "", ""), "2026-02-02 00:00:00"),
		"d_merge.py": withDate(rev("m", "('b1', 'b2')", "pass", "pass"), "2026-02-04 00:00:00"),
		"e_next.py":  withDate(rev("n", "m", "", ""), "2026-01-01 00:00:00"),
	})
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	g := p.Graph()
	if got, want := revIDs(g.Order), []string{"base", "b2", "b1", "m", "n"}; !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	if !slices.Equal(g.HeadIDs(), []string{"n"}) || !slices.Equal(revIDs(g.Bases), []string{"base"}) {
		t.Errorf("heads %q, bases %q", g.HeadIDs(), revIDs(g.Bases))
	}
	if g.Err() != nil {
		t.Errorf("Err: %v", g.Err())
	}
	// The empty merge revision (upgrade and downgrade both pass) is no missing rollback.
	if fs := p.Findings(nil).ByCheck(alembic.CheckGraph); len(fs) != 0 {
		t.Errorf("findings: %v", fs)
	}
	if fs := p.Findings(nil).ByCheck(governance.CheckMissingRollback); len(fs) != 0 {
		t.Errorf("findings: %v", fs)
	}
}

func TestGraphDependsOnOrders(t *testing.T) {
	// Two independent bases; x depends on the other branch's label.
	dir := writeProject(t, map[string]string{
		"a.py": withDate(rev("a", "", "", ""), "2026-01-02 00:00:00"),
		"b.py": withDate(strings.Replace(rev("b", "", "", ""), "branch_labels = None", "branch_labels = ('other',)", 1), "2026-01-03 00:00:00"),
		"x.py": withDate(strings.Replace(rev("x", "a", "", ""), "depends_on = None", "depends_on = 'other'", 1), "2026-01-01 00:00:00"),
	})
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := revIDs(p.Graph().Order), []string{"a", "b", "x"}; !slices.Equal(got, want) {
		t.Errorf("order %q, want %q (x after b, which it depends on)", got, want)
	}
	// Two heads (b and x): an error finding on each.
	fs := p.Findings(nil).ByCheck(alembic.CheckGraph)
	if got := codes(fs); !slices.Equal(got, []string{"alembic-graph/AG101/b", "alembic-graph/AG101/x"}) {
		t.Errorf("findings %q", got)
	}
	if !fs.HasErrors() || !strings.Contains(fs[0].Message, "alembic merge") {
		t.Errorf("multiple heads finding: %v", fs)
	}
}

func TestGraphProblems(t *testing.T) {
	t.Run("two heads", func(t *testing.T) {
		p, err := alembic.Open(writeProject(t, map[string]string{
			"a.py": rev("a", "", "", ""), "b.py": rev("b", "a", "", ""), "c.py": rev("c", "a", "", ""),
		}))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Graph().HeadIDs(), []string{"b", "c"}) {
			t.Errorf("heads %q", p.Graph().HeadIDs())
		}
		f := p.Findings(nil).ByCheck(alembic.CheckGraph)
		if len(f) != 2 || f[0].Code != alembic.CodeMultipleHeads || f[0].Line != 12 || !strings.HasSuffix(f[0].File, "b.py") {
			t.Errorf("findings %v", f)
		}
		// Several heads do not stop ordering.
		if p.Graph().Err() != nil || len(p.Graph().Order) != 3 {
			t.Errorf("Err %v, order %q", p.Graph().Err(), revIDs(p.Graph().Order))
		}
	})
	t.Run("dangling down_revision", func(t *testing.T) {
		p, err := alembic.Open(writeProject(t, map[string]string{
			"a.py": rev("a", "", "", ""), "b.py": rev("b", "gone", "", ""),
		}))
		if err != nil {
			t.Fatal(err)
		}
		f := p.Findings(nil).ByCheck(alembic.CheckGraph)
		if got := codes(f); !slices.Contains(got, "alembic-graph/AG102/b") {
			t.Errorf("findings %q", got)
		}
		for _, x := range f {
			if x.Code == alembic.CodeDanglingDown && (x.Line != 13 || !strings.Contains(x.Message, `"gone"`)) {
				t.Errorf("dangling finding %v", x)
			}
		}
		var ge *alembic.GraphError
		if err := p.Graph().Err(); !errors.As(err, &ge) || !errors.Is(err, alembic.ErrGraph) || len(ge.Dangling) != 1 || !strings.Contains(err.Error(), `down_revision "gone"`) {
			t.Errorf("Err: %v", err)
		}
	})
	t.Run("dangling depends_on", func(t *testing.T) {
		p, err := alembic.Open(writeProject(t, map[string]string{
			"a.py": strings.Replace(rev("a", "", "", ""), "depends_on = None", "depends_on = ('nolabel',)", 1),
		}))
		if err != nil {
			t.Fatal(err)
		}
		if got := codes(p.Findings(nil).ByCheck(alembic.CheckGraph)); !slices.Equal(got, []string{"alembic-graph/AG104/a"}) {
			t.Errorf("findings %q", got)
		}
	})
	t.Run("cycle", func(t *testing.T) {
		p, err := alembic.Open(writeProject(t, map[string]string{
			"a.py": rev("a", "", "", ""), "b.py": rev("b", "('a', 'd')", "", ""), "c.py": rev("c", "b", "", ""), "d.py": rev("d", "c", "", ""),
		}))
		if err != nil {
			t.Fatal(err)
		}
		g := p.Graph()
		if g.Order != nil {
			t.Errorf("order %q for a cyclic graph", revIDs(g.Order))
		}
		cyc := slices.Clone(g.Cycle)
		slices.Sort(cyc)
		if !slices.Equal(cyc, []string{"b", "c", "d"}) {
			t.Errorf("cycle %q", g.Cycle)
		}
		f := p.Findings(nil).ByCheck(alembic.CheckGraph)
		if got := codes(f); !slices.Contains(got, "alembic-graph/AG103/"+g.Cycle[0]) {
			t.Errorf("findings %q", got)
		}
		if err := g.Err(); !errors.Is(err, alembic.ErrGraph) || !strings.Contains(err.Error(), "cycle") {
			t.Errorf("Err: %v", err)
		}
	})
}

func TestFindingsMissingRollback(t *testing.T) {
	p, err := alembic.Open(writeProject(t, map[string]string{
		"a.py": rev("a", "", "", "pass"),
		"b.py": rev("b", "a", "", `"""nothing"""`),
		"c.py": rev("c", "b", "", "raise NotImplementedError()"),
		"d.py": strings.Split(rev("d", "c", "", ""), "def downgrade")[0],
		"e.py": rev("e", "d", "", "op.drop_table('t')"),
		"f.py": strings.Replace(rev("f", "e", "", "pass"), "# revision identifiers", "# lsos:allow missing-rollback reason=\"data-only backfill\"\n# revision identifiers", 1),
	}))
	if err != nil {
		t.Fatal(err)
	}
	fs := p.Findings(nil).ByCheck(governance.CheckMissingRollback)
	want := []string{"missing-rollback/MR202/a", "missing-rollback/MR202/b", "missing-rollback/MR203/c", "missing-rollback/MR201/d"}
	if got := codes(fs); !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	for _, f := range fs {
		if f.Severity != governance.SeverityError || f.File == "" || f.Line == 0 {
			t.Errorf("finding %v: want an error with file and line", f)
		}
	}
	// The policy decides severity.
	pol := governance.Default()
	pol.Severities = map[string]governance.Severity{governance.CheckMissingRollback: governance.SeverityWarning}
	if fs := p.Findings(pol).ByCheck(governance.CheckMissingRollback); fs.HasErrors() || len(fs) != 4 {
		t.Errorf("with the policy's warning severity: %v", fs)
	}
}
