package lint

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/alembic"
)

// ReviewAlembic reviews the revisions of an Alembic project with every check of the
// native review. The project's revision graph and checksums are checked in Go
// ([alembic.Project.Findings]: alembic-graph for several heads, a dangling or cyclic
// down_revision; missing-rollback for an empty downgrade(); checksum-mismatch against
// lsos-alembic.sum). Each revision's SQL is rendered with Alembic's offline mode
// (`alembic upgrade … --sql`, through the project's configured command; a missing tool
// is an *alembic.ToolNotFoundError naming it), laid out as a native directory with the
// `# lsos:` comments of the revision as its directives, and reviewed on dev like
// [Review] does; every finding is then mapped back to the revision file and line. The
// rollback checks of the native review are left to the project's own (a merge
// revision's downgrade is rightly empty).
func ReviewAlembic(ctx context.Context, dev DB, p *alembic.Project, o Options) (*Report, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: the Alembic project is nil; open one with alembic.Open", ErrOptions)
	}
	policy := o.Policy
	if policy == nil {
		policy = governance.Default()
	}
	graph := p.Findings(policy)
	if p.Graph().Err() != nil {
		// A broken graph has no apply order to render: report it alone.
		rep := &Report{Findings: graph, Approvals: []Approval{}, Reviewed: []string{}}
		rep.Findings.Sort()
		return rep, nil
	}
	n, err := p.Native(ctx, alembic.ImportOptions{})
	if err != nil {
		return nil, err
	}
	dir, err := migrate.Inspect(n.FS(), "")
	if err != nil {
		return nil, fmt.Errorf("lint: the rendered revisions do not form a migration directory: %w", err)
	}
	rep, err := Review(ctx, dev, dir, o)
	if err != nil {
		return nil, err
	}
	var out governance.Findings
	for _, f := range rep.Findings {
		if f.Check == governance.CheckMissingRollback {
			continue
		}
		if file, line, ok := n.Source(f.File, f.Line); ok {
			f.File, f.Line = file, line
		}
		out = append(out, f)
	}
	for i := range rep.Suppressed {
		f := &rep.Suppressed[i].Finding
		if file, line, ok := n.Source(f.File, f.Line); ok {
			f.File, f.Line = file, line
		}
	}
	rep.Findings = append(out, graph...)
	rep.Findings.Sort()
	return rep, nil
}
