package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// typesSQL creates a table with every supported type and rows covering NULLs, extremes
// and time zones.
const typesSQL = `
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE t (
  id int8 PRIMARY KEY, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, b bool,
  tx text, vc varchar(20), bp char(5), num numeric, num2 numeric(12,3),
  d date, ts timestamp, tstz timestamptz, tm time, u uuid, j json, jb jsonb, by bytea,
  ai int4[], at text[], iv interval, e mood, ip inet
);
INSERT INTO t VALUES
 (1, 1, 2, 3, 1.5, 2.25, true, 'hello', 'v', 'ab', 123.456, 1.5, '2024-09-01', '2024-09-01 12:34:56.789012',
  '2024-09-01 12:34:56.789012+02', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"b": 1, "a": [1,2]}', '{"b": 1, "a": [1,2]}', '\x00ff10', '{1,NULL,3}', '{"a,b","c\"d",NULL}',
  '1 year 2 mons 3 days 04:05:06', 'happy', '10.0.0.1/8'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN', false, '', '', '', 'NaN', -999999999.999,
  '-infinity', '-infinity', '-infinity', '00:00:00', '00000000-0000-0000-0000-000000000000', 'null', '[]', '\x', '{}', '{}',
  '-178000000 years', 'sad', '::1'),
 (4, 32767, 2147483647, 9223372036854775807, 'Infinity', 1e308, true, 'üñî ✓ '||repeat('x', 5000), 'ñ', 'x', '-1e-20',
  999999999.999, 'infinity', 'infinity', 'infinity', '24:00:00', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '"s"', '{"k": "\u00e9"}',
  decode(repeat('ab', 1000), 'hex'), '{{1,2},{3,4}}', '{""}', '0', 'happy', '192.168.1.0/24'),
 (5, 0, 0, 0, 1.17549435e-38, 5e-324, false, 'x', 'y', 'z', 0, 0, '4713-01-01 BC', '4713-01-01 00:00:00 BC',
  '1900-01-01 00:00:00+05:30', '12:00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', '1', '1.5', '\xdeadbeef', NULL, NULL, NULL, NULL, NULL),
 (6, 7, 7, 7, 7, 7, true, 'x', 'y', 'z', 1e100, 0.001, '294276-12-31'::date - 1, '2000-01-01', '2262-04-11 23:47:16.854775+00', '00:00:00.000001',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
`

func TestTypeRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-types", pgtest.SQLSetup("SET TIME ZONE 'America/New_York'", typesSQL))
	bucket, err := OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	res, err := Export(ctx, db, "SELECT * FROM t ORDER BY id", nil, bucket, "types.parquet", Options{RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 6 || res.Bytes == 0 || len(res.SHA256) != 64 {
		t.Fatalf("result %+v", res)
	}
	var names []string
	for _, c := range res.Columns {
		names = append(names, c.Name)
	}
	if got, want := fmt.Sprint(names), "[id i2 i4 i8 f4 f8 b tx vc bp num num2 d ts tstz tm u j jb by ai at iv e ip]"; got != want {
		t.Fatalf("column order %s; want %s", got, want)
	}
	if c := res.Columns[1]; c.Nulls != 1 || c.Min != "-32768" || c.Max != "32767" {
		t.Errorf("i2 stats %+v", c)
	}
	if c := res.Columns[7]; c.Min != "" || c.Max != "" {
		t.Errorf("text column carries min/max %+v", c)
	}
	if err := Verify(ctx, bucket, "types.parquet", res.SHA256, 6); err != nil {
		t.Fatal(err)
	}
	// Load back through CopyFrom into a copy of the table (text fallbacks via a cast view)
	// and compare every value as PostgreSQL sees it.
	if _, err := db.Exec(ctx, `CREATE TABLE back (LIKE t)`); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, bucket, "types.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.SHA256 != res.SHA256 {
		t.Fatalf("sha %s != %s", r.SHA256, res.SHA256)
	}
	var rows [][]any
	for r.Next() {
		v, _ := r.Values()
		rows = append(rows, append([]any(nil), v...))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE stage (LIKE t); ALTER TABLE stage ALTER ai TYPE text, ALTER at TYPE text, ALTER iv TYPE text, ALTER e TYPE text, ALTER ip TYPE text`); err != nil {
		t.Fatal(err)
	}
	cols := make([]string, len(r.Columns()))
	for i, c := range r.Columns() {
		cols[i] = c.Name
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"stage"}, cols, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO back SELECT id,i2,i4,i8,f4,f8,b,tx,vc,bp,num,num2,d,ts,tstz,tm,u,j,jb,by,ai::int4[],at::text[],iv::interval,e::mood,ip::inet FROM stage`); err != nil {
		t.Fatal(err)
	}
	var diff int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT (t.*)::text FROM t EXCEPT ALL SELECT (back.*)::text FROM back) d`).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		rs, _ := conn.Query(ctx, `SELECT (t.*)::text FROM t EXCEPT ALL SELECT (back.*)::text FROM back`)
		got, _ := pgx.CollectRows(rs, pgx.RowTo[string])
		rs, _ = conn.Query(ctx, `SELECT (back.*)::text FROM back EXCEPT ALL SELECT (t.*)::text FROM t`)
		bad, _ := pgx.CollectRows(rs, pgx.RowTo[string])
		t.Fatalf("%d rows differ after the round trip:\nsource %q\nback   %q", diff, got, bad)
	}
}

func TestExportAbortsOnError(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	bucket, err := OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	// Division by zero on the 3rd row fails the query mid-stream.
	_, err = Export(ctx, db, "SELECT g, 1/(g-3) AS x FROM generate_series(1, 5) g", nil, bucket, "bad.parquet", Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	if ok, _ := bucket.Exists(ctx, "bad.parquet"); ok {
		t.Fatal("a failed export left an object behind")
	}
	// A truncated object fails verification.
	res, err := Export(ctx, db, "SELECT g FROM generate_series(1, 1000) g", nil, bucket, "ok.parquet", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bucket.ReadAll(ctx, "ok.parquet")
	if err := bucket.WriteAll(ctx, "cut.parquet", b[:len(b)/2], nil); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, bucket, "cut.parquet", "", res.Rows); !errors.Is(err, ErrVerify) {
		t.Fatalf("truncated object: err %v; want ErrVerify", err)
	}
	if err := Verify(ctx, bucket, "ok.parquet", res.SHA256, res.Rows+1); !errors.Is(err, ErrVerify) {
		t.Fatalf("wrong count: err %v; want ErrVerify", err)
	}
}

func TestSimpleProtocolIsRefused(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = ExportTo(ctx, conn, "SELECT 1::int8 AS n", nil, io.Discard, Options{})
	if err == nil || !strings.Contains(err.Error(), "simple protocol") {
		t.Fatalf("err %v; want a refusal naming the simple protocol", err)
	}
}
