package alembic

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitSQLQuoting(t *testing.T) {
	src := "SELECT 'a;b', E'c\\';d', \"e;f\";\n" +
		"CREATE FUNCTION f() RETURNS int AS $body$\n-- Running upgrade x -> y\nSELECT 1; $body$ LANGUAGE sql;\n" +
		"/* c; /* nested; */ still; */ SELECT $1;\n" +
		"-- trailing; comment\n"
	got := splitSQL(src)
	var texts []string
	for _, s := range got {
		texts = append(texts, s.Text)
	}
	want := []string{
		`SELECT 'a;b', E'c\';d', "e;f"`,
		"CREATE FUNCTION f() RETURNS int AS $body$\n-- Running upgrade x -> y\nSELECT 1; $body$ LANGUAGE sql",
		"/* c; /* nested; */ still; */ SELECT $1",
		"-- trailing; comment",
	}
	if !slices.Equal(texts, want) {
		t.Errorf("split\n got %q\nwant %q", texts, want)
	}
	if got[1].Line != 2 || got[2].Line != 5 || !got[3].Comment || got[2].Comment {
		t.Errorf("lines/comments: %+v", got)
	}
}

func TestSplitStepsIgnoresMarkersInsideStrings(t *testing.T) {
	p := &Project{cfg: Config{VersionTable: "alembic_version", VersionTableSchema: ""}}
	a := &Revision{ID: "a", Upgrade: &Func{Line: 10}}
	b := &Revision{ID: "b", Upgrade: &Func{Line: 20}}
	byID := map[string]*RenderedRevision{"a": {Revision: a}, "b": {Revision: b}}
	// transaction_per_migration: BEGIN before each marker, COMMIT at the end of a step.
	out := "BEGIN;\n\nCREATE TABLE ops.alembic_version (\n    version_num VARCHAR(32) NOT NULL\n);\n\n" +
		"-- Running upgrade  -> a\n\nCREATE FUNCTION f() RETURNS text AS $$\n-- Running upgrade a -> b\nSELECT 'x' $$ LANGUAGE sql;\n\n" +
		"INSERT INTO ops.alembic_version (version_num) VALUES ('a') RETURNING ops.alembic_version.version_num;\n\nCOMMIT;\n\nBEGIN;\n\n" +
		"-- Running upgrade a -> b\n\nCOMMIT;\n\nCREATE INDEX CONCURRENTLY i ON t (c);\n\nBEGIN;\n\n" +
		"UPDATE \"ops\".\"alembic_version\" SET version_num='b' WHERE alembic_version.version_num = 'a';\n\nCOMMIT;\n\n"
	if err := p.splitSteps(out, Up, byID); err != nil {
		t.Fatal(err)
	}
	ra, rb := byID["a"], byID["b"]
	if ra.Up != "CREATE FUNCTION f() RETURNS text AS $$\n-- Running upgrade a -> b\nSELECT 'x' $$ LANGUAGE sql;\n\n" || ra.UpNoTransaction {
		t.Errorf("a: %q no-tx %v", ra.Up, ra.UpNoTransaction)
	}
	if rb.Up != "CREATE INDEX CONCURRENTLY i ON t (c);\n\n" || !rb.UpNoTransaction {
		t.Errorf("b: %q no-tx %v", rb.Up, rb.UpNoTransaction)
	}
	// A marker naming an unknown revision, or the wrong direction, is an error.
	for _, bad := range []string{"-- Running upgrade a -> zzz\n", "-- Running downgrade b -> a\n", "-- Running upgrade a, b -> a,b\n"} {
		fresh := map[string]*RenderedRevision{"a": {Revision: a}, "b": {Revision: b}}
		if err := p.splitSteps(bad, Up, fresh); err == nil || !strings.Contains(err.Error(), "unexpected offline output") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
