package parquetio

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// encodingsSQL fills a table whose columns take every path of the file writer: a
// dictionary column, a unique text column (the dictionary is given up), one that turns
// unique after the first row group (given up late, then tried on a sample), values long
// enough for several data pages per chunk, booleans and numbers with NULLs, NaN and
// signed zeros.
const encodingsSQL = `
CREATE TABLE enc (id int8, rep text, uniq text, late text, long text, flag bool, n int4, f float8, j jsonb);
INSERT INTO enc
SELECT g, 'value-' || (g % 7), md5(g::text),
       CASE WHEN g < 100000 THEN 'same' ELSE md5(g::text) END,
       repeat('y', 40) || g,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g % 3 = 0 END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE g - 75000 END,
       CASE g % 4 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN '-0'::float8 WHEN 2 THEN g / 7.0 ELSE NULL END,
       CASE WHEN g % 2 = 0 THEN jsonb_build_object('k', g % 3) END
FROM generate_series(1, 150000) g;
`

func TestWriterEncodingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-encodings", pgtest.SQLSetup(encodingsSQL))
	path := filepath.Join(t.TempDir(), "enc.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ExportTo(ctx, db, "SELECT * FROM enc ORDER BY id", nil, f, Options{RowGroupRows: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Rows != 150000 {
		t.Fatalf("rows %d", res.Rows)
	}

	// Statistics: null counts as PostgreSQL counts them; NaN is not a float's min or max.
	var nulls [9]int64
	if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE id IS NULL), count(*) FILTER (WHERE rep IS NULL),
		count(*) FILTER (WHERE uniq IS NULL), count(*) FILTER (WHERE late IS NULL), count(*) FILTER (WHERE long IS NULL),
		count(*) FILTER (WHERE flag IS NULL), count(*) FILTER (WHERE n IS NULL), count(*) FILTER (WHERE f IS NULL),
		count(*) FILTER (WHERE j IS NULL) FROM enc`).Scan(&nulls[0], &nulls[1], &nulls[2], &nulls[3], &nulls[4], &nulls[5], &nulls[6], &nulls[7], &nulls[8]); err != nil {
		t.Fatal(err)
	}
	for i, c := range res.Columns {
		if c.Nulls != nulls[i] {
			t.Errorf("column %s: %d nulls, PostgreSQL counts %d", c.Name, c.Nulls, nulls[i])
		}
	}
	if c := res.Columns[6]; c.Min != "-74999" || c.Max != "75000" {
		t.Errorf("n min/max %q %q", c.Min, c.Max)
	}
	if c := res.Columns[7]; c.Min != "-0" || c.Max != "149998/7" && c.Max != "21428.285714285714" {
		t.Errorf("f min/max %q %q", c.Min, c.Max)
	}

	// The layout: a dictionary where values repeat, PLAIN where they do not, several data
	// pages where a chunk's values pass a page's size.
	pf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	st, _ := pf.Stat()
	file, err := parquet.OpenFile(pf, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	md := file.Metadata()
	if len(md.RowGroups) != 2 || md.RowGroups[0].NumRows != 100000 || md.RowGroups[1].NumRows != 50000 {
		t.Fatalf("row groups %d", len(md.RowGroups))
	}
	dict := func(rg, col int) bool {
		return slices.Contains(md.RowGroups[rg].Columns[col].MetaData.Encoding, format.RLEDictionary)
	}
	for rg := range 2 {
		if !dict(rg, 1) || dict(rg, 2) || !dict(rg, 8) {
			t.Errorf("row group %d: dictionary rep %v uniq %v j %v; want true false true", rg, dict(rg, 1), dict(rg, 2), dict(rg, 8))
		}
	}
	if !dict(0, 3) || dict(1, 3) {
		t.Errorf("late: dictionary %v then %v; want true then false", dict(0, 3), dict(1, 3))
	}
	pages := func(rg, col int) int {
		ps := file.RowGroups()[rg].ColumnChunks()[col].Pages()
		defer ps.Close()
		n := 0
		for {
			p, err := ps.ReadPage()
			if errors.Is(err, io.EOF) {
				return n
			}
			if err != nil {
				t.Fatal(err)
			}
			parquet.Release(p)
			n++
		}
	}
	if n := pages(0, 4); n < 3 {
		t.Errorf("long: %d data pages in a 4.6 MB chunk; want several", n)
	}
	if n := pages(0, 1); n != 2 {
		t.Errorf("rep: %d pages in a chunk of 100000 dictionary indexes; want 2", n)
	}
	if stats := md.RowGroups[0].Columns[6].MetaData.Statistics; len(stats.MinValue) != 4 || int32(le32(stats.MinValue)) != -74999 {
		t.Errorf("n chunk min %x", stats.MinValue)
	}
	if stats := md.RowGroups[0].Columns[7].MetaData.Statistics; len(stats.MinValue) != 8 || !math.Signbit(math.Float64frombits(le64(stats.MinValue))) {
		t.Errorf("f chunk min %x; want -0", stats.MinValue)
	}

	// Every value back as PostgreSQL sees it.
	bucket, err := OpenBucket(ctx, "file://"+filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	r, err := Open(ctx, bucket, "enc.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	conn, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE back (LIKE enc)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"back"}, []string{"id", "rep", "uniq", "late", "long", "flag", "n", "f", "j"}, r); err != nil {
		t.Fatal(err)
	}
	var diff int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT (enc.*)::text FROM enc EXCEPT ALL SELECT (back.*)::text FROM back) d`).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	var negZero int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM back WHERE f = 0 AND f::text = '-0'`).Scan(&negZero); err != nil {
		t.Fatal(err)
	}
	if diff != 0 || negZero != 37500 {
		t.Fatalf("%d rows differ after the round trip; %d negative zeros, want 37500", diff, negZero)
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
