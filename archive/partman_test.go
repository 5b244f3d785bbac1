package archive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/retention"
)

// partmanNow is the clock of the pg_partman tests. pg_partman creates partitions from
// CURRENT_TIMESTAMP, so the data and the archive's clock follow the real one; the counts
// below do not depend on the date (24 months of data, 13 kept: 11 eligible).
var partmanNow = time.Now().UTC()

const partmanEligible = 11

// partmanSetup creates public.page_metrics managed by pg_partman (monthly, from 24 months
// before partmanNow) holding rows for every day since then.
func partmanSetup(ctx context.Context, c *pgx.Conn) error {
	var available bool
	if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman')`).Scan(&available); err != nil {
		return err
	}
	if !available {
		return errors.New("pg_partman is not installed on the test server: install it with `apt-get install -y postgresql-15-partman` (the package of the server's major version; .ci/run does it)")
	}
	start := time.Date(partmanNow.Year(), partmanNow.Month()-24, 1, 0, 0, 0, 0, time.UTC)
	if _, err := c.Exec(ctx, `
		CREATE SCHEMA partman;
		CREATE EXTENSION pg_partman SCHEMA partman;
		CREATE TABLE public.page_metrics (
			tenant_id   bigint NOT NULL,
			id          bigint NOT NULL,
			captured_on date NOT NULL,
			score       numeric(8,2),
			note        text,
			PRIMARY KEY (tenant_id, id, captured_on)
		) PARTITION BY RANGE (captured_on);
		CREATE INDEX page_metrics_score_idx ON public.page_metrics (tenant_id, score) WHERE score IS NOT NULL;`); err != nil {
		return err
	}
	var version string
	if err := c.QueryRow(ctx, `SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'`).Scan(&version); err != nil {
		return err
	}
	typ := "range" // pg_partman 5
	if strings.HasPrefix(version, "4.") {
		typ = "native"
	}
	if _, err := c.Exec(ctx, `SELECT partman.create_parent(p_parent_table => 'public.page_metrics', p_control => 'captured_on',
		p_type => $1, p_interval => '1 month', p_premake => 4, p_start_partition => $2)`, typ, start.Format("2006-01-02")); err != nil {
		return fmt.Errorf("create_parent (pg_partman %s): %w", version, err)
	}
	_, err := c.Exec(ctx, `
		INSERT INTO public.page_metrics (tenant_id, id, captured_on, score, note)
		SELECT t, row_number() OVER (), d::date, CASE WHEN k = 1 THEN NULL ELSE (t * 10 + k)::numeric END, 'n' || k
		FROM generate_series($1::date, $2::date, '1 day') d, generate_series(1, 3) t, generate_series(1, 2) k`,
		start, partmanNow.Format("2006-01-02"))
	return err
}

func partmanDB(t *testing.T) *pgxpool.Pool { return pgtest.DB(t, "archive-partman", partmanSetup) }

// partmanPolicy is the seed policy with page_metrics among the snapshot tables (keep 13 months).
func partmanPolicy() *governance.Policy {
	p := governance.Default()
	for i := range p.Retention {
		if p.Retention[i].Category == governance.CategorySnapshots {
			p.Retention[i].Tables = append(p.Retention[i].Tables, "page_metrics")
		}
	}
	return p
}

func runPartman(t *testing.T, db TxDB, opts Options) (*Report, error) {
	t.Helper()
	if len(opts.Tables) == 0 && len(opts.Partitions) == 0 {
		opts.Tables = []string{"public.page_metrics"}
	}
	opts.Now = func() time.Time { return partmanNow }
	return Run(context.Background(), db, fileStore(t), partmanPolicy(), opts)
}

// partmanChildren lists the partitions of page_metrics as pg_partman sees them (without
// the default).
func partmanChildren(t *testing.T, db DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT partition_tablename FROM partman.show_partitions('public.page_metrics') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// wantArchived are the month partitions retention makes eligible: the 11 oldest.
func wantArchived() []string {
	var out []string
	for i := 24; i > 24-partmanEligible; i-- {
		m := time.Date(partmanNow.Year(), partmanNow.Month()-time.Month(i), 1, 0, 0, 0, 0, time.UTC)
		out = append(out, "public.page_metrics_p"+m.Format("2006_01"))
	}
	return out
}

// TestPartmanArchiveThenMaintenance archives the eligible months of a parent pg_partman
// manages, runs pg_partman's maintenance, and runs the archive again.
func TestPartmanArchiveThenMaintenance(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep-detached=%v", keep), func(t *testing.T) {
			ctx := context.Background()
			db := partmanDB(t)
			before := count(t, db, `SELECT count(*) FROM page_metrics`)
			children := partmanChildren(t, db)
			if len(children) < 25+4 {
				t.Fatalf("pg_partman made %d partitions; want at least 29 (24 months back, this month, 4 ahead): %v", len(children), children)
			}

			rep, err := runPartman(t, db, Options{KeepDetached: keep})
			if err != nil {
				t.Fatalf("%v (%+v)", err, rep)
			}
			parts, rows := rep.Archived()
			var got []string
			for _, p := range rep.Partitions {
				got = append(got, p.Partition)
			}
			if parts != partmanEligible || !slices.Equal(got, wantArchived()) || len(rep.Warnings) != 0 {
				t.Fatalf("archived %d partitions %v (warnings %v); want %v", parts, got, rep.Warnings, wantArchived())
			}
			after := count(t, db, `SELECT count(*) FROM page_metrics`)
			if rows == 0 || before-after != rows {
				t.Fatalf("report says %d rows archived, page_metrics lost %d", rows, before-after)
			}
			entries, err := List(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			var manifestRows int64
			wantState := map[bool]string{false: "dropped", true: "kept"}[keep]
			for _, e := range entries {
				manifestRows += e.Rows
				if e.State != wantState {
					t.Errorf("%s is %s; want %s", e.Partition, e.State, wantState)
				}
			}
			if len(entries) != partmanEligible || manifestRows != rows {
				t.Fatalf("%d catalog entries holding %d rows; want %d holding %d", len(entries), manifestRows, partmanEligible, rows)
			}
			for _, p := range wantArchived() {
				name := strings.TrimPrefix(p, "public.")
				if n := count(t, db, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE relname = $1 AND nspname = 'lsos_archive_detached'`, name); (n == 1) != keep {
					t.Errorf("%s in lsos_archive_detached: %d; keep-detached %v", name, n, keep)
				}
			}
			// The default partition and the template table are untouched.
			if n := count(t, db, `SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass('public.page_metrics_default') AND inhparent = 'page_metrics'::regclass`); n != 1 {
				t.Fatal("the default partition is no longer attached")
			}
			if n := count(t, db, `SELECT count(*) FROM pg_class WHERE oid = to_regclass('partman.template_public_page_metrics')`); n != 1 {
				t.Fatal("the template table is gone")
			}
			remaining := partmanChildren(t, db)
			if len(remaining) != len(children)-partmanEligible {
				t.Fatalf("%d partitions left; want %d", len(remaining), len(children)-partmanEligible)
			}

			// pg_partman's maintenance runs cleanly and does not bring the archived months back.
			if _, err := db.Exec(ctx, `SELECT partman.run_maintenance()`); err != nil {
				t.Fatalf("run_maintenance after archiving: %v", err)
			}
			if again := partmanChildren(t, db); !slices.Equal(again, remaining) {
				t.Fatalf("run_maintenance changed the partitions:\n%v\nwant\n%v", again, remaining)
			}
			for _, p := range wantArchived() {
				if n := count(t, db, `SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)`, p); n != 0 {
					t.Errorf("%s exists again after run_maintenance", p)
				}
			}

			// A second archive run is a no-op.
			events := count(t, db, `SELECT count(*) FROM lsos_archive.events`)
			rep2, err := runPartman(t, db, Options{KeepDetached: keep})
			if err != nil {
				t.Fatal(err)
			}
			if p, _ := rep2.Archived(); p != 0 || len(rep2.Partitions) != 0 {
				t.Fatalf("second run: %+v", rep2.Partitions)
			}
			if n := count(t, db, `SELECT count(*) FROM lsos_archive.events`); n != events {
				t.Fatalf("second run wrote %d events", n-events)
			}
			if n := count(t, db, `SELECT count(*) FROM page_metrics`); n != after {
				t.Fatalf("second run changed page_metrics: %d rows, want %d", n, after)
			}
		})
	}
}

// TestPartmanDefaultAndTemplateNeverArchived: retention reports pg_partman's default
// partition as blocked and its template table nowhere; Run refuses both when named.
func TestPartmanDefaultAndTemplateNeverArchived(t *testing.T) {
	ctx := context.Background()
	db := partmanDB(t)
	// A row outside every range lands in the default partition.
	if _, err := db.Exec(ctx, `INSERT INTO page_metrics VALUES (1, 0, '2001-01-01', 1, 'old')`); err != nil {
		t.Fatal(err)
	}
	p := partmanPolicy()
	cat, err := retention.Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := retention.Eligibility(ctx, db, p, cat, partmanNow)
	if err != nil {
		t.Fatal(err)
	}
	var te *retention.TableEligibility
	for i := range rep.Tables {
		switch rep.Tables[i].Table {
		case "public.page_metrics":
			te = &rep.Tables[i]
		case "partman.template_public_page_metrics":
			t.Errorf("the template table has a retention entry: %+v", rep.Tables[i])
		}
	}
	if te == nil || len(te.Eligible) != partmanEligible {
		t.Fatalf("page_metrics eligibility %+v", te)
	}
	defaultBlocked := false
	for _, b := range te.Blocked {
		if b.Partition == "public.page_metrics_default" {
			defaultBlocked = strings.Contains(b.Reason, "default partition")
		}
	}
	for _, e := range te.Eligible {
		if strings.HasSuffix(e.Partition, "_default") {
			t.Errorf("default partition eligible: %+v", e)
		}
	}
	if !defaultBlocked {
		t.Errorf("the default partition is not blocked as such: %+v", te.Blocked)
	}
	for _, u := range rep.Unmatched {
		if strings.Contains(u.Table, "template_public_page_metrics") || strings.Contains(u.Table, "page_metrics_default") {
			t.Errorf("reported as unmatched: %+v", u)
		}
	}
	// pg_partman's own configuration tables belong to the extension: not in the
	// catalog, so never "holds data but has no retention rule".
	for _, ct := range cat.Tables {
		if ct.Name.Schema == "partman" && strings.HasPrefix(ct.Name.Name, "part_config") {
			t.Errorf("extension table in the retention catalog: %s", ct.Name)
		}
	}
	for _, u := range rep.Unmatched {
		if strings.Contains(u.Table, "part_config") {
			t.Errorf("extension table reported as unmatched: %+v", u)
		}
	}

	for _, name := range []string{"public.page_metrics_default", "partman.template_public_page_metrics"} {
		r, err := runPartman(t, db, Options{Partitions: []Partition{{Name: name}}})
		if err == nil {
			t.Fatalf("Run archived %s: %+v", name, r)
		}
		want := map[bool]string{true: "never archived", false: "is not a partition"}[strings.HasSuffix(name, "_default")]
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run %s: %v; want an error saying %q", name, err, want)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM page_metrics_default`); n != 1 {
		t.Fatalf("default partition holds %d rows; want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 0 {
		t.Fatalf("%d catalog entries", n)
	}
}

// TestPartmanRetentionConflict: a pg_partman retention that would drop (or move away)
// partitions itself stops Run for that parent before anything happens; one that only
// detaches in place is a warning.
func TestPartmanRetentionConflict(t *testing.T) {
	for _, tc := range []struct {
		name, set string
		refuse    bool
	}{
		{"drop", `retention = '3 months', retention_keep_table = false`, true},
		{"move", `retention = '3 months', retention_keep_table = true, retention_schema = 'old_parts'`, true},
		{"keep-in-place", `retention = '30 months', retention_keep_table = true`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := partmanDB(t)
			if _, err := db.Exec(ctx, `CREATE SCHEMA old_parts; UPDATE partman.part_config SET `+tc.set+` WHERE parent_table = 'public.page_metrics'`); err != nil {
				t.Fatal(err)
			}
			cfg, err := Partman(ctx, db, "page_metrics")
			if err != nil || cfg == nil || cfg.Retention == "" || cfg.TemplateTable != "partman.template_public_page_metrics" {
				t.Fatalf("Partman: %+v, %v", cfg, err)
			}
			before := count(t, db, `SELECT count(*) FROM page_metrics`)
			for _, dry := range []bool{true, false} {
				rep, err := runPartman(t, db, Options{DryRun: dry})
				if !tc.refuse {
					if err != nil {
						t.Fatal(err)
					}
					if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "retention_keep_table") || !strings.Contains(rep.Warnings[0], "retention = NULL") {
						t.Fatalf("warnings %v", rep.Warnings)
					}
					if p, _ := rep.Archived(); !dry && p != partmanEligible {
						t.Fatalf("archived %d partitions; want %d", p, partmanEligible)
					}
					continue
				}
				var pe *PartmanRetentionError
				if !errors.Is(err, ErrPartmanRetention) || !errors.As(err, &pe) || pe.Config.Parent != "public.page_metrics" {
					t.Fatalf("dry run %v: err %v; want a PartmanRetentionError", dry, err)
				}
				for _, s := range []string{"public.page_metrics", "SET retention = NULL", "retention_keep_table = true", "this run touched no partition of public.page_metrics"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				if len(rep.Partitions) != 0 {
					t.Errorf("refused parent still processed: %+v", rep.Partitions)
				}
				// An explicit partition of the parent is refused too.
				if _, err := runPartman(t, db, Options{DryRun: dry, Partitions: []Partition{{Name: wantArchived()[0]}}}); !errors.Is(err, ErrPartmanRetention) {
					t.Fatalf("explicit partition: %v", err)
				}
			}
			if tc.refuse {
				if n := count(t, db, `SELECT count(*) FROM page_metrics`); n != before {
					t.Fatalf("rows changed: %d → %d", before, n)
				}
				if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 0 {
					t.Fatalf("%d catalog entries", n)
				}
			}
		})
	}
}

// TestPartmanMaintenanceLock: while pg_partman's maintenance holds its lock, the detach
// waits for it; maintenance started meanwhile would skip its round, never interleave.
func TestPartmanMaintenanceLock(t *testing.T) {
	ctx := context.Background()
	db := partmanDB(t)
	part := wantArchived()[0]
	holder, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	// What run_maintenance() does first.
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('pg_partman run_maintenance'))`); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	done := make(chan error, 1)
	store := fileStore(t)
	go func() {
		once := false
		_, err := Run(ctx, db, store, partmanPolicy(), Options{Partitions: []Partition{{Name: part}}, Now: func() time.Time { return partmanNow },
			Progress: func(e Event) {
				if !once && strings.Contains(e.Detail, "waiting for pg_partman maintenance") {
					once = true
					close(waiting)
				}
			}})
		done <- err
	}()
	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("Run finished while pg_partman's maintenance held its lock: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("Run never reported waiting for pg_partman maintenance")
	}
	if n := count(t, db, `SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)`, part); n != 1 {
		t.Fatal("the partition was detached while pg_partman's maintenance ran")
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives WHERE state = 'recorded'`); n != 1 {
		t.Fatalf("%d entries recorded before the detach; want 1", n)
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)`, part); n != 0 {
		t.Fatalf("%s still exists after the run", part)
	}
	// The lock was released: pg_partman can take it again.
	var got bool
	if err := db.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('pg_partman run_maintenance')) AND pg_advisory_unlock(hashtext('pg_partman run_maintenance'))`).Scan(&got); err != nil || !got {
		t.Fatalf("pg_partman's lock is still held after Run: %v %v", got, err)
	}
}
