package apicheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLeaks(t *testing.T) {
	dir := t.TempDir()
	src := `package p

import (
	"context"

	"example.com/m/internal/dbx"
	iq "example.com/m/internal/q"
)

type DB = dbx.DB
type Opts struct {
	Export iq.Options
	hidden iq.Options
}
type Fine struct{ N int }
func Open(ctx context.Context) (*iq.Reader, error) { return nil, nil }
func (Fine) Name() dbx.Name { return dbx.Name{} }
func (f *Fine) Use() error { _ = dbx.Name{}; return nil }
func helper() dbx.DB { return nil }
var ErrX = iq.ErrX
const Kind = iq.KindText
var ok = iq.ErrX
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	leaks, err := Leaks(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(leaks, "\n")
	for _, want := range []string{"type DB mentions", "Opts.Export mentions", "func Open mentions", "func Name mentions", "ErrX mentions", "Kind mentions"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, bad := range []string{"hidden", "Use", "helper", " ok "} {
		if strings.Contains(got, bad) {
			t.Errorf("reported %q in\n%s", bad, got)
		}
	}
	if len(leaks) != 6 {
		t.Errorf("%d leaks:\n%s", len(leaks), got)
	}
}
