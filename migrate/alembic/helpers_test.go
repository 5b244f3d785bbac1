package alembic_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/migrate/alembic"
)

// writeProject writes a script directory (no alembic.ini) with the given revision
// files (name → source) and returns its path.
func writeProject(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "versions"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, "versions", name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rev builds a revision file in Alembic's template form.
func rev(id, down, upBody, downBody string) string {
	d := "None"
	if strings.HasPrefix(down, "(") || strings.HasPrefix(down, "[") {
		d = down
	} else if down != "" {
		d = "'" + down + "'"
	}
	if upBody == "" {
		upBody = "op.execute('CREATE TABLE t_" + id + " (id int)')"
	}
	if downBody == "" {
		downBody = "op.execute('DROP TABLE t_" + id + "')"
	}
	return `"""revision ` + id + `

Revision ID: ` + id + `
Revises: ` + down + `
Create Date: 2026-02-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '` + id + `'
down_revision = ` + d + `
branch_labels = None
depends_on = None


def upgrade() -> None:
    ` + upBody + `


def downgrade() -> None:
    ` + downBody + `
`
}

// copySample copies the sample project into a temp dir (to edit it).
func copySample(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(sampleDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sampleDir, p)
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
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

func revIDs(rs []*alembic.Revision) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func poolFor(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
