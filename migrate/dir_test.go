package migrate

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	amigrate "ariga.io/atlas/sql/migrate"
	"github.com/lsos/lsosgov/examples/lsos"
)

// writeDir writes files into a temp dir and hashes it; it returns the path.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Hash(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadSampleLSOS(t *testing.T) {
	d, err := LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatalf("sample migrations: %v", err)
	}
	if got, want := len(d.Versions), len(lsos.Versions()); got != want {
		t.Fatalf("versions: got %d, want %d", got, want)
	}
	last := d.Versions[len(d.Versions)-1]
	if !last.NoTransaction || !last.Down.Directives.NoTransaction {
		t.Errorf("%s: no-transaction directive not parsed on up and down", last.ID())
	}
	if d.Versions[0].NoTransaction {
		t.Errorf("%s: unexpected no-transaction", d.Versions[0].ID())
	}
	first, err := d.Versions[0].Up.Statements()
	if err != nil {
		t.Fatalf("first file: %v", err)
	}
	if len(first) != 5 { // 3 CREATE TABLE + COMMENT + CREATE INDEX
		t.Fatalf("first file: got %d statements, want 5: %+v", len(first), first)
	}
	if first[0].Line != 2 || !strings.HasPrefix(strings.TrimSpace(first[0].SQL[strings.Index(first[0].SQL, "CREATE"):]), "CREATE TABLE tenants") {
		t.Errorf("first statement: line %d, sql %q", first[0].Line, first[0].SQL)
	}
	if first[1].Line != 11 {
		t.Errorf("second statement line: got %d, want 11", first[1].Line)
	}
}

func TestHashReadableByAtlas(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"20260101000000_a.up.sql":   "CREATE TABLE a (id int);\n",
		"20260101000000_a.down.sql": "DROP TABLE a;\n",
	})
	ld, err := amigrate.NewLocalDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := amigrate.Validate(ld); err != nil {
		t.Fatalf("Atlas rejects our atlas.sum: %v", err)
	}
	// And Atlas notices an edit to a file we hashed.
	if err := os.WriteFile(filepath.Join(dir, "20260101000000_a.up.sql"), []byte("CREATE TABLE b (id int);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := amigrate.Validate(ld); !errors.Is(err, amigrate.ErrChecksumMismatch) {
		t.Fatalf("Atlas Validate after edit: %v", err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrChecksumMismatch) || !strings.Contains(err.Error(), "20260101000000_a.up.sql") {
		t.Fatalf("Load after edit: %v", err)
	}
}

func TestSampleSumMatchesAtlas(t *testing.T) {
	// The sample's atlas.sum was written by other tooling; our hashing must agree byte
	// for byte with Atlas's.
	want, err := fstestRead(lsos.Migrations(), SumFile)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := atlasDir{FS: lsos.Migrations()}.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := sum.MarshalText()
	if string(got) != want {
		t.Fatalf("atlas.sum differs:\n got %s\nwant %s", got, want)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	base := map[string]string{
		"20260101000000_a.up.sql":   "CREATE TABLE a (id int);\n",
		"20260101000000_a.down.sql": "DROP TABLE a;\n",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	cases := []struct {
		name  string
		files map[string]string
		hash  bool
		err   error
		file  string
		lazy  bool // found when statements are parsed (Check, Up), not by Load
	}{
		{"missing rollback", with(map[string]string{"20260102000000_b.up.sql": "SELECT 1;"}), true, ErrMissingRollback, "20260102000000_b.up.sql", false},
		{"duplicate version", with(map[string]string{"20260101000000_z.up.sql": "SELECT 1;", "20260101000000_z.down.sql": "SELECT 1;"}), true, ErrDuplicateVersion, "20260101000000_z", false},
		{"bad name", with(map[string]string{"2026_b.up.sql": "SELECT 1;"}), true, ErrBadName, "2026_b.up.sql", false},
		{"bad timestamp", with(map[string]string{"20261399000000_b.up.sql": "SELECT 1;"}), true, ErrBadName, "20261399000000_b.up.sql", false},
		{"syntax", with(map[string]string{"20260102000000_b.up.sql": "SELECT 1;\nCREAT TABLE x();", "20260102000000_b.down.sql": "SELECT 1;"}), true, ErrSyntax, "20260102000000_b.up.sql:2", true},
		{"unknown directive", with(map[string]string{"20260102000000_b.up.sql": "-- lsos:no-transactions\nSELECT 1;", "20260102000000_b.down.sql": "SELECT 1;"}), true, nil, "20260102000000_b.up.sql:1", false},
		{"commit in transactional file", with(map[string]string{"20260102000000_b.up.sql": "CREATE TABLE b (id int);\nCOMMIT;\n", "20260102000000_b.down.sql": "SELECT 1;"}), true, nil, "20260102000000_b.up.sql:2", true},
		{"concurrent index without no-transaction", with(map[string]string{"20260102000000_b.up.sql": "-- builds an index\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\n", "20260102000000_b.down.sql": "SELECT 1;"}), true, nil, "lsos:no-transaction", true},
		{"late directive", with(map[string]string{"20260102000000_b.up.sql": "SELECT 1;\n-- lsos:no-transaction\n", "20260102000000_b.down.sql": "SELECT 1;"}), true, nil, "20260102000000_b.up.sql:2", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := LoadFS(fstestFS(c.files, c.hash))
			if c.lazy {
				if err != nil {
					t.Fatalf("Load parsed statements eagerly: %v", err)
				}
				err = d.Check()
			}
			if err == nil {
				t.Fatal("the directory was accepted")
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %v (%T) is not a *FileError", err, err)
			}
			if c.err != nil && !errors.Is(err, c.err) {
				t.Errorf("error %v, want %v", err, c.err)
			}
			if !strings.Contains(err.Error(), c.file) {
				t.Errorf("error %q does not name %s", err, c.file)
			}
		})
	}
	// Sum problems: a file added after hashing, a file removed, no sum at all.
	dir := writeDir(t, base)
	os.WriteFile(filepath.Join(dir, "20260102000000_b.up.sql"), []byte("SELECT 1;"), 0o644)
	os.WriteFile(filepath.Join(dir, "20260102000000_b.down.sql"), []byte("SELECT 1;"), 0o644)
	if _, err := Load(dir); !errors.Is(err, ErrNotInSum) || !strings.Contains(err.Error(), "20260102000000_b.down.sql") {
		t.Errorf("unhashed file: %v", err)
	}
	dir = writeDir(t, base)
	os.Remove(filepath.Join(dir, "20260101000000_a.down.sql"))
	os.Remove(filepath.Join(dir, "20260101000000_a.up.sql"))
	if _, err := Load(dir); !errors.Is(err, ErrRemovedFromDir) || !strings.Contains(err.Error(), "20260101000000_a.down.sql") {
		t.Errorf("removed file: %v", err)
	}
	if _, err := LoadFS(fstestFS(base, false)); !errors.Is(err, ErrNoSum) {
		t.Errorf("no sum: %v", err)
	}
}

func TestDirectives(t *testing.T) {
	src := `-- Header comment.
-- lsos:no-transaction
-- lsos:lock_timeout 2s
-- lsos:statement_timeout 10m
-- lsos:deprecates reviews.author_name
-- lsos:deprecates legacy_table
-- lsos:allow destructive-change reason="column unused since 2025, see ADR-12"
-- lsos:maintenance-window
-- lsos:breaking flag=new_reviews phase=contract

ALTER TABLE reviews DROP COLUMN author_name;
`
	d, err := LoadFS(fstestFS(map[string]string{"20260301000000_drop.up.sql": src, "20260301000000_drop.down.sql": "SELECT 1;"}, true))
	if err != nil {
		t.Fatal(err)
	}
	v := d.Versions[0]
	if !v.NoTransaction || v.LockTimeout != 2*time.Second || v.StatementTimeout != 10*time.Minute || !v.MaintenanceWindow {
		t.Errorf("flags: %+v", v.Directives)
	}
	if len(v.Deprecates) != 2 || v.Deprecates[0].Object() != "reviews.author_name" || v.Deprecates[1].Object() != "legacy_table" ||
		!v.Deprecates[0].Since.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("deprecates: %+v", v.Deprecates)
	}
	if r, ok := v.Allowed("destructive-change", 0); !ok || r != "column unused since 2025, see ADR-12" {
		t.Errorf("allow: %+v", v.Allows)
	}
	if v.Breaking == nil || v.Breaking.Flag != "new_reviews" || v.Breaking.Phase != "contract" {
		t.Errorf("breaking: %+v", v.Breaking)
	}
	if st, err := v.Up.Statements(); err != nil || len(st) != 1 || st[0].Line != 11 {
		t.Errorf("statements: %+v, %v", st, err)
	}
	for _, bad := range []string{
		"-- lsos:lock_timeout soon", "-- lsos:allow No_Such_Check reason=\"x\"", "-- lsos:allow lock-risk",
		"-- lsos:breaking flag=x phase=later", "-- lsos:no-transaction please", "-- lsos:deprecates a.b.c.d",
	} {
		_, err := LoadFS(fstestFS(map[string]string{"20260301000000_x.up.sql": bad + "\nSELECT 1;", "20260301000000_x.down.sql": "SELECT 1;"}, true))
		if err == nil || !strings.Contains(err.Error(), "20260301000000_x.up.sql:1") {
			t.Errorf("%q: got %v, want an error at line 1", bad, err)
		}
	}
}

func TestSplitDollarQuotes(t *testing.T) {
	src := "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n/* a; b */\nSELECT ';';\n"
	st, err := splitStatements("x.sql", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[1].Line != 3 || !strings.Contains(st[0].SQL, "SELECT 1; $$") {
		t.Fatalf("got %+v", st)
	}
}

func TestNewWritesPairAndRehashes(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.FixedZone("x", 3600))
	up, down, err := New(dir, "add_reviews", now)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(up) != "20261126110000_add_reviews.up.sql" || filepath.Base(down) != "20261126110000_add_reviews.down.sql" {
		t.Errorf("names: %s %s", up, down)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatalf("load after New: %v", err)
	}
	if len(d.Versions) != 1 || d.Versions[0].Name != "add_reviews" {
		t.Fatalf("versions: %+v", d.Versions)
	}
	if _, _, err := New(dir, "older", now.Add(-time.Hour)); err == nil {
		t.Error("New accepted a version older than an existing one")
	}
	if _, _, err := New(dir, "Bad Name", now.Add(time.Hour)); err == nil {
		t.Error("New accepted a bad name")
	}
}

func fstestFS(files map[string]string, hash bool) fstest.MapFS {
	m := fstest.MapFS{}
	for n, s := range files {
		m[n] = &fstest.MapFile{Data: []byte(s)}
	}
	if hash {
		sum, err := atlasDir{FS: m}.Checksum()
		if err != nil {
			panic(err)
		}
		b, _ := sum.MarshalText()
		m[SumFile] = &fstest.MapFile{Data: b}
	}
	return m
}

func fstestRead(fsys fs.FS, name string) (string, error) {
	b, err := fs.ReadFile(fsys, name)
	return string(b), err
}
