package alembic_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate/alembic"
)

func TestMain(m *testing.M) { govtest.Main(m) }

// sampleDir is the sample LSOS Alembic project.
var sampleDir = filepath.Join("..", "..", "examples", "lsos-alembic")

// requireAlembic fails the test (never skips) when Alembic is not installed: CI must
// install it (.ci/run: apt-get install alembic python3-psycopg2).
func requireAlembic(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("alembic"); err != nil {
		t.Fatalf("Alembic is not installed, and these tests need the real tool: apt-get install -y alembic python3-psycopg2 (%v)", err)
	}
}

func openSample(t testing.TB) *alembic.Project {
	t.Helper()
	p, err := alembic.Open(sampleDir)
	if err != nil {
		t.Fatalf("open sample: %v", err)
	}
	return p
}
