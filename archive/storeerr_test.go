package archive

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
)

func noSleep(sleeps *[]time.Duration) func(context.Context, time.Duration) error {
	var mu sync.Mutex
	return func(_ context.Context, d time.Duration) error {
		mu.Lock()
		*sleeps = append(*sleeps, d)
		mu.Unlock()
		return nil
	}
}

func attachedRows(t *testing.T, db DB, part string) (attached, rows int64) {
	t.Helper()
	return count(t, db, `SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)`, part), count(t, db, `SELECT count(*) FROM `+part)
}

// TestRunSweepsStaleTempFiles: a file:// upload that crashed leaves a staging file; the
// next run deletes it once older than LeftoverAge and leaves a younger one alone.
func TestRunSweepsStaleTempFiles(t *testing.T) {
	db := sampleDB(t)
	dir := t.TempDir()
	store, err := OpenBucket(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sub := filepath.Join(dir, "lsos-archive", "public.ranking_snapshots", "public.ranking_snapshots_2024_11")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(sub, "x.parquet.18f3a2b4c5d6e7f8.tmp")
	young := filepath.Join(sub, "y.parquet.18f3a2b4c5d6e7f9.tmp")
	other := filepath.Join(dir, "elsewhere.parquet.18f3a2b4c5d6e7f8.tmp") // outside the prefix
	for _, p := range []string{old, young, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stale := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{old, other} {
		if err := os.Chtimes(p, stale, stale); err != nil {
			t.Fatal(err)
		}
	}
	var sweptPrefix string
	var sweptBefore time.Time
	sweepUploads := func(_ context.Context, b *blob.Bucket, prefix string, before time.Time) (int, error) {
		sweptPrefix, sweptBefore = prefix, before
		return 0, nil
	}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2024_11"}}, Store: StoreOptions{SweepUploads: sweepUploads}}); err != nil {
		t.Fatal(err)
	}
	if age := time.Since(sweptBefore); sweptPrefix != "lsos-archive/" || age < DefaultLeftoverAge || age > DefaultLeftoverAge+time.Minute {
		t.Errorf("SweepUploads got prefix %q, cutoff %s ago; want lsos-archive/ and %s", sweptPrefix, age, DefaultLeftoverAge)
	}
	for p, want := range map[string]bool{old: false, young: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists=%v; want %v", p, err == nil, want)
		}
	}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2024_12"}}, Store: StoreOptions{LeftoverAge: -1}}); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Fatalf("negative LeftoverAge: %v", err)
	}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2024_12"}}, Store: StoreOptions{RequestTimeout: -time.Second}}); err == nil {
		t.Fatal("a negative RequestTimeout was accepted")
	}
}
