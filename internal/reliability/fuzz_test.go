package reliability

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/migrate"
)

// FuzzMigrationFile feeds arbitrary text as a forward migration file through the
// exported loader (directive parsing and statement splitting by pg_query). Whatever
// the input: no panic; a failure is a *FileError naming the file; a success is
// deterministic, its statements are pieces of the file with line numbers inside it, and
// a directive is set only when the file spells it.
func FuzzMigrationFile(f *testing.F) {
	for _, s := range []string{
		"CREATE TABLE a (id int);\n",
		"-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY a_i ON a (id);\n",
		"-- lsos:lock_timeout 5s\n-- lsos:statement_timeout 10m\nALTER TABLE a ADD COLUMN b int;\n",
		"-- lsos:deprecates reviews.author_name\n-- lsos:breaking flag=new_reviews phase=expand\nSELECT 1;\n",
		"-- lsos:allow lock-risk reason=\"empty table\"\n-- lsos:maintenance-window\nALTER TABLE a ALTER COLUMN id TYPE bigint;\n",
		"-- lsos:allow lock-risk reason=\"unterminated\nSELECT 1;",
		"-- lsos:lock_timeout forever\nSELECT 1;",
		"-- lsos:no-transaction extra\nSELECT 1;",
		"-- lsos:unknown-directive\nSELECT 1;",
		"-- lsos:breaking flag= phase=sideways\nSELECT 1;",
		"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; SELECT 2; $$ LANGUAGE sql;\nSELECT ';' AS \"a;b\";\n",
		"SELECT $tag$ ; $tag$; /* ; */ SELECT E'\\';'; -- ;\n",
		"SELECT 'unterminated;\n",
		"",
		";;;",
		"\xff\xfe SELECT 1;",
		"SELECT 1;\x00",
		"/* -- lsos:no-transaction */ SELECT 1;",
		"SELECT 1;\n-- lsos:no-transaction\nSELECT 2;",
		"CREATE TABLE \"x\"\"; DROP TABLE tenants; --\" (id int);",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		dir := t.TempDir()
		const up = "20260101000000_fuzz.up.sql"
		if err := os.WriteFile(filepath.Join(dir, up), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "20260101000000_fuzz.down.sql"), []byte("SELECT 1;\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := migrate.Hash(dir); err != nil {
			t.Fatalf("Hash: %v", err)
		}
		d, err := migrate.Load(dir)
		if err == nil {
			err = d.Check() // statements are parsed lazily; Check parses them all
		}
		if err != nil {
			var fe *migrate.FileError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "migrate: ") || !strings.Contains(err.Error(), fe.File) {
				t.Fatalf("Load error %q (%T) does not name a file with the package prefix", err, err)
			}
			return
		}
		stmts, _ := d.Versions[0].Up.Statements()
		again, err := migrate.Load(dir)
		var againStmts []migrate.Statement
		if err == nil {
			againStmts, err = again.Versions[0].Up.Statements()
		}
		if err != nil || !reflect.DeepEqual(againStmts, stmts) ||
			!reflect.DeepEqual(again.Versions[0].Directives, d.Versions[0].Directives) {
			t.Fatalf("a second Load differs: %v", err)
		}
		v := d.Versions[0]
		lines := strings.Count(body, "\n") + 1
		for _, st := range stmts {
			if st.Line < 1 || st.Line > lines {
				t.Fatalf("statement %q at line %d of a %d-line file", st.SQL, st.Line, lines)
			}
			if s := strings.TrimSpace(st.SQL); s == "" || !strings.Contains(body, s) {
				t.Fatalf("statement %q is not a piece of the file", st.SQL)
			}
		}
		spelled := func(word string) bool { return strings.Contains(body, "lsos:"+word) }
		dv := v.Directives
		if dv.NoTransaction && !spelled("no-transaction") ||
			dv.LockTimeout != 0 && !spelled("lock_timeout") ||
			dv.StatementTimeout != 0 && !spelled("statement_timeout") ||
			len(dv.Deprecates) > 0 && !spelled("deprecates") ||
			len(dv.Allows) > 0 && !spelled("allow") ||
			dv.MaintenanceWindow && !spelled("maintenance-window") ||
			dv.Breaking != nil && !spelled("breaking") {
			t.Fatalf("directives %+v not spelled in the file", dv)
		}
		if dv.LockTimeout < 0 || dv.StatementTimeout < 0 {
			t.Fatalf("negative timeout accepted: %+v", dv)
		}
	})
}
