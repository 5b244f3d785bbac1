package lint

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/lsos/lsosgov/governance"
)

// TestEveryCodeIsCatalogued finds every finding code the package's source reports and
// requires a catalogue entry with a check of the documented set, a summary and a fix.
func TestEveryCodeIsCatalogued(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	codeRE := regexp.MustCompile(`"((?:MR|CS|DC|BI|LR|II|TI|UC|SC|MA|IM)[0-9]{3})"`)
	seen := map[string]bool{}
	for _, f := range files {
		if filepath.Ext(f) != ".go" || f == "codes.go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeRE.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
	}
	if len(seen) < 40 {
		t.Fatalf("found only %d codes in the source; the scan is broken", len(seen))
	}
	for code := range seen {
		c, ok := LookupCode(code)
		if !ok {
			t.Errorf("code %s is reported but not in the catalogue", code)
			continue
		}
		if !governance.KnownCheck(c.Check) || c.Summary == "" || c.Fix == "" {
			t.Errorf("catalogue entry %+v: want a known check, a summary and a fix", c)
		}
	}
	for _, c := range Codes() {
		if !seen[c.Code] {
			t.Errorf("catalogue entry %s is never reported", c.Code)
		}
	}
}
