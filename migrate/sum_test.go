package migrate

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	amigrate "ariga.io/atlas/sql/migrate"
	"github.com/google/go-cmp/cmp"
)

// The fast path of hashFiles must produce exactly Atlas's atlas.sum entries, or a
// directory hashed by `atlas migrate hash` would fail to load (and the reverse).
func TestHashFilesMatchesAtlas(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	bodies := []string{
		"",
		"CREATE TABLE t (id int);\n",
		"-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\n",
		"-- atlas:sum ignore\nSELECT 1;\n",       // Atlas skips this file's content
		"-- atlas:delimiter \\n\\n\nSELECT 1;\n", // a directive that is not sum
		"SELECT 'atlas:sum ignore';\n",           // marker not at the start: no directive
	}
	for round := 0; round < 200; round++ {
		n := 1 + r.IntN(8)
		var files []amigrate.File
		for i := 0; i < n; i++ {
			body := bodies[r.IntN(len(bodies))]
			if r.IntN(3) == 0 {
				body += fmt.Sprintf("-- random %d\nINSERT INTO t VALUES (%d);\n", r.Int(), r.IntN(1000))
			}
			files = append(files, amigrate.NewLocalFile(fmt.Sprintf("2026010100%04d_v.up.sql", i), []byte(body)))
		}
		want, err := amigrate.NewHashFile(files)
		if err != nil {
			t.Fatal(err)
		}
		got, err := hashFiles(files)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d: hashFiles differs from Atlas (-atlas +ours):\n%s", round, diff)
		}
		// The allocation-free comparison agrees: a match unless a file carries an
		// Atlas directive (left to the slow path), and never a match once a byte changes.
		parsed := make([]*File, len(files))
		directive := false
		for i, f := range files {
			parsed[i] = &File{Name: f.Name(), Bytes: f.Bytes()}
			directive = directive || strings.Contains(string(f.Bytes()), "atlas:")
		}
		if got := matchesSum(parsed, want); got == directive {
			t.Fatalf("round %d: matchesSum = %v with directive files %v", round, got, directive)
		}
		edited := parsed[r.IntN(len(parsed))]
		edited.Bytes = append([]byte("-- edited\n"), edited.Bytes...)
		if matchesSum(parsed, want) {
			t.Fatalf("round %d: matchesSum accepts an edited file", round)
		}
	}
}

func BenchmarkHashFiles200(b *testing.B) {
	var files []amigrate.File
	for i := 0; i < 400; i++ {
		body := fmt.Sprintf("-- version %d\nCREATE TABLE t%d (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, name text);\n", i, i)
		files = append(files, amigrate.NewLocalFile(fmt.Sprintf("20260101%06d_v.up.sql", i), []byte(body)))
	}
	b.Run("atlas", func(b *testing.B) {
		for b.Loop() {
			if _, err := amigrate.NewHashFile(files); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			if _, err := hashFiles(files); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoadFS200 is the directory share of a service start with every version
// applied: 200 versions (400 files) read, parsed and checked against atlas.sum.
func BenchmarkLoadFS200(b *testing.B) {
	fsys := fstest.MapFS{}
	var files []amigrate.File
	for i := 0; i < 200; i++ {
		v := fmt.Sprintf("202601%02d%02d0000_v%d", 1+i/24, i%24, i)
		up := fmt.Sprintf("-- version %d\nCREATE TABLE t%d (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, name text);\n", i, i)
		down := fmt.Sprintf("DROP TABLE t%d;\n", i)
		fsys[v+".up.sql"] = &fstest.MapFile{Data: []byte(up)}
		fsys[v+".down.sql"] = &fstest.MapFile{Data: []byte(down)}
	}
	names, err := sqlFiles(fsys)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range names {
		files = append(files, amigrate.NewLocalFile(n, fsys[n].Data))
	}
	sum, err := amigrate.NewHashFile(files)
	if err != nil {
		b.Fatal(err)
	}
	text, err := sum.MarshalText()
	if err != nil {
		b.Fatal(err)
	}
	fsys[SumFile] = &fstest.MapFile{Data: text}
	b.ReportAllocs()
	for b.Loop() {
		d, err := LoadFS(fsys)
		if err != nil || len(d.Versions) != 200 {
			b.Fatalf("%v versions, %v", d, err)
		}
	}
}
