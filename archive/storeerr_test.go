package archive

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
)

// s3URL is the URL of bucket "archive" on an S3-compatible server at endpoint. Tests
// below use in-process servers on 127.0.0.1; they can switch to internal/s3test's real
// server by changing only the handler they wrap.
func s3URL(endpoint string) string {
	return "s3://archive?region=us-east-1&endpoint=" + endpoint + "&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required"
}

// s3Handler serves h on 127.0.0.1 and opens bucket "archive" on it through s3blob.
func s3Handler(t *testing.T, h http.Handler) (*blob.Bucket, string) {
	t.Helper()
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-quit:
			http.Error(w, "test over", http.StatusServiceUnavailable)
		default:
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(quit) })
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	u := s3URL(srv.URL)
	b, err := OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, u
}

// stall answers nothing until the client gives up or the test ends: a frozen
// (SIGSTOPped) server whose kernel still accepts connections.
func stall(done <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // net/http notices a gone client only then
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

func testDone(t *testing.T) <-chan struct{} {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return done
}

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

// TestStalledStoreFailsRunWithinDeadline: a store that accepts connections and never
// answers fails the run within the request deadline (times the attempts), with the
// partition still attached and intact, no catalog entry left and the run stopped.
func TestStalledStoreFailsRunWithinDeadline(t *testing.T) {
	db := sampleDB(t)
	store, u := s3Handler(t, stall(testDone(t)))
	part := "public.ranking_snapshots_2024_12"
	_, want := attachedRows(t, db, part)
	var sleeps []time.Duration
	start := time.Now()
	rep, err := run(t, db, store, Options{
		Partitions: []Partition{{Name: part}, {Name: "public.ranking_snapshots_2025_01"}},
		Store:      StoreOptions{URL: u, RequestTimeout: 300 * time.Millisecond, Attempts: 2, Sleep: noSleep(&sleeps)},
	})
	elapsed := time.Since(start)
	var se *StoreError
	if !errors.As(err, &se) || se.Permanent || se.Attempts != 2 || se.Op != "upload" || !errors.Is(err, ErrStore) {
		t.Fatalf("err %v (%+v); want a transient StoreError at upload after 2 attempts", err, se)
	}
	if elapsed > 20*time.Second {
		t.Fatalf("the run took %s against a stalled store; the deadline is 300ms a request", elapsed)
	}
	if len(sleeps) != 1 || sleeps[0] != DefaultStoreBackoff {
		t.Errorf("backoff sleeps %v; want [%s]", sleeps, DefaultStoreBackoff)
	}
	if len(rep.Partitions) != 1 {
		t.Errorf("%d partitions attempted; the run should stop at the first store failure", len(rep.Partitions))
	}
	if att, n := attachedRows(t, db, part); att != 1 || n != want {
		t.Fatalf("partition attached=%d rows=%d; want attached with %d rows", att, n, want)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 0 {
		t.Fatalf("%d catalog entries left by a failed upload", n)
	}
}

// TestPermanentStoreErrorStopsRunOnce: a bad key or a missing bucket stops the run at
// the first partition with one line that names it and the store (without the URL's
// query), is not retried, and leaves no pending catalog entry.
func TestPermanentStoreErrorStopsRunOnce(t *testing.T) {
	for name, h := range map[string]func() http.Handler{
		"bad key": func() http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
			})
		},
		"missing bucket": func() http.Handler { return gofakes3.New(s3mem.New()).Server() },
	} {
		t.Run(name, func(t *testing.T) {
			db := sampleDB(t)
			var puts atomic.Int64
			inner := h()
			store, u := s3Handler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut || r.Method == http.MethodPost {
					puts.Add(1)
				}
				inner.ServeHTTP(w, r)
			}))
			var sleeps []time.Duration
			rep, err := run(t, db, store, Options{Tables: []string{"ranking_snapshots"}, Store: StoreOptions{URL: u, Sleep: noSleep(&sleeps)}})
			var se *StoreError
			if !errors.As(err, &se) || !se.Permanent || se.Attempts != 1 {
				t.Fatalf("err %v; want a permanent StoreError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || strings.Count(msg, "archive: store") != 1 || !strings.Contains(msg, "s3://archive") ||
				strings.Contains(msg, "endpoint=") || strings.Contains(msg, "?") || !strings.Contains(msg, se.Partition) || !strings.Contains(msg, "permanent") {
				t.Fatalf("message %q; want one line naming the partition and the store without its query", msg)
			}
			if len(sleeps) != 0 || len(rep.Partitions) != 1 || puts.Load() > 3 {
				t.Fatalf("retried: %d sleeps, %d partitions attempted, %d uploads", len(sleeps), len(rep.Partitions), puts.Load())
			}
			if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 0 {
				t.Fatalf("%d catalog entries (pending) left behind", n)
			}
			if att, n := attachedRows(t, db, se.Partition); att != 1 || n == 0 {
				t.Fatalf("%s attached=%d rows=%d", se.Partition, att, n)
			}
		})
	}
}

// TestTransientStoreErrorIsRetried: an upload that stalls once is tried again after the
// backoff, and the run completes.
func TestTransientStoreErrorIsRetried(t *testing.T) {
	db := sampleDB(t)
	be := s3mem.New()
	if err := be.CreateBucket("archive"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(be).Server()
	hang := stall(testDone(t))
	var stalled atomic.Int64
	store, u := s3Handler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, ".parquet") && stalled.Add(1) == 1 {
			hang(w, r)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	var sleeps []time.Duration
	part := Partition{Name: "public.crawl_outputs_2025_02"}
	rep, err := run(t, db, store, Options{Partitions: []Partition{part}, Store: StoreOptions{URL: u, RequestTimeout: 500 * time.Millisecond, Backoff: 10 * time.Millisecond, Sleep: noSleep(&sleeps)}})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := rep.Archived(); p != 1 || len(sleeps) != 1 || sleeps[0] != 10*time.Millisecond {
		t.Fatalf("archived %d, sleeps %v", p, sleeps)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE step = 'export' AND detail LIKE 'store failed (transient, attempt 1 of 3)%'`); n != 1 {
		t.Fatalf("%d retry events; want 1", n)
	}
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

// TestVerifyTellsUnreadableFromCorrupt: Verify reports a store it cannot read (403, a
// missing bucket, a refused connection) as ErrUnreadable, and a damaged or missing
// object in a readable store as ErrCorrupt; never one for the other.
func TestVerifyTellsUnreadableFromCorrupt(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2024_12"}}}); err != nil {
		t.Fatal(err)
	}
	es, err := List(ctx, db)
	if err != nil || len(es) != 1 {
		t.Fatal(err, es)
	}
	id := es[0].ID
	if err := Verify(ctx, db, store, id); err != nil {
		t.Fatal(err)
	}
	forbidden, _ := s3Handler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
	}))
	nobucket, _ := s3Handler(t, gofakes3.New(s3mem.New()).Server())
	be := s3mem.New()
	if err := be.CreateBucket("archive"); err != nil {
		t.Fatal(err)
	}
	empty, _ := s3Handler(t, gofakes3.New(be).Server())
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	refused, err := OpenBucket(ctx, s3URL(gone.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	for name, b := range map[string]*blob.Bucket{"403": forbidden, "missing bucket": nobucket, "refused": refused} {
		err := Verify(ctx, db, b, id)
		var se *StoreError
		if !errors.Is(err, ErrUnreadable) || !errors.As(err, &se) || errors.Is(err, ErrCorrupt) || se.ID != id {
			t.Errorf("%s: %v; want ErrUnreadable naming %s, not ErrCorrupt", name, err, id)
		}
	}
	if err := Verify(ctx, db, empty, id); !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnreadable) {
		t.Errorf("missing object: %v; want ErrCorrupt", err)
	}
	b, err := store.ReadAll(ctx, es[0].Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.WriteAll(ctx, es[0].Object, b[:len(b)/2], nil); err != nil {
		t.Fatal(err)
	}
	var ve *VerifyError
	if err := Verify(ctx, db, store, id); !errors.Is(err, ErrCorrupt) || !errors.As(err, &ve) || errors.Is(err, ErrUnreadable) {
		t.Errorf("truncated object: %v; want a VerifyError", err)
	}
}
