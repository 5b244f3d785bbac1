package parquetio

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// readAll decodes every row of key as PostgreSQL text.
func readAll(t *testing.T, b *blob.Bucket, key string) [][]string {
	t.Helper()
	r, err := Open(context.Background(), b, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [][]string
	for r.Next() {
		vals, _ := r.Values()
		row := make([]string, len(vals))
		for i, v := range vals {
			s, ok := FormatText(v)
			if !ok {
				s = "<NULL>"
			}
			row[i] = s
		}
		out = append(out, row)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRewriteDropsRowsAndKeepsTheRestExactly(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-types", pgtest.SQLSetup("SET TIME ZONE 'America/New_York'", typesSQL))
	bucket, err := OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	src, err := Export(ctx, db, "SELECT * FROM t ORDER BY id", nil, bucket, "src.parquet", Options{RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Export(ctx, db, "SELECT * FROM t WHERE id NOT IN (3, 5) ORDER BY id", nil, bucket, "want.parquet", Options{RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Rewrite(ctx, bucket, "src.parquet", "out.parquet", "id", []string{"3", "5", "42"}, src.SHA256, Options{RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 4 || res.Removed != 2 || res.SourceRows != 6 || res.SourceSHA256 != src.SHA256 || res.Key != "out.parquet" {
		t.Fatalf("result %+v", res)
	}
	if err := Verify(ctx, bucket, "out.parquet", res.SHA256, 4); err != nil {
		t.Fatal(err)
	}
	if got, exp := readAll(t, bucket, "out.parquet"), readAll(t, bucket, "want.parquet"); !slices.EqualFunc(got, exp, slices.Equal) {
		t.Errorf("rewritten rows\n%v\nwant\n%v", got, exp)
	}
	for i, c := range res.Columns {
		if w := want.Columns[i]; c.Nulls != w.Nulls || c.Min != w.Min || c.Max != w.Max || c.Kind != w.Kind || c.Type != w.Type {
			t.Errorf("column %s stats %+v, want %+v", c.Name, c, w)
		}
	}
	// Matching is on the text form: a uuid column works like any other.
	res, err = Rewrite(ctx, bucket, "src.parquet", "out2.parquet", "u", []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, "", Options{})
	if err != nil || res.Removed != 1 || res.Rows != 5 {
		t.Fatalf("uuid rewrite %+v, %v", res, err)
	}
	// A source that does not match the expected checksum writes nothing.
	_, err = Rewrite(ctx, bucket, "src.parquet", "out3.parquet", "id", []string{"1"}, want.SHA256, Options{})
	if !errors.Is(err, ErrVerify) {
		t.Fatalf("wrong checksum: %v", err)
	}
	if ok, _ := bucket.Exists(ctx, "out3.parquet"); ok {
		t.Error("a refused rewrite left an object")
	}
	if _, err := Rewrite(ctx, bucket, "src.parquet", "src.parquet", "id", nil, "", Options{}); err == nil {
		t.Error("rewriting onto the source must be refused")
	}
	if _, err := Rewrite(ctx, bucket, "src.parquet", "out4.parquet", "nope", nil, "", Options{}); err == nil {
		t.Error("an unknown column must be refused")
	}
}

// BenchmarkRewrite removes one tenant of three from an exported object of benchRows rows;
// peak RSS should stay flat as $LSOS_BENCH_ROWS grows (run it alone in its process):
//
//	LSOS_BENCH_ROWS=2000000 go test ./internal/parquetio -run '^$' -bench 'Rewrite$' -benchtime 3x
func BenchmarkRewrite(b *testing.B) {
	db, _, n := benchDB(b)
	ctx := context.Background()
	bucket, err := OpenBucket(ctx, "file://"+b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer bucket.Close()
	src, err := Export(ctx, db, "SELECT * FROM bench", nil, bucket, "src.parquet", Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Rewrite(ctx, bucket, "src.parquet", "out.parquet", "tenant_id", []string{"2"}, src.SHA256, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Removed == 0 || res.Rows+res.Removed != int64(n) {
			b.Fatalf("removed %d, kept %d of %d", res.Removed, res.Rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	peakRSS(b)
}
