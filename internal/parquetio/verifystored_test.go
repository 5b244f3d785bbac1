package parquetio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestVerifyStored: the cheap verification accepts the object as written and refuses a
// flipped byte, a truncated copy, a wrong row count and a missing object with ErrVerify;
// it needs the hash of what was written.
func TestVerifyStored(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	bucket, err := OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	res, err := Export(ctx, db, "SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g", nil, bucket, "ok.parquet", Options{RowGroupRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyStored(ctx, bucket, "ok.parquet", res.SHA256, res.Rows, time.Minute); err != nil {
		t.Fatalf("the object as written: %v", err)
	}
	b, err := bucket.ReadAll(ctx, "ok.parquet")
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), b...)
	flipped[len(flipped)/2] ^= 0x01 // inside a data page: the footer still parses
	if err := bucket.WriteAll(ctx, "flipped.parquet", flipped, nil); err != nil {
		t.Fatal(err)
	}
	if err := bucket.WriteAll(ctx, "cut.parquet", b[:len(b)-100], nil); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		key  string
		rows int64
	}{
		"flipped byte": {"flipped.parquet", res.Rows},
		"truncated":    {"cut.parquet", res.Rows},
		"wrong rows":   {"ok.parquet", res.Rows + 1},
		"missing":      {"gone.parquet", res.Rows},
	} {
		err := VerifyStored(ctx, bucket, c.key, res.SHA256, c.rows, time.Minute)
		var ve *VerifyError
		if !errors.Is(err, ErrVerify) || !errors.As(err, &ve) {
			t.Errorf("%s: err %v; want a VerifyError", name, err)
		}
	}
	if err := VerifyStored(ctx, bucket, "ok.parquet", "", res.Rows, time.Minute); err == nil {
		t.Error("VerifyStored without the written hash passed; want an error")
	}
}
