package migrate

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	amigrate "ariga.io/atlas/sql/migrate"
)

// Load reports the first problem in name order, whether it comes from a name or from a
// file's content, as a sequential read would: a misplaced directive in the first file
// wins over a bad file name further down (the parallel read once reversed them).
func TestLoadReportsFirstFileErrorFirst(t *testing.T) {
	fsys := fstest.MapFS{
		"20260101000000_first.up.sql": {Data: []byte("CREATE TABLE t (id int);\n-- lsos:no-transaction\n")},
		"zz_not_a_version.sql":        {Data: []byte("SELECT 1;\n")},
	}
	var files []amigrate.File
	for _, n := range []string{"20260101000000_first.up.sql", "zz_not_a_version.sql"} {
		files = append(files, amigrate.NewLocalFile(n, fsys[n].Data))
	}
	hf, err := amigrate.NewHashFile(files)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := hf.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	fsys["atlas.sum"] = &fstest.MapFile{Data: sum}
	_, err = LoadFS(fsys)
	if err == nil {
		t.Fatal("load succeeded")
	}
	if errors.Is(err, ErrBadName) || !strings.Contains(err.Error(), "20260101000000_first.up.sql") {
		t.Fatalf("want the first file's misplaced-directive error, got %v", err)
	}
}
