package archive

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/lsos/lsosgov/governance"
)

// indexDefs returns the pg_indexes definitions of schema.table with the index and table
// names blanked out, sorted: equal lists mean equivalent indexes.
func indexDefs(t *testing.T, db DB, schema, table string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT replace(indexdef, format(' INDEX %I ON %I.%I ', indexname, schemaname, tablename), ' INDEX _ ON _ ')
		FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if !strings.Contains(d, " INDEX _ ON _ ") {
			t.Fatalf("could not normalise %q", d)
		}
	}
	return defs
}

func indexNames(t *testing.T, db DB, schema, table string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestRestoreRecreatesIndexes restores an archived month into new tables and checks that
// they carry indexes equivalent to the original partition's (unique, partial, expression,
// an index of the partition alone), named after the table without collisions; NoIndexes
// leaves them out, and re-attaching keeps the ATTACH's behaviour.
func TestRestoreRecreatesIndexes(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	if _, err := db.Exec(ctx, `
		CREATE INDEX ranking_snapshots_top_idx ON ranking_snapshots (tenant_id, position) WHERE position <= 10;
		CREATE INDEX ranking_snapshots_feat_idx ON ranking_snapshots USING gin (serp_features);
		CREATE INDEX "Odd Name" ON ranking_snapshots_2025_03 (lower(url) text_pattern_ops) WHERE url IS NOT NULL;
		CREATE TABLE "Restored Month_pkey" (x int)`); err != nil {
		t.Fatal(err)
	}
	orig := indexDefs(t, db, "public", "ranking_snapshots_2025_03")
	if len(orig) != 4 {
		t.Fatalf("the original partition has %d indexes; want 4: %v", len(orig), orig)
	}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2025_03"}}}); err != nil {
		t.Fatal(err)
	}
	es, err := List(ctx, db)
	if err != nil || len(es) != 1 || len(es[0].Manifest.Indexes) != 4 {
		t.Fatalf("List: %v %+v", err, es)
	}
	id := es[0].ID

	if _, err := Restore(ctx, db, store, id, Target{Table: `public."Restored Month"`}); err != nil {
		t.Fatal(err)
	}
	if got := indexDefs(t, db, "public", "Restored Month"); !slices.Equal(got, orig) {
		t.Fatalf("restored indexes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(orig, "\n"))
	}
	wantNames := []string{"Restored Month_Odd Name", "Restored Month_pkey_2", "Restored Month_serp_features_idx", "Restored Month_tenant_id_position_idx"}
	if got := indexNames(t, db, "public", "Restored Month"); !slices.Equal(got, wantNames) {
		t.Errorf("index names %q; want %q", got, wantNames)
	}

	// A 63-byte table name: every index name is cut to fit and stays distinct.
	long := strings.Repeat("r", 63)
	if _, err := Restore(ctx, db, store, id, Target{Table: "public." + long}); err != nil {
		t.Fatal(err)
	}
	if got := indexDefs(t, db, "public", long); !slices.Equal(got, orig) {
		t.Fatalf("indexes of the long-named table\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(orig, "\n"))
	}

	if _, err := Restore(ctx, db, store, id, Target{Table: "bare_2025_03", NoIndexes: true}); err != nil {
		t.Fatal(err)
	}
	if got := indexDefs(t, db, "public", "bare_2025_03"); len(got) != 0 {
		t.Fatalf("NoIndexes restore has indexes %v", got)
	}

	// Re-attaching: the ATTACH builds the parent's indexes (as before); the index the
	// partition alone had is not part of the parent and is not rebuilt.
	if _, err := Restore(ctx, db, store, id, Target{Attach: true}); err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(orig), func(d string) bool { return strings.Contains(d, "lower(url)") })
	if got := indexDefs(t, db, "public", "ranking_snapshots_2025_03"); !slices.Equal(got, want) {
		t.Fatalf("re-attached partition indexes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := count(t, db, `SELECT count(*) FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid WHERE x.indrelid = 'ranking_snapshots_2025_03'::regclass`); n != 3 {
		t.Errorf("%d of the partition's indexes are attached to the parent's; want 3", n)
	}
	sameRows(t, db, `"Restored Month"`, "ranking_snapshots_2025_03")
}

func TestIndexNameDeterministic(t *testing.T) {
	taken := map[string]bool{"t_pkey": true, "t_pkey_2": true}
	if got := indexName("p_2025_01_pkey", "p_2025_01", "t", taken); got != "t_pkey_3" {
		t.Errorf("got %q; want t_pkey_3", got)
	}
	if got := indexName("other_idx", "p_2025_01", "t", taken); got != "t_other_idx" {
		t.Errorf("got %q; want t_other_idx", got)
	}
	long := strings.Repeat("é", 40) // 80 bytes
	a := indexName("p_x_idx", "p", long, map[string]bool{})
	b := indexName("p_y_idx", "p", long, map[string]bool{})
	if len(a) > maxIdent || len(b) > maxIdent || a == b || !strings.HasPrefix(a, "é") {
		t.Errorf("long names %q (%d bytes), %q (%d bytes)", a, len(a), b, len(b))
	}
	if again := indexName("p_x_idx", "p", long, map[string]bool{}); again != a {
		t.Errorf("not deterministic: %q then %q", a, again)
	}
}

// TestIndexStatementsRebuild checks that a definition is rebuilt with this package's
// quoting of the new name and table, keeping the access method, keys and predicate.
func TestIndexStatementsRebuild(t *testing.T) {
	part := governance.QualifiedName{Schema: "public", Name: "p_2025_01"}
	table := governance.QualifiedName{Schema: "Arch", Name: `we"ird`}
	got, err := indexStatements([]string{
		`CREATE UNIQUE INDEX p_2025_01_pkey ON public.p_2025_01 USING btree (tenant_id, id)`,
		`CREATE INDEX "Odd Name" ON public.p_2025_01 USING btree (lower(url) text_pattern_ops) WHERE ((url IS NOT NULL) AND (url <> 'a'';b'::text))`,
	}, part, table, map[string]bool{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`CREATE UNIQUE INDEX "we""ird_pkey" ON "Arch"."we""ird" USING btree (tenant_id, id)`,
		`CREATE INDEX "we""ird_Odd Name" ON "Arch"."we""ird" USING btree (lower(url) text_pattern_ops) WHERE ((url IS NOT NULL) AND (url <> 'a'';b'::text))`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestIndexStatementsRejectTampered checks that a manifest definition that is not one
// CREATE INDEX on the archived partition is refused, not executed.
func TestIndexStatementsRejectTampered(t *testing.T) {
	part := governance.QualifiedName{Schema: "public", Name: "p_2025_01"}
	table := governance.QualifiedName{Schema: "public", Name: "r"}
	for _, def := range []string{
		`CREATE INDEX i ON public.p_2025_01 USING btree (a); DROP TABLE users`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) -- hidden`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) /* x */`,
		`CREATE INDEX i ON public.p_2025_01 USING btree ((a)) WHERE f($$x$$)`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a)) , (b`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) WHERE (b = 'x)`,
		`CREATE INDEX i ON public.users USING btree (a)`,
		`CREATE INDEX i ON other.p_2025_01 USING btree (a)`,
		`DROP INDEX i`,
		`CREATE INDEX CONCURRENTLY i ON public.p_2025_01 USING btree (a)`,
		`CREATE INDEX i ON public.p_2025_01 (a)`,
		`CREATE INDEX i ON public.p_2025_01 USING btree a`,
		`CREATE INDEX "unterminated ON public.p_2025_01 USING btree (a)`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) WHERE (b = 'x\'); DROP TABLE users; --')`,
		// "1E'\''" may lex as a number and an E'' string: the quote after \ ends it.
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) WHERE (a > 1E'\'') ; DROP TABLE users; SELECT 1 --')`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) WHERE (a > 1e'x')`,
	} {
		if stmts, err := indexStatements([]string{def}, part, table, map[string]bool{}); err == nil {
			t.Errorf("accepted %q as %q", def, stmts)
		}
	}
	// A semicolon or comment marker inside a literal or quoted identifier is data (the
	// statements run with standard_conforming_strings on, as the lexer reads them).
	for _, def := range []string{
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) WHERE (b = ';--/*$')`,
		`CREATE INDEX i ON public.p_2025_01 USING btree ("a;b--c")`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) WHERE (b = E'x\';y')`,
		`CREATE INDEX i ON public.p_2025_01 USING btree (a) WHERE (b = E'x\'); DROP TABLE users; --')`,
	} {
		if _, err := indexStatements([]string{def}, part, table, map[string]bool{}); err != nil {
			t.Errorf("refused %q: %v", def, err)
		}
	}
}
