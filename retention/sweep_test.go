package retention

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/parquetio"
)

func TestSweepDeliveryLog(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	p := governance.Default()
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(ctx, db, p, cat, SweepOptions{Actor: "ops", Now: sampleNow}); err == nil {
		t.Fatal("a sweep without a bucket or NoArchive must be refused")
	}
	const cutoff = "2025-11-26T00:00:00Z" // 12 months before the sample's now
	count := func(where string) int64 {
		var n int64
		if err := db.QueryRow(ctx, "SELECT count(*) FROM delivery_log WHERE "+where, cutoff).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	old1, old2, young := count("tenant_id = 1 AND sent_at < $1"), count("tenant_id = 2 AND sent_at < $1"), count("sent_at >= $1")
	oldAll := count("sent_at < $1")
	if old1 == 0 || old2 == 0 || young == 0 {
		t.Fatal("the sample needs old and young delivery rows")
	}
	h, err := AddHold(ctx, db, HoldSpec{TenantID: "2", Table: "delivery_log", Reason: "billing dispute", By: "legal", From: sampleNow.AddDate(0, -1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	bucket := openBucket(t)
	batches := 0
	res, err := Sweep(ctx, db, p, cat, SweepOptions{Actor: "ops", Now: sampleNow, Bucket: bucket, BatchSize: 10,
		AfterBatch: func(string, int, int64) error {
			if batches++; batches == 2 {
				return errors.New("injected crash")
			}
			return nil
		}})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("sweep with a crash = %v", err)
	}
	if got := count("sent_at < $1"); got != oldAll-20 {
		t.Fatalf("after two batches of 10, %d old rows left, want %d", got, oldAll-20)
	}
	// Re-running with the same clock resumes the same operation.
	res, err = Sweep(ctx, db, p, cat, SweepOptions{Actor: "ops", Now: sampleNow, Bucket: bucket, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := count("tenant_id = 2 AND sent_at < $1"); got != old2 {
		t.Errorf("held tenant 2 lost rows: %d of %d left", got, old2)
	}
	if got := count("tenant_id <> 2 AND sent_at < $1"); got != 0 {
		t.Errorf("%d old rows of unheld tenants left", got)
	}
	if got := count("sent_at >= $1"); got != young {
		t.Errorf("young rows %d, want %d", got, young)
	}
	if len(res.Blocked) != 1 || res.Blocked[0].Tenant != "2" || res.Blocked[0].HoldIDs[0] != h.ID {
		t.Errorf("blocked = %+v", res.Blocked)
	}
	swept := oldAll - old2
	if len(res.Tables) != 1 || res.Tables[0].Rows != swept || res.Tables[0].FinishedAt == nil || res.Tables[0].Actor != "ops" {
		t.Errorf("audit record %+v, want %d rows", res.Tables, swept)
	}
	// Every deleted row is in the archive, exactly once, with manifests that match.
	var archived int64
	var ids []int64
	it := bucket.List(&blob.ListOptions{Prefix: res.Tables[0].ArchivedTo})
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		if !strings.HasSuffix(obj.Key, ".parquet") {
			continue
		}
		m, err := ReadManifest(ctx, bucket, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		if err := parquetio.Verify(ctx, bucket, obj.Key, m.SHA256, m.Rows); err != nil {
			t.Error(err)
		}
		ids = append(ids, archivedIDs(t, bucket, obj.Key)...)
		archived += m.Rows
	}
	if archived != swept || int64(len(ids)) != swept {
		t.Errorf("archived %d rows (%d ids), swept %d", archived, len(ids), swept)
	}
	// The archived rows are exactly the deleted ones: none of them is still in the table,
	// and no id repeats.
	var left int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM delivery_log WHERE id = ANY($1)`, ids).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d archived rows still in delivery_log (%v)", left, err)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(ids) {
		t.Error("a row was archived twice")
	}
}

// archivedIDs reads the id column of a Parquet object written by a sweep.
func archivedIDs(t *testing.T, b *blob.Bucket, key string) []int64 {
	t.Helper()
	return int64Column(t, b, key, "id")
}

// int64Column reads a bigint column of a Parquet object.
func int64Column(t *testing.T, b *blob.Bucket, key, col string) []int64 {
	t.Helper()
	r, err := parquetio.Open(context.Background(), b, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	idx := slices.IndexFunc(r.Columns(), func(c parquetio.Column) bool { return c.Name == col })
	if idx < 0 {
		t.Fatalf("%s has no %s column: %+v", key, col, r.Columns())
	}
	var out []int64
	for r.Next() {
		v, err := r.Values()
		if err != nil {
			t.Fatal(err)
		}
		id, ok := v[idx].(int64)
		if !ok {
			t.Fatalf("%s is %T", col, v[idx])
		}
		out = append(out, id)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
