package alembic

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseRevision: any input either parses or fails with a *FileError that
// wraps one of the documented sentinels; it never panics or hangs.
func FuzzParseRevision(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "examples", "lsos-alembic", "alembic", "versions", "*.py"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"revision = 'a'\ndown_revision = ('b',\n 'c')\n",
		"'''doc\n# lsos:no-transaction\n'''\nrevision = \"x\"\ndef downgrade(): pass\n",
		"revision = r'\\'\n", "x = $'a'", "revision = ((('a')))", "revision = 'a' \\\n 'b'", "\"\"\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := parseRevision("f.py", "versions/f.py", src)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "f.py" || fe.Line < 1 {
				t.Fatalf("error without file and line: %#v", err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrNoRevision) && !errors.Is(err, ErrBadValue) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if r.ID == "" {
			t.Fatalf("parsed without an id")
		}
	})
}
