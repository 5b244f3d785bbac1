package alembic

import (
	"errors"
	"math/rand/v2"
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

// TestParseRevisionMutations runs the fuzz invariants over deterministic random
// mutations of the sample revisions (hostile quotes, brackets, backslashes,
// truncations), so that plain `go test` exercises them too.
func TestParseRevisionMutations(t *testing.T) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "examples", "lsos-alembic", "alembic", "versions", "*.py"))
	if len(seeds) == 0 {
		t.Fatal("no sample revisions")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	junk := []string{"'", `"`, `"""`, "'''", "(", ")", "[", "]", "\\", "\\\n", "\n", "#", "=", ",", "\x00", "\xff", "None", "r'", "f'", "\t", ":"}
	parsed, failed := 0, 0
	for i := 0; i < 2000; i++ {
		b, err := os.ReadFile(seeds[rng.IntN(len(seeds))])
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for m := 0; m < 1+rng.IntN(3); m++ {
			pos := rng.IntN(len(s) + 1)
			switch rng.IntN(3) {
			case 0:
				s = s[:pos] + junk[rng.IntN(len(junk))] + s[pos:]
			case 1:
				end := min(len(s), pos+rng.IntN(20))
				s = s[:pos] + s[end:]
			default:
				s = s[:pos]
			}
		}
		r, err := parseRevision("f.py", "versions/f.py", []byte(s))
		if err != nil {
			failed++
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "f.py" || fe.Line < 1 {
				t.Fatalf("error without file and line for %q: %#v", s, err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrNoRevision) && !errors.Is(err, ErrBadValue) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			continue
		}
		parsed++
		if r.ID == "" {
			t.Fatalf("parsed without an id: %q", s)
		}
	}
	if parsed == 0 || failed == 0 {
		t.Errorf("mutations: %d parsed, %d failed; want both", parsed, failed)
	}
}
