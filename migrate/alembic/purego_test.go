package alembic_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The package must build without cgo (it must not import migrate, whose review uses
// pg_query_go).
func TestPureGo(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, n, _ := strings.Cut(l, " ")
		if strings.Contains(path, "pg_query") || (n != "0" && path != "runtime/cgo") {
			t.Errorf("dependency %s needs cgo (%s cgo files)", path, n)
		}
		if path == "github.com/lsos/lsosgov/migrate" {
			t.Errorf("the package imports migrate, which needs cgo")
		}
	}
	build := exec.Command("go", "build", "-o", os.DevNull, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}
