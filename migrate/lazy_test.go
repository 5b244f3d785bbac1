package migrate

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// Statements are parsed lazily, but a broken file must still be refused before any
// statement of the run executes: Up parses every pending file first, Down every
// rollback file, Verify and Check the whole directory.
func TestBrokenFileRefusedBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		name, body, want string
		is               error
	}{
		{"syntax", "SELECT 1;\nCREAT TABLE x();\n", "20260103000000_bad.up.sql:2", ErrSyntax},
		{"commit", "CREATE TABLE b (id int);\nCOMMIT;\n", "transaction control", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := pgtest.DB(t, "", nil)
			files := counted(2)
			files["20260103000000_bad.up.sql"] = c.body
			files["20260103000000_bad.down.sql"] = "SELECT 1;\n"
			d := loadMap(t, files) // loads: only names, checksums and directives are checked
			check := func(what string, err error) {
				t.Helper()
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), "20260103000000_bad.up.sql") || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("%s: got %v (%T), want a *FileError naming %s and %q", what, err, err, "20260103000000_bad.up.sql", c.want)
				}
				if c.is != nil && !errors.Is(err, c.is) {
					t.Errorf("%s: %v is not %v", what, err, c.is)
				}
			}
			check("Check", d.Check())
			m := migrator(t, db, d, Config{})
			res, err := m.Up(ctx)
			check("Up", err)
			if len(res) != 0 || exists(t, db, "public.runs") || exists(t, db, "public.t1") {
				t.Fatalf("versions before the broken file ran: results %+v", res)
			}
			check("Verify", m.Verify(ctx))
		})
	}
}

func TestBrokenRollbackRefusedBeforeAnythingRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	files := counted(2)
	if _, err := migrator(t, db, loadMap(t, files), Config{}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	// The rollback of the older version is broken; rolling back everything must not
	// start with the newer one.
	files["20260101000000_v1.down.sql"] = "DROP TABLE t1;\nCOMMIT;\nDROP TABLE runs;\n"
	_, err := migrator(t, db, loadMap(t, files), Config{}).Down(ctx, "0")
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "20260101000000_v1.down.sql:2") {
		t.Fatalf("Down: got %v, want a *FileError naming 20260101000000_v1.down.sql:2", err)
	}
	if !exists(t, db, "public.t2") || count(t, db, `SELECT count(*) FROM lsos_migrate.revisions`) != 2 {
		t.Fatal("a version was rolled back before the broken rollback file was refused")
	}
}

// matchFileName replaces fileRE on the load path; it must accept exactly what fileRE
// accepts and return the same groups.
func TestMatchFileNameIsFileRE(t *testing.T) {
	for _, n := range []string{
		"20260101000000_a.up.sql", "20260101000000_a.down.sql", "20260101000000_add_reviews2.up.sql",
		"20260101000000_0.down.sql", "20260101000000__a.up.sql", "20260101000000_A.up.sql",
		"20260101000000_a.b.up.sql", "20260101000000_a.UP.sql", "20260101000000_.up.sql",
		"2026010100000_a.up.sql", "202601010000000_a.up.sql", "2026010100000x_a.up.sql",
		"20260101000000-a.up.sql", "20260101000000_a.up.sql.bak", "20260101000000_a.sql",
		"20260101000000_a.down.up.sql", "20260101000000_a-b.up.sql", ".up.sql", "up.sql", "",
		"20260101000000_a b.up.sql", "20260101000000_ä.up.sql", "20260101000000_a_.down.sql",
	} {
		want, got := fileRE.FindStringSubmatch(n), matchFileName(n)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: matchFileName %q, fileRE %q", n, got, want)
		}
	}
}
