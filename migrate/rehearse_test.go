package migrate

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestRehearseReportsLocksRowsAndRewrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	files := map[string]string{
		"20260101000000_big.up.sql":     "CREATE TABLE big (id bigint PRIMARY KEY, v int NOT NULL);\n",
		"20260101000000_big.down.sql":   "DROP TABLE big;\n",
		"20260102000000_widen.up.sql":   "ALTER TABLE big ALTER COLUMN v TYPE bigint;\nALTER TABLE big ADD COLUMN note text;\nUPDATE big SET note = 'tenth' WHERE id % 10 = 0;\n",
		"20260102000000_widen.down.sql": "ALTER TABLE big DROP COLUMN note;\nALTER TABLE big ALTER COLUMN v TYPE int;\n",
		"20260103000000_idx.up.sql":     "-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY big_v_idx ON big (v);\n",
		"20260103000000_idx.down.sql":   "-- lsos:no-transaction\nDROP INDEX CONCURRENTLY big_v_idx;\n",
	}
	d := loadMap(t, files)
	// The caller generates production-like volume in the source.
	func() {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := migrator(t, c, d, Config{}).UpTo(ctx, "20260101000000"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 50000) g`); err != nil {
			t.Fatal(err)
		}
	}()
	rep, err := Rehearse(ctx, d, RehearseOptions{Source: url})
	if err != nil {
		t.Fatalf("Rehearse: %v", err)
	}
	if len(rep.Versions) != 2 {
		t.Fatalf("rehearsed %d versions, want 2: %+v", len(rep.Versions), rep.Versions)
	}
	widen := rep.Versions[0]
	if len(widen.Statements) != 3 {
		t.Fatalf("widen statements: %+v", widen.Statements)
	}
	alter, add, update := widen.Statements[0], widen.Statements[1], widen.Statements[2]
	if !slices.Contains(alter.Rewritten, "public.big") || !alter.TableRewrite() {
		t.Errorf("ALTER COLUMN TYPE should rewrite public.big: %+v", alter.Rewritten)
	}
	if !slices.Contains(alter.Locks, Lock{Relation: "public.big", Mode: "AccessExclusiveLock"}) {
		t.Errorf("ALTER COLUMN TYPE locks: %+v", alter.Locks)
	}
	if add.TableRewrite() {
		t.Errorf("ADD COLUMN without default should not rewrite: %+v", add.Rewritten)
	}
	if update.RowsAffected != 5000 {
		t.Errorf("UPDATE rows: %d, want 5000", update.RowsAffected)
	}
	if alter.Duration <= 0 || alter.Line != 1 || update.Line != 3 {
		t.Errorf("statement facts: %+v", alter)
	}
	idx := rep.Versions[1]
	if idx.Kind != KindNoTransaction || len(idx.Statements) != 1 {
		t.Fatalf("idx: %+v", idx)
	}
	if !slices.Contains(idx.Statements[0].Locks, Lock{Relation: "public.big", Mode: "ShareUpdateExclusiveLock"}) {
		t.Errorf("CREATE INDEX CONCURRENTLY locks: %+v", idx.Statements[0].Locks)
	}
	// The source is untouched and the clone is gone.
	src := poolFor(t, url)
	if n := count(t, src, `SELECT count(*) FROM lsos_migrate.revisions`); n != 1 {
		t.Errorf("source revisions: %d, want 1", n)
	}
	if n := count(t, src, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'big' AND column_name = 'note'`); n != 0 {
		t.Error("the rehearsal changed the source")
	}
	if n := count(t, src, `SELECT count(*) FROM pg_database WHERE datname = $1`, rep.Database); n != 0 {
		t.Errorf("clone %s left behind", rep.Database)
	}
}

func TestRehearseOnNamedTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	d := loadMap(t, counted(2))
	rep, err := Rehearse(ctx, d, RehearseOptions{Target: url})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Versions) != 2 || len(rep.Versions[0].Statements) != 3 || rep.Versions[0].Statements[2].RowsAffected != 1 {
		t.Fatalf("report: %+v", rep.Versions)
	}
	if n := count(t, poolFor(t, url), `SELECT count(*) FROM lsos_migrate.revisions`); n != 2 {
		t.Errorf("target revisions: %d, want 2", n)
	}
	if _, err := Rehearse(ctx, d, RehearseOptions{}); err == nil {
		t.Error("Rehearse without Source or Target accepted")
	}
}
