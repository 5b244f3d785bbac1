package archive

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/pgtest"
)

const typedSQL = `
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE events (
  at timestamptz NOT NULL, id bigint NOT NULL, i2 int2, i4 int4, f4 float4, f8 float8, b bool,
  tx text, vc varchar(20), bp char(3), num numeric(12,3), d date, ts timestamp, tm time,
  u uuid, j json, jb jsonb, by bytea, ai int4[], at2 text[], iv interval, e mood, ip inet
) PARTITION BY RANGE (at);
CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00');
CREATE INDEX ON events (id);
INSERT INTO events
SELECT '2025-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', g, (g % 32767)::int2, g, g / 3.0, g / 7.0, g % 2 = 0,
  CASE WHEN g % 5 = 0 THEN NULL ELSE 'text ' || g || ' ✓' END, 'v' || g, 'c', g * 1.125, date '2025-01-01' + g % 30,
  '2025-01-01 12:00'::timestamp + g * interval '1 second', '12:00'::time + g * interval '1 ms',
  md5(g::text)::uuid, json_build_object('g', g), jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g)),
  decode(md5(g::text), 'hex'), ARRAY[g, NULL, -g], ARRAY['a,b', 'q"uote', NULL], g * interval '1 hour',
  CASE WHEN g % 2 = 0 THEN 'sad'::mood ELSE 'happy' END, ('10.0.' || (g % 255) || '.1')::inet
FROM generate_series(1, 2000) g;
INSERT INTO events (at, id, i2, i4, f4, f8, tx, num, d, ts, tm) VALUES
  ('2025-01-31 23:59:59.999999+00', -1, -32768, -2147483648, 'NaN', '-Infinity', '', -999999999.999, 'infinity', '-infinity', '24:00'),
  ('2025-01-15 10:00:00-08', -2, 32767, 2147483647, '-0', 1e308, repeat('x', 100000), 999999999.999, '-infinity', 'infinity', '00:00');
`

// TestEveryTypeThroughArchiveAndRestore archives a partition holding every supported type
// (and text-fallback types), re-attaches it from the store and compares it with a copy,
// then streams it as CSV through Open.
func TestEveryTypeThroughArchiveAndRestore(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "archive-types", pgtest.SQLSetup(typedSQL))
	store := fileStore(t)
	if _, err := db.Exec(ctx, `SET TIME ZONE 'Asia/Kolkata'; CREATE TABLE copy AS SELECT * FROM events_2025_01`); err != nil {
		t.Fatal(err)
	}
	rep, err := run(t, db, store, Options{Partitions: []Partition{{Name: "events_2025_01"}}, Export: ExportOptions{RowGroupRows: 300}})
	if err != nil {
		t.Fatal(err)
	}
	if p, rows := rep.Archived(); p != 1 || rows != 2002 {
		t.Fatalf("archived %d partitions, %d rows; want 1, 2002", p, rows)
	}
	e, err := Get(ctx, db, rep.Partitions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]ColumnKind{}
	for _, c := range e.Manifest.Columns {
		kinds[c.Name] = c.Kind
	}
	if kinds["ai"] != KindText || kinds["jb"] != KindJSONB || kinds["at"] != KindTimestamptz || kinds["num"] != KindNumeric {
		t.Errorf("kinds %v", kinds)
	}
	if !strings.Contains(strings.Join(e.Manifest.Indexes, ";"), "(id)") {
		t.Errorf("indexes %v", e.Manifest.Indexes)
	}
	if _, err := Restore(ctx, db, store, e.ID, Target{Attach: true}); err != nil {
		t.Fatal(err)
	}
	sameRows(t, db, "copy", "events")
	if n := count(t, db, `SELECT count(*) FROM pg_indexes WHERE tablename = 'events_2025_01'`); n != 1 {
		t.Errorf("re-attached partition has %d indexes; want the parent's 1", n)
	}

	// Open streams rows for read-only tools: a CSV export for an audit.
	r, err := Open(ctx, db, store, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pr, pw := io.Pipe()
	go func() {
		w := csv.NewWriter(pw)
		for r.Next() {
			rec, _, err := r.Text()
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			w.Write(rec)
		}
		w.Flush()
		pw.CloseWithError(errors.Join(r.Err(), w.Error()))
	}()
	recs, err := csv.NewReader(pr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2002 || len(recs[0]) != 23 {
		t.Fatalf("CSV has %d records of %d fields", len(recs), len(recs[0]))
	}
	if recs[0][1] != "1" || recs[0][18] != "{1,NULL,-1}" {
		t.Errorf("first CSV record %q", recs[0])
	}
	if cols := r.Columns(); len(cols) != 23 || cols[1].Name == "" || cols[18].Kind != KindText || r.NumRows() != 2002 || r.Read() != 2002 || len(r.SHA256()) != 64 {
		t.Errorf("reader: columns %+v, %d rows in the footer, %d read, sha256 %q", cols, r.NumRows(), r.Read(), r.SHA256())
	}
}

// TestColumnKindsMatchWriter checks that every kind the Parquet writer records has the
// same spelling as this package's ColumnKind constant (manifests store the string).
func TestColumnKindsMatchWriter(t *testing.T) {
	pairs := map[parquetio.Kind]ColumnKind{
		parquetio.KindInt16: KindInt16, parquetio.KindInt32: KindInt32, parquetio.KindInt64: KindInt64,
		parquetio.KindFloat32: KindFloat32, parquetio.KindFloat64: KindFloat64, parquetio.KindBool: KindBool,
		parquetio.KindString: KindString, parquetio.KindNumeric: KindNumeric, parquetio.KindDate: KindDate,
		parquetio.KindTimestamp: KindTimestamp, parquetio.KindTimestamptz: KindTimestamptz, parquetio.KindTime: KindTime,
		parquetio.KindUUID: KindUUID, parquetio.KindJSON: KindJSON, parquetio.KindJSONB: KindJSONB,
		parquetio.KindBytea: KindBytea, parquetio.KindText: KindText,
	}
	for in, out := range pairs {
		if string(in) != string(out) {
			t.Errorf("parquetio kind %q is archive kind %q", in, out)
		}
	}
}
