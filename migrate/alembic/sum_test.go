package alembic_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate/alembic"
)

func checksumCodes(t *testing.T, dir string) []string {
	t.Helper()
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return codes(p.Findings(nil).ByCheck(governance.CheckChecksumMismatch))
}

func TestChecksumRecordedOnFirstSight(t *testing.T) {
	dir := writeProject(t, map[string]string{"a.py": rev("a", "", "", ""), "b.py": rev("b", "a", "", "")})
	if got := checksumCodes(t, dir); !slices.Equal(got, []string{"checksum-mismatch/CS204/lsos-alembic.sum"}) {
		t.Errorf("no sum file: %q", got)
	}
	p, _ := alembic.Open(dir)
	added, err := p.RecordSum()
	if err != nil || !slices.Equal(added, []string{"versions/a.py", "versions/b.py"}) {
		t.Fatalf("RecordSum: %q, %v", added, err)
	}
	if got := checksumCodes(t, dir); len(got) != 0 {
		t.Errorf("after recording: %q", got)
	}

	// A new revision is reported until recorded; recording leaves old entries alone.
	os.WriteFile(filepath.Join(dir, "versions", "c.py"), []byte(rev("c", "b", "", "")), 0o644)
	if got := checksumCodes(t, dir); !slices.Equal(got, []string{"checksum-mismatch/CS202/c"}) {
		t.Errorf("new file: %q", got)
	}

	// Editing an applied revision is an error, and RecordSum does not hide it.
	os.WriteFile(filepath.Join(dir, "versions", "a.py"), []byte(rev("a", "", "op.execute('CREATE TABLE other (id int)')", "")), 0o644)
	p, _ = alembic.Open(dir)
	if added, err := p.RecordSum(); err != nil || !slices.Equal(added, []string{"versions/c.py"}) {
		t.Fatalf("RecordSum: %q, %v", added, err)
	}
	p, _ = alembic.Open(dir)
	fs := p.Findings(nil).ByCheck(governance.CheckChecksumMismatch)
	if got := codes(fs); !slices.Equal(got, []string{"checksum-mismatch/CS201/a"}) {
		t.Fatalf("edited file: %q", got)
	}
	if fs[0].Severity != governance.SeverityError || !strings.HasSuffix(fs[0].File, "a.py") || !strings.Contains(fs[0].Message, "edited after its checksum was recorded") {
		t.Errorf("edited finding: %v", fs[0])
	}

	if err := p.VerifySum(); !errors.Is(err, alembic.ErrChecksumMismatch) || !strings.Contains(err.Error(), "a.py") {
		t.Errorf("VerifySum with an edited file: %v", err)
	}

	// A removed revision is an error too.
	os.Remove(filepath.Join(dir, "versions", "b.py"))
	if got := checksumCodes(t, dir); !slices.Equal(got, []string{"checksum-mismatch/CS203/versions/b.py", "checksum-mismatch/CS201/a"}) {
		t.Errorf("removed file: %q", got)
	}

	// Rehash accepts the reviewed state.
	p, _ = alembic.Open(dir)
	if err := p.Rehash(); err != nil {
		t.Fatal(err)
	}
	if got := checksumCodes(t, dir); len(got) != 0 {
		t.Errorf("after Rehash: %q", got)
	}
	if err := p.VerifySum(); err != nil {
		t.Errorf("VerifySum after Rehash: %v", err)
	}
	es, err := p.Sum()
	if err != nil || len(es) != 2 || es[0].Name != "versions/a.py" || es[0].Hash != p.Revision("a").Checksum {
		t.Errorf("Sum: %+v, %v", es, err)
	}
}

func TestChecksumCorruptSum(t *testing.T) {
	dir := writeProject(t, map[string]string{"a.py": rev("a", "", "", "")})
	p, _ := alembic.Open(dir)
	if _, err := p.RecordSum(); err != nil {
		t.Fatal(err)
	}
	sum := filepath.Join(dir, alembic.SumFile)
	b, _ := os.ReadFile(sum)
	os.WriteFile(sum, []byte(strings.Replace(string(b), "versions/a.py h1:", "versions/a.py h1:X", 1)), 0o644)
	if got := checksumCodes(t, dir); !slices.Equal(got, []string{"checksum-mismatch/CS205/lsos-alembic.sum"}) {
		t.Errorf("corrupt sum: %q", got)
	}
	p, _ = alembic.Open(dir)
	if _, err := p.Sum(); !errors.Is(err, alembic.ErrCorruptSum) || !strings.Contains(err.Error(), alembic.SumFile) {
		t.Errorf("Sum: %v", err)
	}
	if _, err := p.RecordSum(); !errors.Is(err, alembic.ErrCorruptSum) {
		t.Errorf("RecordSum over a corrupt file: %v", err)
	}
}
