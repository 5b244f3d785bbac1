package parquetio

import (
	"context"
	"testing"
	"time"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// Rewrite says values are compared in PostgreSQL's text form; a timestamptz column's
// text form (session time zone UTC) is "2024-01-01 00:00:00+00".
func TestRewriteMatchesTimestamptzInPostgresTextForm(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "review2-tstz", pgtest.SQLSetup("SET TIME ZONE 'UTC'",
		`CREATE TABLE tz (id int8 PRIMARY KEY, tts timestamptz);
		 INSERT INTO tz SELECT g, CASE WHEN g % 3 = 0 THEN '2024-01-01 00:00:00+00'::timestamptz ELSE '2024-01-02 00:00:00+00' END FROM generate_series(1, 30) g;`))
	bucket, err := OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	if _, err := Export(ctx, db, "SELECT * FROM tz ORDER BY id", nil, bucket, "src.parquet", Options{}); err != nil {
		t.Fatal(err)
	}
	var pgText string
	if err := db.QueryRow(ctx, "SELECT set_config('TimeZone', 'UTC', false) || ''").Scan(new(string)); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, "SELECT '2024-01-01 00:00:00+00'::timestamptz::text").Scan(&pgText); err != nil {
		t.Fatal(err)
	}
	r, err := Rewrite(ctx, bucket, "src.parquet", "out.parquet", "tts", []string{pgText}, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Removed != 10 {
		t.Errorf("value %q (PostgreSQL's text form in UTC): removed %d rows, want 10 (FormatText renders %q)", pgText, r.Removed, "2024-01-01 00:00:00Z")
	}
}

// PostgreSQL writes a timestamptz offset as hours, adding minutes only when not zero.
func TestPgOffsetMatchesPostgres(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		zone *time.Location
		want string
	}{
		{time.UTC, "+00"},
		{time.FixedZone("", -7*3600), "-07"},
		{time.FixedZone("", 5*3600+30*60), "+05:30"},
		{time.FixedZone("", -(9*3600 + 30*60)), "-09:30"},
	} {
		if got := pgOffset(at.In(c.zone)); got != c.want {
			t.Errorf("offset %v: %q, want %q", c.zone, got, c.want)
		}
	}
}
