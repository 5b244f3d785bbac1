package parquetio

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestCountByMatchesGroupBy: the per-value counts taken from the export stream equal what
// `SELECT col::text, count(*) … GROUP BY 1` says, for every countable kind, NULLs and
// extremes included.
func TestCountByMatchesGroupBy(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-types", pgtest.SQLSetup("SET TIME ZONE 'America/New_York'", typesSQL))
	for _, col := range []string{"id", "i2", "i4", "i8", "u", "tx", "vc", "num", "num2"} {
		t.Run(col, func(t *testing.T) {
			res, err := ExportTo(ctx, db, "SELECT * FROM t", nil, io.Discard, Options{CountBy: col})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query(ctx, `SELECT `+col+`::text, count(*) FROM t GROUP BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			want := map[ValueCount]bool{}
			for _, r := range must(pgx.CollectRows(rows, func(r pgx.CollectableRow) (ValueCount, error) {
				var v ValueCount
				var s *string
				err := r.Scan(&s, &v.Rows)
				if s == nil {
					v.Null = true
				} else {
					v.Value = *s
				}
				return v, err
			}))(t) {
				want[r] = true
			}
			got := map[ValueCount]bool{}
			var total int64
			for _, c := range res.Counts {
				got[c] = true
				total += c.Rows
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("counts differ from GROUP BY (-sql +export):\n%s", diff)
			}
			if total != res.Rows {
				t.Errorf("counts add up to %d rows, the export has %d", total, res.Rows)
			}
		})
	}
}

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestCountByOrdersIntegersNumerically: integer values come back in numeric order, the
// NULL count last.
func TestCountByOrdersIntegersNumerically(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-countby-order", pgtest.SQLSetup(
		`CREATE TABLE c (tenant_id int8)`,
		`INSERT INTO c SELECT g % 12 FROM generate_series(1, 1000) g`,
		`INSERT INTO c VALUES (NULL), (NULL), (-5)`))
	res, err := ExportTo(ctx, db, "SELECT * FROM c", nil, io.Discard, Options{CountBy: "tenant_id"})
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, c := range res.Counts {
		if c.Null {
			vals = append(vals, "NULL")
		} else {
			vals = append(vals, c.Value)
		}
	}
	if got, want := strings.Join(vals, ","), "-5,0,1,2,3,4,5,6,7,8,9,10,11,NULL"; got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

// TestCountByRefusesUnknownAndUncountableColumns: a missing column or one whose text form
// the export cannot rebuild is an error naming it, before any row is read.
func TestCountByRefusesUnknownAndUncountableColumns(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-types", pgtest.SQLSetup("SET TIME ZONE 'America/New_York'", typesSQL))
	for col, want := range map[string]string{
		"nope": `"nope" is not among the exported columns`,
		"ts":   `"ts" is of type timestamp without time zone`,
		"jb":   `"jb" is of type jsonb`,
		"bp":   `"bp" is of type character(5)`,
		"ip":   `"ip" is of type inet`,
	} {
		_, err := ExportTo(ctx, db, "SELECT * FROM t", nil, io.Discard, Options{CountBy: col})
		if !errors.Is(err, ErrNotCountable) || !strings.Contains(err.Error(), want) {
			t.Errorf("CountBy %s: err %v, want one containing %q", col, err, want)
		}
	}
}

// TestCountByRunsThatRecur: the counter keeps the current run of equal values aside;
// a value that comes back after others, or after a NULL, is added to its earlier count,
// and the last run is counted too.
func TestCountByRunsThatRecur(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "parquetio-types", pgtest.SQLSetup("SET TIME ZONE 'America/New_York'", typesSQL))
	res, err := ExportTo(ctx, db, `SELECT x, i FROM unnest(ARRAY[1, 1, 2, 1, NULL, 1, 3, 3, 2, 2]::int8[]) WITH ORDINALITY AS u(x, i) ORDER BY i`,
		nil, io.Discard, Options{CountBy: "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ValueCount{{Value: "1", Rows: 4}, {Value: "2", Rows: 3}, {Value: "3", Rows: 2}, {Null: true, Rows: 1}}
	if d := cmp.Diff(want, res.Counts); d != "" {
		t.Fatalf("counts (-want +got):\n%s", d)
	}
}
