package lint

import (
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lsos/lsosgov/migrate"
)

// TestCorpusThroughMigrateLoad loads every directory of the review corpus with
// migrate.LoadFS, the loader of the executor and lsosgov.Startup, and parses every
// file as the executor will (Dir.Check). The two agree: the loader refuses exactly the
// directories in which the review reports what it refuses (invalid-migration, a
// checksum problem, a missing rollback file), and accepts every other one, including
// each directive the review accepts or recommends (approved-by, statement allows,
// breaking, deprecates, retention-change, no-transaction, lock_timeout).
func TestCorpusThroughMigrateLoad(t *testing.T) {
	refusedByLoad := func(code string) bool {
		// LR103 is CONCURRENTLY in a transactional file: lock-risk names it, so the
		// review does not repeat it as IM102.
		// IM104 (an allow naming a check the review does not run) is about the review's
		// check set; the loader accepts any well-formed check name.
		return strings.HasPrefix(code, "IM") && code != "IM104" || strings.HasPrefix(code, "CS") || code == "MR101" || code == "LR103"
	}
	accepted := 0
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			d := buildDir(t, c.dir)
			loaded, err := migrate.LoadFS(d.FS())
			if err == nil {
				err = loaded.Check()
			}
			wantRefused := false
			for _, w := range c.want {
				wantRefused = wantRefused || refusedByLoad(w.code)
			}
			switch {
			case wantRefused && err == nil:
				t.Errorf("the review reports a problem migrate refuses (%v), but migrate.LoadFS and Check accept the directory", c.want)
			case !wantRefused && err != nil:
				t.Errorf("migrate refuses a directory the review accepts: %v", err)
			case err == nil:
				accepted++
			}
		})
	}
	if accepted < len(corpus)/2 {
		t.Errorf("only %d of %d corpus directories load; the test proves little", accepted, len(corpus))
	}
}

// TestSplitterAgreesWithPostgresParser splits tricky files with package migrate's
// pure-Go splitter and with PostgreSQL's own parser: same statements, same lines.
func TestSplitterAgreesWithPostgresParser(t *testing.T) {
	srcs := []string{
		baseSQL,
		"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  NEW.x := 'a;b'; RETURN NEW;\nEND $fn$;\nSELECT 1;",
		"CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\nEND;\nCREATE TABLE t (\"a;b\" text DEFAULT E'x\\'y;');",
		"/* lead /* nested ; */ */ SELECT 1; -- trailing ;\nSELECT 'it''s; fine', $$;$$, U&'d\\0061t;';",
		"DO $$ BEGIN PERFORM 1; END $$;\nCOMMENT ON TABLE t IS 'a; b';\nSELECT $1::int;",
	}
	for i, src := range srcs {
		ours, err := migrate.SplitStatements("f.sql", []byte(src))
		if err != nil {
			t.Fatalf("source %d: %v", i, err)
		}
		tree, err := pg.Parse(src)
		if err != nil {
			t.Fatalf("source %d does not parse: %v", i, err)
		}
		if len(ours) != len(tree.Stmts) {
			t.Fatalf("source %d: %d statements, PostgreSQL's parser finds %d", i, len(ours), len(tree.Stmts))
		}
		for j, rs := range tree.Stmts {
			start := skipSpaceAndComments(src, int(rs.StmtLocation), len(src))
			if ours[j].Pos != start {
				t.Errorf("source %d statement %d starts at %d, the parser says %d", i, j, ours[j].Pos, start)
			}
		}
	}
}
