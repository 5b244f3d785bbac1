package archive

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// hostileSQL is a partitioned table with one archived month, an index, a canary table
// a payload would drop and nothing a payload would create.
const hostileSQL = `
CREATE TABLE canary (x int);
INSERT INTO canary VALUES (1);
CREATE TABLE snaps (at timestamptz NOT NULL, id bigint NOT NULL, v varchar(20), n numeric(12,2)) PARTITION BY RANGE (at);
CREATE TABLE snaps_2025_01 PARTITION OF snaps FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00');
CREATE TABLE snaps_2025_02 PARTITION OF snaps FOR VALUES FROM ('2025-02-01 00:00:00+00') TO ('2025-03-01 00:00:00+00');
CREATE INDEX snaps_id_idx ON snaps (id);
INSERT INTO snaps SELECT '2025-01-01 00:00:00+00'::timestamptz + g * interval '1 hour', g, 'v' || g, g / 3.0 FROM generate_series(1, 100) g;
`

// payload is what every hostile text tries to run: drop the canary, create a table and
// a function.
const payload = `DROP TABLE canary; CREATE TABLE pwned (x int); CREATE FUNCTION pwned_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'; --`

// archivedHostileDB archives snaps_2025_01 and returns its catalog entry.
func archivedHostileDB(t *testing.T) (*pgxpool.Pool, *blob.Bucket, Entry) {
	t.Helper()
	db := pgtest.DB(t, "archive-hostile-manifest", pgtest.SQLSetup(hostileSQL))
	store := fileStore(t)
	rep, err := run(t, db, store, Options{Partitions: []Partition{{Name: "snaps_2025_01"}}})
	if err != nil {
		t.Fatal(err)
	}
	if p, rows := rep.Archived(); p != 1 || rows != 100 {
		t.Fatalf("archived %d partitions, %d rows", p, rows)
	}
	e, err := Get(context.Background(), db, rep.Partitions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.ManifestSHA256 == "" || len(e.Manifest.Indexes) != 1 {
		t.Fatalf("entry: sha %q, indexes %q", e.ManifestSHA256, e.Manifest.Indexes)
	}
	return db, store, e
}

// nothingRan fails unless the canary is intact, nothing the payload creates exists and
// the restore target was not created.
func nothingRan(t *testing.T, db DB, target string) {
	t.Helper()
	if n := count(t, db, `SELECT count(*) FROM pg_class WHERE relname = 'canary'`); n != 1 {
		t.Fatal("the canary table is gone: manifest text ran as SQL")
	}
	if n := count(t, db, `SELECT count(*) FROM canary`); n != 1 {
		t.Fatalf("the canary holds %d rows", n)
	}
	if n := count(t, db, `SELECT (SELECT count(*) FROM pg_class WHERE relname = 'pwned') + (SELECT count(*) FROM pg_proc WHERE proname = 'pwned_fn')`); n != 0 {
		t.Fatal("the payload's table or function exists: manifest text ran as SQL")
	}
	if target != "" && count(t, db, `SELECT count(*) FROM pg_class WHERE relname = $1`, target) != 0 {
		t.Fatalf("the restore target %s exists after a refused restore", target)
	}
}

// hostileManifests are the archived manifest with one payload each, and the restore
// target that reaches the payload's field.
func hostileManifests(m Manifest) []struct {
	name   string
	m      Manifest
	target Target
} {
	typ := m
	typ.Columns = append([]ColumnManifest(nil), m.Columns...)
	typ.Columns[1].Type = "int); " + payload
	typ2 := m
	typ2.Columns = append([]ColumnManifest(nil), m.Columns...)
	typ2.Columns[2].Type = "character varying(20) COLLATE \"C\"); " + payload
	bounds := m
	bounds.Bounds = m.Bounds + "; " + payload
	bounds2 := m
	bounds2.Bounds = "FOR VALUES FROM ('2025-01-01 00:00:00+00'); " + payload + "') TO ('2025-02-01 00:00:00+00')"
	index := m
	index.Indexes = []string{strings.TrimSuffix(m.Indexes[0], ")") + "); " + payload}
	index2 := m
	index2.Indexes = []string{strings.TrimSuffix(m.Indexes[0], ")") + ") WHERE (id > 1E'\\'' ) ; " + payload + " ')"}
	name := m
	name.PartitionName = &QualifiedName{Schema: "public", Name: strings.Repeat("x", 64)} // over the limit: PostgreSQL would cut it
	return []struct {
		name   string
		m      Manifest
		target Target
	}{
		{"column-type", typ, Target{Table: "restored"}},
		{"column-type-collate", typ2, Target{Table: "restored"}},
		{"bounds", bounds, Target{Attach: true}},
		{"bounds-in-literal", bounds2, Target{Attach: true}},
		{"index", index, Target{Table: "restored"}},
		{"index-number-then-E-string", index2, Target{Table: "restored"}},
		{"partition-name", name, Target{Attach: true}},
	}
}

// writeStoreManifest writes m over the archive's manifest in the store with sum as the
// recorded SHA-256 ("" writes none, as before manifests were hashed).
func writeStoreManifest(t *testing.T, store *blob.Bucket, m *Manifest, sum string) []byte {
	t.Helper()
	b, _, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	opts := &blob.WriterOptions{ContentType: "application/json"}
	if sum != "" {
		opts.Metadata = map[string]string{manifestSHAKey: sum}
	}
	if err := store.WriteAll(context.Background(), manifestKey(m.Object), b, opts); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHostileManifestWithMatchingHashIsNotExecuted: an attacker rewrote a manifest and
// its hash alike (in the store, then RebuildCatalog; and in the catalog): the hash
// checks pass, and Restore's own checks (types resolved by the server from bind
// parameters, bounds rebuilt from times, index definitions rebuilt) refuse every
// payload with ErrManifestInvalid before anything runs.
func TestHostileManifestWithMatchingHashIsNotExecuted(t *testing.T) {
	ctx := context.Background()
	db, store, e := archivedHostileDB(t)
	for _, h := range hostileManifests(e.Manifest) {
		t.Run("store/"+h.name, func(t *testing.T) {
			b, sum, _ := encodeManifest(&h.m)
			writeStoreManifest(t, store, &h.m, sum)
			if _, err := RebuildCatalog(ctx, db, store, ""); err != nil {
				t.Fatalf("RebuildCatalog refused a manifest whose hash matches: %v", err)
			}
			got, err := Get(ctx, db, e.ID)
			if err != nil || got.ManifestSHA256 != sha256Hex(b) {
				t.Fatalf("rebuilt entry: %v, sha %q", err, got.ManifestSHA256)
			}
			_, err = Restore(ctx, db, store, e.ID, h.target)
			var me *ManifestError
			if !errors.Is(err, ErrManifestInvalid) || !errors.As(err, &me) || me.ID != e.ID {
				t.Fatalf("Restore: %v; want a *ManifestError (ErrManifestInvalid) for %s", err, e.ID)
			}
			t.Log(err)
			nothingRan(t, db, "restored")
		})
		t.Run("catalog/"+h.name, func(t *testing.T) {
			b, sum, _ := encodeManifest(&h.m)
			if _, err := db.Exec(ctx, `UPDATE `+Schema+`.archives SET manifest = $2, manifest_json = $3, manifest_sha256 = $4 WHERE id = $1`, e.ID, b, string(b), sum); err != nil {
				t.Fatal(err)
			}
			if _, err := Restore(ctx, db, store, e.ID, h.target); !errors.Is(err, ErrManifestInvalid) {
				t.Fatalf("Restore: %v; want ErrManifestInvalid", err)
			}
			nothingRan(t, db, "restored")
		})
	}
	// The genuine manifest, put back, restores and re-attaches.
	writeStoreManifest(t, store, &e.Manifest, e.ManifestSHA256)
	if _, err := RebuildCatalog(ctx, db, store, ""); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, db, store, e.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := Restore(ctx, db, store, e.ID, Target{Table: "restored"}); err != nil || n != 100 {
		t.Fatalf("Restore of the genuine manifest: %d, %v", n, err)
	}
	if n, err := Restore(ctx, db, store, e.ID, Target{Attach: true}); err != nil || n != 100 {
		t.Fatalf("re-attach of the genuine manifest: %d, %v", n, err)
	}
	if n := count(t, db, `SELECT count(*) FROM snaps`); n != 100 {
		t.Fatalf("snaps holds %d rows after the re-attach", n)
	}
	nothingRan(t, db, "")
}

// TestHostileManifestWithStaleHashIsRefused: an attacker rewrote a manifest but not its
// hash. In the store, ReadManifests, Verify and RebuildCatalog refuse it with
// ErrManifestTampered naming the object, and RebuildCatalog records nothing; in the
// catalog, Restore and Verify refuse it before using any of it.
func TestHostileManifestWithStaleHashIsRefused(t *testing.T) {
	ctx := context.Background()
	db, store, e := archivedHostileDB(t)
	key := manifestKey(e.Object)
	for _, h := range hostileManifests(e.Manifest) {
		t.Run("store/"+h.name, func(t *testing.T) {
			writeStoreManifest(t, store, &h.m, e.ManifestSHA256) // the genuine one's hash
			var me *ManifestError
			if _, err := ReadManifests(ctx, store, ""); !errors.Is(err, ErrManifestTampered) {
				t.Fatalf("ReadManifests: %v", err)
			}
			if err := Verify(ctx, db, store, e.ID); !errors.Is(err, ErrManifestTampered) || !errors.As(err, &me) || me.Object != key || !strings.Contains(err.Error(), key) {
				t.Fatalf("Verify: %v; want ErrManifestTampered naming %s", err, key)
			}
			if _, err := db.Exec(ctx, `DELETE FROM `+Schema+`.archives`); err != nil {
				t.Fatal(err)
			}
			n, err := RebuildCatalog(ctx, db, store, "")
			if !errors.Is(err, ErrManifestTampered) || n != 0 || !strings.Contains(err.Error(), key) {
				t.Fatalf("RebuildCatalog: %d, %v; want ErrManifestTampered naming %s", n, err, key)
			}
			if c := count(t, db, `SELECT count(*) FROM `+Schema+`.archives`); c != 0 {
				t.Fatalf("RebuildCatalog recorded %d entries from a tampered store", c)
			}
			if _, err := Restore(ctx, db, store, e.ID, h.target); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Restore after the refused rebuild: %v", err)
			}
			nothingRan(t, db, "restored")
			// Put the genuine manifest and catalog entry back.
			writeStoreManifest(t, store, &e.Manifest, e.ManifestSHA256)
			if _, err := RebuildCatalog(ctx, db, store, ""); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("catalog/"+h.name, func(t *testing.T) {
			b, _, _ := encodeManifest(&h.m)
			if _, err := db.Exec(ctx, `UPDATE `+Schema+`.archives SET manifest = $2, manifest_json = $3 WHERE id = $1`, e.ID, b, string(b)); err != nil {
				t.Fatal(err)
			}
			var me *ManifestError
			if _, err := Restore(ctx, db, store, e.ID, h.target); !errors.Is(err, ErrManifestTampered) || !errors.As(err, &me) || me.Recorded != e.ManifestSHA256 {
				t.Fatalf("Restore: %v; want ErrManifestTampered", err)
			}
			if err := Verify(ctx, db, store, e.ID); !errors.Is(err, ErrManifestTampered) {
				t.Fatalf("Verify: %v; want ErrManifestTampered", err)
			}
			nothingRan(t, db, "restored")
			if _, err := db.Exec(ctx, `UPDATE `+Schema+`.archives SET manifest = $2, manifest_json = $3 WHERE id = $1`, e.ID, e.manifestJSON, string(e.manifestJSON)); err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := Verify(ctx, db, store, e.ID); err != nil {
		t.Fatalf("Verify after the genuine manifest is back: %v", err)
	}
}

// TestManifestsWrittenBeforeHashing: an archive recorded before manifests were hashed
// (no SHA-256 in the catalog, none beside the manifest) still verifies and restores,
// with a warning; RebuildCatalog refuses such a manifest unless TrustUnhashedManifests
// is given, and then records it without a hash. Its content is still checked: a hostile
// unhashed manifest is refused by Restore.
func TestManifestsWrittenBeforeHashing(t *testing.T) {
	ctx := context.Background()
	db, store, e := archivedHostileDB(t)
	if _, err := db.Exec(ctx, `UPDATE `+Schema+`.archives SET manifest_json = NULL, manifest_sha256 = NULL`); err != nil {
		t.Fatal(err)
	}
	writeStoreManifest(t, store, &e.Manifest, "")
	if err := Verify(ctx, db, store, e.ID); err != nil {
		t.Fatalf("Verify of an unhashed archive: %v", err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if n, err := Restore(ctx, db, store, e.ID, Target{Table: "restored", Logger: log}); err != nil || n != 100 {
		t.Fatalf("Restore of an unhashed archive: %d, %v", n, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "before manifests were hashed") {
		t.Fatalf("no warning for the unhashed manifest: %q", logs.String())
	}

	if _, err := db.Exec(ctx, `DELETE FROM `+Schema+`.archives`); err != nil {
		t.Fatal(err)
	}
	if n, err := RebuildCatalog(ctx, db, store, ""); !errors.Is(err, ErrManifestUnhashed) || n != 0 {
		t.Fatalf("RebuildCatalog of an unhashed manifest: %d, %v; want ErrManifestUnhashed", n, err)
	}
	if n, err := RebuildCatalog(ctx, db, store, "", TrustUnhashedManifests()); err != nil || n != 1 {
		t.Fatalf("RebuildCatalog trusting unhashed manifests: %d, %v", n, err)
	}
	got, err := Get(ctx, db, e.ID)
	if err != nil || got.ManifestSHA256 != "" || got.Manifest.ID != e.ID {
		t.Fatalf("rebuilt unhashed entry: %v %+v", err, got)
	}
	hostile := hostileManifests(e.Manifest)[0]
	writeStoreManifest(t, store, &hostile.m, "")
	if _, err := RebuildCatalog(ctx, db, store, "", TrustUnhashedManifests()); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, db, store, e.ID, Target{Table: "restored2"}); !errors.Is(err, ErrManifestInvalid) {
		t.Fatalf("Restore of a hostile unhashed manifest: %v; want ErrManifestInvalid", err)
	}
	nothingRan(t, db, "restored2")
}

// TestResolveTypeRoundTrip: every type as format_type prints a column's type (with
// modifiers, arrays, interval fields, quoted and schema-qualified user types) resolves
// to the same text; text that is not exactly such a type is refused, and a refusal
// leaves the transaction usable.
func TestResolveTypeRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "archive-manifest-types", pgtest.SQLSetup(hostileSQL, `
		CREATE SCHEMA "Other Schema";
		CREATE TYPE "Other Schema"."Mood" AS ENUM ('a');
		CREATE TYPE mood AS ENUM ('b');
		CREATE TABLE typed (a int4, b varchar(20), c char(3), d bpchar, e numeric(12,2), f numeric, g timestamp(3),
			h timestamptz, i time(2) with time zone, j interval, k interval(3), l interval year to month,
			m interval day to second(3), n interval minute, o bit(8), p varbit(5), q int4[], r numeric(12,2)[],
			s varchar(20)[], t "Other Schema"."Mood", u mood[], v float8, w interval hour to second[], x jsonb,
			y "char", z timestamp with time zone[])`))
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'typed'::regclass AND attnum > 0 ORDER BY attnum`)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		types = append(types, s)
	}
	if rows.Err() != nil || len(types) != 26 {
		t.Fatalf("%d types, %v", len(types), rows.Err())
	}
	m := &Manifest{ID: "x", Object: "k.parquet"}
	for _, typ := range types {
		m.Columns = append(m.Columns, ColumnManifest{ColumnDef: ColumnDef{Name: "c", Type: typ}})
	}
	for _, hostile := range []string{
		"int); " + payload, "int4; SELECT 1", "text COLLATE \"C\"", "int4 DEFAULT 1", "int4 NOT NULL",
		"numeric(12,2); " + payload, "int4 /* x */", "int4 -- x", "int4[", "character", "numeric(12,2", "varchar(20) )",
		"int4\n", "nosuchtype", "numeric(1;2)", "int4(3)", "interval year to day", "pg_catalog.int4",
		"int4 CHECK (false)", `"int4"`, "",
	} {
		m.Columns = append(m.Columns, ColumnManifest{ColumnDef: ColumnDef{Name: "c", Type: hostile}})
		_, err := resolveColumns(ctx, tx, m)
		if !errors.Is(err, ErrManifestInvalid) {
			t.Errorf("type %q: %v; want ErrManifestInvalid", hostile, err)
		}
		m.Columns = m.Columns[:len(types)]
	}
	got, err := resolveColumns(ctx, tx, m)
	if err != nil {
		t.Fatalf("after the refusals: %v", err)
	}
	for i, c := range got {
		if c.Type != types[i] {
			t.Errorf("%q resolved to %q", types[i], c.Type)
		}
	}
	// The statements Restore builds run one at a time: the extended protocol refuses a
	// second statement, should one ever slip past the checks.
	sp, err := tx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := execOne(ctx, sp, "SELECT 1; "+payload); err == nil {
		t.Fatal("execOne ran two statements")
	}
	sp.Rollback(ctx)
	nothingRan(t, tx, "")
}

// TestAttachBoundsRebuiltFromTimes: the ATTACH clause is rendered from the manifest's
// times, whatever the bound text's spelling, and bound text that is not a single-column
// time range equal to from/to is refused.
func TestAttachBoundsRebuiltFromTimes(t *testing.T) {
	m := &Manifest{ID: "x", Object: "k.parquet",
		Bounds: "FOR VALUES FROM ('2025-01-01 05:30:00+05:30') TO ('2025-02-01 00:00:00+00')"}
	m.From, m.To = parseBounds(m.Bounds)
	got, err := attachBounds(m)
	if want := "FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00')"; err != nil || got != want {
		t.Fatalf("attachBounds: %q, %v; want %q", got, err, want)
	}
	m.Bounds = "FOR VALUES FROM (MINVALUE) TO ('2025-02-01')"
	m.From, m.To = parseBounds(m.Bounds)
	if got, err := attachBounds(m); err != nil || got != "FOR VALUES FROM (MINVALUE) TO ('2025-02-01 00:00:00+00')" {
		t.Fatalf("MINVALUE: %q, %v", got, err)
	}
	from, to := parseBounds("FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')")
	for _, b := range []string{
		"FOR VALUES FROM ('2025-01-01') TO ('2025-03-01')",
		"FOR VALUES IN ('a')",
		"FOR VALUES WITH (modulus 2, remainder 0)",
		"DEFAULT",
		"FOR VALUES FROM ('2025-01-01', 1) TO ('2025-02-01', 1)",
		"FOR VALUES FROM ('2025-01-01') TO ('2025-02-01'); " + payload,
		"FOR VALUES FROM ('2025-01-01''); DROP TABLE canary; --') TO ('2025-02-01')",
		"FOR VALUES FROM (MAXVALUE) TO ('2025-02-01')",
	} {
		m := &Manifest{ID: "x", Object: "k.parquet", Bounds: b, From: from, To: to}
		if got, err := attachBounds(m); !errors.Is(err, ErrManifestInvalid) {
			t.Errorf("bounds %q: %q, %v; want ErrManifestInvalid", b, got, err)
		}
	}
	m = &Manifest{ID: "x", Object: "k.parquet", Bounds: "FOR VALUES FROM ('2025-02-01') TO ('2025-01-01')"}
	m.From, m.To = parseBounds(m.Bounds)
	if _, err := attachBounds(m); !errors.Is(err, ErrManifestInvalid) {
		t.Errorf("from after to: %v", err)
	}
}

// TestAttachBoundsOnEveryTimeKey: the bounds Restore renders from the manifest's times
// re-attach a partition of a date, timestamp and timestamptz key with exactly its
// original bounds, whatever the session's time zone.
func TestAttachBoundsOnEveryTimeKey(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	conn, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, key := range []string{"date", "timestamp", "timestamptz", "timestamp(0) with time zone"} {
		if _, err := conn.Exec(ctx, `SET TIME ZONE 'Asia/Kolkata';
			DROP TABLE IF EXISTS p;
			CREATE TABLE p (at `+key+` NOT NULL) PARTITION BY RANGE (at);
			CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
			CREATE TABLE p_2 PARTITION OF p FOR VALUES FROM (MINVALUE) TO ('2025-01-01')`); err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{"p_1", "p_2"} {
			var orig string
			if err := conn.QueryRow(ctx, `SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = $1`, part).Scan(&orig); err != nil {
				t.Fatal(err)
			}
			m := &Manifest{ID: "x", Object: "k.parquet", Bounds: orig}
			m.From, m.To = parseBounds(orig)
			b, err := attachBounds(m)
			if err != nil {
				t.Fatalf("%s %s: %v", key, orig, err)
			}
			if _, err := conn.Exec(ctx, `ALTER TABLE p DETACH PARTITION `+part+`; ALTER TABLE p ATTACH PARTITION `+part+` `+b); err != nil {
				t.Fatalf("%s: attach %s: %v", key, b, err)
			}
			var got string
			if err := conn.QueryRow(ctx, `SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = $1`, part).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != orig {
				t.Errorf("%s: re-attached with %s (from %s); want %s", key, got, b, orig)
			}
		}
	}
}
