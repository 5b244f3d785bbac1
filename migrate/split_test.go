package migrate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSplitStatementsLexicalRules(t *testing.T) {
	cases := []struct {
		name  string
		src   string
		want  []string // statement texts
		lines []int
	}{
		{"plain", "CREATE TABLE a (id int);\nDROP TABLE b;", []string{"CREATE TABLE a (id int)", "DROP TABLE b"}, []int{1, 2}},
		{"semicolon in string", "INSERT INTO t VALUES ('a;b', 'it''s; fine');\nSELECT 1;", []string{"INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT 1"}, []int{1, 2}},
		{"escape string", "SELECT E'a\\';b';\nSELECT 2;", []string{"SELECT E'a\\';b'", "SELECT 2"}, []int{1, 2}},
		{"quoted identifier", "CREATE TABLE \"x;y\" (\"a\"\"b;\" int);\nSELECT 1;", []string{"CREATE TABLE \"x;y\" (\"a\"\"b;\" int)", "SELECT 1"}, []int{1, 2}},
		{"dollar quote", "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\nSELECT 1;",
			[]string{"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql", "SELECT 1"}, []int{1, 2}},
		{"tagged dollar quote with inner $$", "DO $body$ BEGIN PERFORM '$$;'; END $body$;\nSELECT 1;",
			[]string{"DO $body$ BEGIN PERFORM '$$;'; END $body$", "SELECT 1"}, []int{1, 2}},
		{"parameter is no dollar quote", "PREPARE p AS SELECT $1;\nSELECT 1;", []string{"PREPARE p AS SELECT $1", "SELECT 1"}, []int{1, 2}},
		{"identifier with dollar", "SELECT a$b$c FROM t;\nSELECT 1;", []string{"SELECT a$b$c FROM t", "SELECT 1"}, []int{1, 2}},
		{"nested block comment", "/* outer /* inner; */ still; */ SELECT 1;\nSELECT 2;", []string{"SELECT 1", "SELECT 2"}, []int{1, 2}},
		{"line comment with semicolon", "-- a; b\nSELECT 1; -- c; d\nSELECT 2;", []string{"SELECT 1", "SELECT 2"}, []int{2, 3}},
		{"begin atomic body", "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\nSELECT 3;",
			[]string{"CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND", "SELECT 3"}, []int{1, 6}},
		{"no final semicolon", "SELECT 1;\nSELECT 2\n", []string{"SELECT 1", "SELECT 2"}, []int{1, 2}},
		{"only comments", "-- nothing\n/* here */\n", nil, nil},
		{"unicode escape string", "SELECT U&'d\\0061t;a';\nSELECT 1;", []string{"SELECT U&'d\\0061t;a'", "SELECT 1"}, []int{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := SplitStatements("f.sql", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != len(c.want) {
				t.Fatalf("got %d statements %q, want %d", len(st), texts(st), len(c.want))
			}
			for i := range st {
				if st[i].SQL != c.want[i] || st[i].Line != c.lines[i] {
					t.Errorf("statement %d = %q at line %d, want %q at line %d", i, st[i].SQL, st[i].Line, c.want[i], c.lines[i])
				}
				if got := c.src[st[i].Pos : st[i].Pos+len(st[i].SQL)]; got != st[i].SQL {
					t.Errorf("Pos %d does not locate the statement: %q", st[i].Pos, got)
				}
			}
		})
	}
}

func texts(st []Statement) []string {
	var out []string
	for _, s := range st {
		out = append(out, s.SQL)
	}
	return out
}

func TestSplitStatementsErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"unterminated string", "SELECT 1;\nSELECT 'abc;\n", "f.sql:2"},
		{"unterminated identifier", "SELECT 1;\n\nSELECT \"abc;\n", "f.sql:3"},
		{"unterminated dollar quote", "SELECT 1;\nDO $x$ BEGIN END;", "f.sql:2"},
		{"unterminated comment", "SELECT 1;\n/* /* */\nSELECT 2;", "f.sql:2"},
		{"typo in command", "SELECT 1;\nCREAT TABLE x();", "f.sql:2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := SplitStatements("f.sql", []byte(c.src))
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrSyntax naming %s", err, c.want)
			}
		})
	}
}

func TestStatementsTheExecutorCannotRun(t *testing.T) {
	for _, c := range []struct {
		name, src string
		noTx      bool
		refused   bool
	}{
		{"commit", "CREATE TABLE b (id int);\nCOMMIT;", false, true},
		{"start transaction", "START TRANSACTION;", false, true},
		{"savepoint", "SAVEPOINT s;", false, true},
		{"create index concurrently", "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a);", false, true},
		{"index named concurrently", "CREATE INDEX i ON t (concurrently);", false, false},
		{"drop index concurrently", "DROP INDEX CONCURRENTLY IF EXISTS i;", false, true},
		{"reindex concurrently", "REINDEX (VERBOSE, CONCURRENTLY) TABLE t;", false, true},
		{"reindex", "REINDEX TABLE t;", false, false},
		{"vacuum", "VACUUM t;", false, true},
		{"create database", "CREATE DATABASE x;", false, true},
		{"detach concurrently", "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;", false, true},
		{"detach", "ALTER TABLE p DETACH PARTITION c;", false, false},
		{"plpgsql begin in body", "CREATE FUNCTION f() RETURNS void AS $$ BEGIN COMMIT; END $$ LANGUAGE plpgsql;", false, false},
		{"concurrent index in no-transaction file", "CREATE INDEX CONCURRENTLY i ON t (a);", true, false},
		{"begin around concurrent index in no-transaction file", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := SplitStatements("f.sql", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			err = checkStatements("f.sql", st, c.noTx)
			if refused := err != nil; refused != c.refused {
				t.Fatalf("refused = %v (%v), want %v", refused, err, c.refused)
			}
			if err != nil && !errors.Is(err, ErrNotInTransaction) {
				t.Errorf("%v does not wrap ErrNotInTransaction", err)
			}
		})
	}
}

func TestDirectiveGrammar(t *testing.T) {
	ok := "-- lsos:approved-by backend-owner, platform-owner\n-- lsos:retention-change\n-- lsos:lock-timeout 3s\n" +
		"CREATE TABLE a (id int);\n-- why this one is fine\n-- lsos:allow lock-risk reason=\"tiny table\"\nCREATE INDEX a_idx ON a (id);\n"
	d, problems := parseDirectives("f.sql", []byte(ok), time.Time{})
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(d.ApprovedBy) != 2 || d.ApprovedBy[1] != "platform-owner" || !d.RetentionChange || d.LockTimeout != 3*time.Second {
		t.Errorf("directives: %+v", d)
	}
	if len(d.Allows) != 1 || d.Allows[0].StatementLine != 7 || d.Allows[0].Line != 6 {
		t.Fatalf("allow: %+v", d.Allows)
	}
	if _, ok := d.Allowed("lock-risk", 7); !ok {
		t.Error("the allow must cover the statement below it")
	}
	if _, ok := d.Allowed("lock-risk", 4); ok {
		t.Error("a statement allow must not cover another statement")
	}
	for _, c := range []struct{ name, src, want string }{
		{"late no-transaction", "SELECT 1;\n-- lsos:no-transaction\nSELECT 2;", "f.sql:2"},
		{"allow after last statement", "SELECT 1;\n-- lsos:allow lock-risk reason=\"x\"\n", "applies to none"},
		{"allow without reason", "-- lsos:allow lock-risk\nSELECT 1;", "reason"},
		{"unknown directive", "-- lsos:no-transactions\nSELECT 1;", "unknown directive"},
		{"directive inside a statement", "SELECT 1,\n-- lsos:allow lock-risk reason=\"x\"\n2;", "inside a statement"},
		{"bad role", "-- lsos:approved-by Backend_Owner\nSELECT 1;", "role name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, problems := parseDirectives("f.sql", []byte(c.src), time.Time{})
			if len(problems) == 0 || !errors.Is(problems[0], ErrBadDirective) || !strings.Contains(problems[0].Error(), c.want) {
				t.Fatalf("problems %v, want one naming %q", problems, c.want)
			}
		})
	}
	// A directive-looking line inside a string is data, not a directive.
	if d, problems := parseDirectives("f.sql", []byte("SELECT 1;\nINSERT INTO notes VALUES ('\n-- lsos:no-transaction\n');"), time.Time{}); len(problems) != 0 || d.NoTransaction {
		t.Errorf("a string was read as a directive: %+v %v", d, problems)
	}
}
