package govtest_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	amigrate "ariga.io/atlas/sql/migrate"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
)

func TestRequireRoundTripSample(t *testing.T) {
	govtest.RequireRoundTrip(t, lsos.Migrations())
}

// fatalRecorder captures a Fatalf instead of failing the test, and stops the helper
// the way t.Fatal would (by unwinding).
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(r)
}

func TestRequireRoundTripFailsOnForgottenIndex(t *testing.T) {
	files := fstest.MapFS{
		"20260101000000_t.up.sql":   {Data: []byte("CREATE TABLE t (id int);\nCREATE INDEX t_id_idx ON t (id);\n")},
		"20260101000000_t.down.sql": {Data: []byte("-- forgets the index, but DROP TABLE takes it along\nDROP TABLE t;\n")},
		"20260102000000_i.up.sql":   {Data: []byte("CREATE INDEX t_id2_idx ON t (id);\n")},
		"20260102000000_i.down.sql": {Data: []byte("SELECT 1;\n")},
	}
	var files2 []amigrate.File
	for _, n := range []string{"20260101000000_t.down.sql", "20260101000000_t.up.sql", "20260102000000_i.down.sql", "20260102000000_i.up.sql"} {
		files2 = append(files2, amigrate.NewLocalFile(n, files[n].Data))
	}
	sum, err := amigrate.NewHashFile(files2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sum.MarshalText()
	files["atlas.sum"] = &fstest.MapFile{Data: b}
	r := &fatalRecorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		govtest.RequireRoundTrip(r, files)
	}()
	if !strings.Contains(r.msg, "20260102000000_i.down.sql") || !strings.Contains(r.msg, "t_id2_idx") {
		t.Fatalf("RequireRoundTrip did not fail with a diff naming the index: %q", r.msg)
	}
}
