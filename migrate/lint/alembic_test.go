package lint_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate/alembic"
	"github.com/lsos/lsosgov/migrate/lint"
)

// copyDir copies the sample Alembic project into a temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestReviewAlembicMapsFindingsToRevisionFiles reviews the sample Alembic project plus
// a revision that builds an index the blocking way: the lock-risk finding names the
// revision file and the line of its SQL, and an `# lsos:` directive in a revision works
// as the native `-- lsos:` one.
func TestReviewAlembicMapsFindingsToRevisionFiles(t *testing.T) {
	ctx := context.Background()
	dir := copyDir(t, filepath.Join("..", "..", "examples", "lsos-alembic"))
	p0, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head := p0.Graph().HeadIDs()
	if len(head) != 1 {
		t.Fatalf("the sample must have one head, has %v", head)
	}
	rev := `"""reviews rating index

Revision ID: 9f9f9f9f9f01
Revises: ` + head[0] + `
Create Date: 2026-03-01 00:00:00.000000

"""
from alembic import op

revision = "9f9f9f9f9f01"
down_revision = "` + head[0] + `"
branch_labels = None
depends_on = None


def upgrade():
    # lsos:approved-by backend-owner, platform-owner
    op.execute("CREATE INDEX reviews_rating_idx ON reviews (rating)")


def downgrade():
    op.execute("DROP INDEX reviews_rating_idx")
`
	revFile := filepath.Join(dir, "alembic", "versions", "9f9f9f9f9f01_reviews_rating_index.py")
	if err := os.WriteFile(revFile, []byte(rev), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := lint.ReviewAlembic(ctx, pgtest.DB(t, "", nil), p, lint.Options{
		Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	var lr *governance.Finding
	for i, f := range rep.Findings {
		if !strings.HasSuffix(f.File, ".py") && f.File != "" {
			t.Errorf("finding not mapped to a revision file: %s", f)
		}
		if f.Code == lint.CodeIndexNotConcurrent {
			lr = &rep.Findings[i]
		}
	}
	if lr == nil || filepath.Base(lr.File) != filepath.Base(revFile) || lr.Line != 18 {
		t.Fatalf("LR101 = %v, want it at %s:18 (the op.execute line); findings:\n%v", lr, filepath.Base(revFile), rep.Findings)
	}
	for _, a := range rep.Approvals {
		if a.Version == "" {
			continue
		}
		if strings.Contains(a.File, "reviews_rating") && len(a.Missing) != 0 {
			t.Errorf("the # lsos:approved-by directive of the revision must count: %+v", a)
		}
	}
}
