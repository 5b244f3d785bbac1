package sdkinstall_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/internal/sdkinstall"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/retention"
)

type component struct {
	schema  string
	dir     func(t *testing.T) *migrate.Dir
	install func(ctx context.Context, db *pgxpool.Pool) error
	// installFor installs the component under a policy.
	installFor func(ctx context.Context, db *pgxpool.Pool, p *governance.Policy) error
	installer  *sdkinstall.Component
}

func components() map[string]component {
	loadFS := func(c *sdkinstall.Component) func(t *testing.T) *migrate.Dir {
		return func(t *testing.T) *migrate.Dir {
			d, err := c.Dir()
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	return map[string]component{
		"retention": {"lsos_retention", func(t *testing.T) *migrate.Dir {
			d, err := migrate.LoadFS(retention.Migrations())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, func(ctx context.Context, db *pgxpool.Pool) error { return retention.Install(ctx, db) },
			func(ctx context.Context, db *pgxpool.Pool, p *governance.Policy) error {
				return retention.For(p).Install(ctx, db)
			},
			sdkinstall.New("retention", retention.Schema, retention.Migrations(), nil)},
		"archive": {"lsos_archive", func(t *testing.T) *migrate.Dir {
			d, err := migrate.LoadFS(archive.Migrations())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, func(ctx context.Context, db *pgxpool.Pool) error { return archive.Install(ctx, db) },
			func(ctx context.Context, db *pgxpool.Pool, p *governance.Policy) error {
				return archive.For(p).Install(ctx, db)
			},
			sdkinstall.New("archive", archive.Schema, archive.Migrations(), nil)},
		"integrity": {"lsos_integrity", loadFS(sdkinstall.Integrity),
			func(ctx context.Context, db *pgxpool.Pool) error { return integrity.Install(ctx, db) },
			func(ctx context.Context, db *pgxpool.Pool, p *governance.Policy) error {
				return integrity.For(p).Install(ctx, db)
			},
			sdkinstall.Integrity},
	}
}

func tables(t *testing.T, db *pgxpool.Pool, schema string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestComponentsRoundTrip installs each of the SDK's schemas through the migrate engine
// from several goroutines at once, rolls every version back (leaving only the revisions tables of the schema) and
// installs again. Loading each directory checks its atlas.sum and rollback files.
func TestComponentsRoundTrip(t *testing.T) {
	for name, c := range components() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := pgtest.DB(t, "", nil)
			dir := c.dir(t)
			// Replicas starting at once: the migrator's lock lets one apply, the others
			// find the versions applied.
			errs := make(chan error, 4)
			for range 4 {
				go func() { errs <- c.install(ctx, db) }()
			}
			for range 4 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			installed := tables(t, db, c.schema)
			if len(installed) <= 2 {
				t.Fatalf("%s holds only %v after Install", c.schema, installed)
			}
			m, err := migrate.NewMigrator(db, dir, migrate.Config{Schema: c.schema})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Down(ctx, "0"); err != nil {
				t.Fatal(err)
			}
			if got := tables(t, db, c.schema); !slices.Equal(got, []string{"revision_log", "revisions"}) {
				t.Fatalf("after rolling back every version %s holds %v", c.schema, got)
			}
			if err := c.install(ctx, db); err != nil {
				t.Fatal(err)
			}
			if got := tables(t, db, c.schema); !slices.Equal(got, installed) {
				t.Fatalf("reinstalled %v; first install %v", got, installed)
			}
		})
	}
}

// TestIntegrityAdoptsEarlierTable: a runs table created on first use by an earlier SDK
// (no revisions) is adopted by the first install with its rows.
func TestIntegrityAdoptsEarlierTable(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if _, err := db.Exec(ctx, `CREATE SCHEMA lsos_integrity;
		CREATE TABLE lsos_integrity.lsos_integrity_runs (
			id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, started_at timestamptz NOT NULL,
			finished_at timestamptz NOT NULL, policy_version text NOT NULL, errors integer NOT NULL,
			warnings integer NOT NULL, infos integer NOT NULL, incomplete boolean NOT NULL, report jsonb NOT NULL);
		INSERT INTO lsos_integrity.lsos_integrity_runs (started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report)
		VALUES (now(), now(), 'old', 1, 0, 0, false, '{"findings":[]}')`); err != nil {
		t.Fatal(err)
	}
	if err := integrity.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	runs, err := integrity.Runs(ctx, db, 10)
	if err != nil || len(runs) != 1 || runs[0].PolicyVersion != "old" {
		t.Fatalf("runs after the install: %v %+v", err, runs)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM lsos_integrity.revisions`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("revisions: %d %v", n, err)
	}
}

// describe lists what schema holds, with the schema's own name written as SCHEMA:
// every column (type, nullability, default), index and constraint definition, and the
// revisions (version, checksum), one line each.
func describe(t *testing.T, db *pgxpool.Pool, schema string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
		       CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
		UNION ALL
		SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = $1
		UNION ALL
		SELECT 'constraint ' || r.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
		FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
		WHERE n.nspname = $1
		ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	revs, err := db.Query(context.Background(), `SELECT 'revision ' || version || ' ' || checksum || ' ' || state FROM `+
		pgx.Identifier{schema, "revisions"}.Sanitize()+` ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := pgx.CollectRows(revs, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	lines = append(lines, rl...)
	for i, l := range lines {
		lines[i] = strings.NewReplacer(`"`+schema+`".`, "SCHEMA.", schema+".", "SCHEMA.").Replace(l)
	}
	return lines
}

// TestComponentsUnderAnotherPrefix installs each component under sdk.prefix ops_ and
// under the default prefix in two databases: ops_<component> holds exactly what
// lsos_<component> holds (columns, defaults, indexes, constraints) with the same
// revisions and the shipped files' checksums, no lsos_* schema appears beside it, and
// every version rolls back and reinstalls there.
func TestComponentsUnderAnotherPrefix(t *testing.T) {
	ops, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range components() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			def, other := pgtest.DB(t, "", nil), pgtest.DB(t, "", nil)
			if err := c.install(ctx, def); err != nil {
				t.Fatal(err)
			}
			errs := make(chan error, 3)
			for range 3 {
				go func() { errs <- c.installFor(ctx, other, ops) }()
			}
			for range 3 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			schema := ops.SDKSchema(name)
			want, got := describe(t, def, c.schema), describe(t, other, schema)
			if len(got) < 5 || !slices.Equal(got, want) {
				t.Fatalf("%s differs from %s:\n%s\nwant\n%s", schema, c.schema, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, v := range c.dir(t).Versions {
				if !slices.Contains(got, "revision "+v.Version+" "+v.Up.Checksum+" applied") {
					t.Errorf("%s does not record version %s with the shipped checksum %s", schema, v.Version, v.Up.Checksum)
				}
			}
			var lsos int
			if err := other.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'lsos_')`).Scan(&lsos); err != nil || lsos != 0 {
				t.Fatalf("installing under ops_ created %d lsos_* schema(s) (%v)", lsos, err)
			}
			dir, err := c.installer.DirFor(schema)
			if err != nil {
				t.Fatal(err)
			}
			m, err := migrate.NewMigrator(other, dir, migrate.Config{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Down(ctx, "0"); err != nil {
				t.Fatal(err)
			}
			if got := tables(t, other, schema); !slices.Equal(got, []string{"revision_log", "revisions"}) {
				t.Fatalf("after rolling back every version %s holds %v", schema, got)
			}
			if err := c.installFor(ctx, other, ops); err != nil {
				t.Fatal(err)
			}
			if again := describe(t, other, schema); !slices.Equal(again, want) {
				t.Fatalf("reinstalled %s differs:\n%s", schema, strings.Join(again, "\n"))
			}
		})
	}
}

// TestRender replaces the placeholder only where it stands alone.
func TestRender(t *testing.T) {
	src := "CREATE TABLE lsos_x.t (); -- lsos_x\nSELECT 'lsos_x.t'::regclass, lsos_x_t, a_lsos_x, lsos_x$1, \"lsos_x\".u"
	want := `CREATE TABLE "ops_x".t (); -- "ops_x"` + "\n" + `SELECT '"ops_x".t'::regclass, lsos_x_t, a_lsos_x, lsos_x$1, "ops_x".u`
	if got := string(sdkinstall.Render([]byte(src), "lsos_x", []byte(`"ops_x"`))); got != want {
		t.Fatalf("Render:\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"", "Ops_x", "ops-x", `ops"x`, "ops'x", "1ops", strings.Repeat("a", 64)} {
		if err := sdkinstall.CheckSchema(bad); !errors.Is(err, sdkinstall.ErrBadSchema) {
			t.Errorf("CheckSchema(%q) = %v", bad, err)
		}
	}
	if err := sdkinstall.CheckSchema("ops_retention2"); err != nil {
		t.Error(err)
	}
}
