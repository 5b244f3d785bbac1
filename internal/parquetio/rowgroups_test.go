package parquetio

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestRowGroupLimits: the export writes column by column, so it ends row groups itself: at
// exactly RowGroupRows rows (splitting a batch of rows there), or once RowGroupBytes of
// raw values are buffered; every row lands once, in order.
func TestRowGroupLimits(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-rowgroups", pgtest.SQLSetup(
		`CREATE TABLE t (id int NOT NULL, note text)`,
		`INSERT INTO t SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE repeat('x', 20) END FROM generate_series(1, 2000) g`))
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"rows", Options{RowGroupRows: 700}, "[700 700 600]"},
		{"rows smaller than a batch", Options{RowGroupRows: 300}, "[300 300 300 300 300 300 200]"},
		// 512-row batches of ~20 raw bytes per row: each batch passes 8 KiB.
		{"bytes", Options{RowGroupBytes: 8 << 10}, "[512 512 512 464]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			res, err := ExportTo(ctx, db, "SELECT * FROM t ORDER BY id", nil, &buf, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != 2000 || res.Columns[1].Nulls != 400 {
				t.Fatalf("rows %d, nulls %d; want 2000 and 400", res.Rows, res.Columns[1].Nulls)
			}
			f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int64
			for _, rg := range f.RowGroups() {
				sizes = append(sizes, rg.NumRows())
			}
			if got := fmt.Sprint(sizes); got != tc.want {
				t.Fatalf("row groups %s; want %s", got, tc.want)
			}
			r := parquet.NewReader(bytes.NewReader(buf.Bytes()))
			rows := make([]parquet.Row, 100)
			next := int32(1)
			for {
				n, err := r.ReadRows(rows)
				for _, row := range rows[:n] {
					if got := row[0].Int32(); got != next {
						t.Fatalf("row %d holds id %d", next, got)
					}
					if wantNull := next%5 == 0; row[1].IsNull() != wantNull {
						t.Fatalf("id %d: note null %v, want %v", next, row[1].IsNull(), wantNull)
					}
					next++
				}
				if err != nil {
					break
				}
			}
			if next != 2001 {
				t.Fatalf("read %d rows back; want 2000", next-1)
			}
		})
	}
}
