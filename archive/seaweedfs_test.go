package archive

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/s3test"
)

// The store faults a real server can produce run against SeaweedFS (internal/s3test): a
// wrong key, a missing bucket, a frozen (SIGSTOPped) server, a killed one. gofakes3 and
// httptest stubs stay only for what a real server cannot be made to do on demand; each
// says so where it is used.

// seaweedStore opens a fresh bucket on a real S3 server: SeaweedFS started by the test
// kit, or the server LSOS_TEST_S3_URL names.
func seaweedStore(t *testing.T) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), s3test.Bucket(t))
	if err != nil {
		t.Fatalf("open the S3 test bucket: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// openURL opens a store URL for t.
func openURL(t *testing.T, u string) *blob.Bucket {
	t.Helper()
	b, err := OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// countingProxy forwards every request unchanged to the S3 server of bucket URL u and
// counts the uploads (PUT and POST) that pass; it returns u pointed at the proxy. The
// Host header is passed through as the client signed it, so the server checks the
// signatures as if it were called directly.
func countingProxy(t *testing.T, u string) (string, *atomic.Int64) {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	target, err := url.Parse(q.Get("endpoint"))
	if err != nil || target.Host == "" {
		t.Fatalf("no endpoint in %s (%v)", u, err)
	}
	var puts atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			puts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	q.Set("endpoint", srv.URL)
	p.RawQuery = q.Encode()
	return p.String(), &puts
}

// bucketLabel is what errors may print of a store URL: s3://bucket, no query.
func bucketLabel(u string) string {
	p, _ := url.Parse(u)
	return p.Scheme + "://" + p.Host
}

// oneLine fails unless msg is one line that names the store without its URL's query
// and contains each of want. (The driver's own message may show the request it made,
// with the endpoint and the operation: "Put http://127.0.0.1:…/key?x-id=PutObject".)
func oneLine(t *testing.T, msg, store string, want ...string) {
	t.Helper()
	if strings.Contains(msg, "\n") || strings.Count(msg, "archive: store") != 1 || !strings.Contains(msg, "store "+store+" failed") ||
		strings.Contains(msg, store+"?") || strings.Contains(msg, "endpoint=") || strings.Contains(msg, "use_path_style") {
		t.Fatalf("message %q; want one line naming %s without the URL's query", msg, store)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Fatalf("message %q does not say %q", msg, w)
		}
	}
}

// TestPermanentStoreErrorOnRealS3StopsRunOnce: on a real S3 server, a wrong secret, an
// unknown access key or a missing bucket stops the run at the first partition with one
// line that names the cause, the partition and the store (without the URL's query), is
// not retried, and leaves no pending catalog entry and the partition attached.
func TestPermanentStoreErrorOnRealS3StopsRunOnce(t *testing.T) {
	srv, err := s3test.Shared()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, cause string }{
		{"wrong secret", "SignatureDoesNotMatch"},
		{"unknown key", "InvalidAccessKeyId"},
		{"missing bucket", "NoSuchBucket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u string
			switch tc.name {
			case "wrong secret":
				u = s3test.Bucket(t) // first: the kit sets the right key
				t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789abcdef01234567")
			case "unknown key":
				u = s3test.Bucket(t)
				t.Setenv("AWS_ACCESS_KEY_ID", "AKIDNOSUCHKEY")
			default:
				u = srv.URL(s3test.BucketName(t.Name() + "-never-created"))
			}
			u, puts := countingProxy(t, u)
			store := openURL(t, u)
			db := sampleDB(t)
			var sleeps []time.Duration
			rep, err := run(t, db, store, Options{Tables: []string{"ranking_snapshots"}, Store: StoreOptions{URL: u, Sleep: noSleep(&sleeps)}})
			var se *StoreError
			if !errors.As(err, &se) || !se.Permanent || se.Attempts != 1 || se.Op != "upload" {
				t.Fatalf("err %v; want a permanent StoreError at upload after one attempt", err)
			}
			t.Logf("%v", err)
			oneLine(t, err.Error(), bucketLabel(u), se.Partition, "permanent", tc.cause)
			if strings.Contains(err.Error(), "not-the-secret") {
				t.Fatalf("message %q prints the secret", err)
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

// TestStoreOutagesOnRealS3: a SeaweedFS server of the test's own is frozen (SIGSTOP: it
// accepts connections and answers nothing), thawed and finally killed. One server for
// the three cases: starting one takes seconds.
func TestStoreOutagesOnRealS3(t *testing.T) {
	srv := s3test.OwnServer(t)
	u := srv.URL(s3test.OwnBucket)
	store := openURL(t, u)
	ctx := context.Background()

	// A stalled store fails the run within the request deadline (times the attempts),
	// with the partition still attached and intact, no catalog entry and no manifest, and
	// the run stopped.
	t.Run("stalled", func(t *testing.T) {
		db := sampleDB(t)
		part := "public.ranking_snapshots_2024_12"
		_, want := attachedRows(t, db, part)
		if err := srv.Freeze(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Thaw() })
		var sleeps []time.Duration
		start := time.Now()
		rep, err := run(t, db, store, Options{
			Prefix:     "stalled",
			Partitions: []Partition{{Name: part}, {Name: "public.ranking_snapshots_2025_01"}},
			Store:      StoreOptions{URL: u, RequestTimeout: 300 * time.Millisecond, Attempts: 2, Sleep: noSleep(&sleeps)},
		})
		elapsed := time.Since(start)
		var se *StoreError
		if !errors.As(err, &se) || se.Permanent || se.Attempts != 2 || se.Op != "upload" || !errors.Is(err, ErrStore) {
			t.Fatalf("err %v (%+v); want a transient StoreError at upload after 2 attempts", err, se)
		}
		t.Logf("%v", err)
		oneLine(t, err.Error(), bucketLabel(u), part, "transient", "after 2 attempts")
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
		if err := srv.Thaw(); err != nil {
			t.Fatal(err)
		}
		// Nothing was committed: no manifest names the partition. (The server, once
		// resumed, may still carry out an upload the run abandoned, and SeaweedFS does,
		// within a second or so: a data object that no catalog entry or manifest names,
		// under the key the next run of the partition writes again, as the archive ID
		// derives from the partition.)
		if ms, err := ReadManifests(ctx, store, "stalled/"); err != nil || len(ms) != 0 {
			t.Fatalf("%d manifests (%v) after a stalled run", len(ms), err)
		}
		logObjects(t, store, "stalled/")
	})

	// An upload that stalls once is tried again after the backoff (the server resumes
	// meanwhile), and the run completes with an archive that verifies.
	t.Run("stalled once", func(t *testing.T) {
		db := sampleDB(t)
		if err := srv.Freeze(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Thaw() })
		var mu sync.Mutex
		var sleeps []time.Duration
		thaw := func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			sleeps = append(sleeps, d)
			return srv.Thaw()
		}
		part := Partition{Name: "public.crawl_outputs_2025_02"}
		want := count(t, db, `SELECT count(*) FROM crawl_outputs_2025_02`)
		// The deadline leaves the resumed server time to answer on a busy machine.
		rep, err := run(t, db, store, Options{Prefix: "once", Partitions: []Partition{part},
			Store: StoreOptions{URL: u, RequestTimeout: 2 * time.Second, Backoff: 10 * time.Millisecond, Sleep: thaw}})
		if err != nil {
			t.Fatal(err)
		}
		if p, rows := rep.Archived(); p != 1 || rows != want || len(sleeps) != 1 || sleeps[0] != 10*time.Millisecond {
			t.Fatalf("archived %d partitions, %d of %d rows, sleeps %v", p, rows, want, sleeps)
		}
		if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE step = 'export' AND detail LIKE 'store failed (transient, attempt 1 of 3)%'`); n != 1 {
			t.Fatalf("%d retry events; want 1", n)
		}
		es, err := List(ctx, db)
		if err != nil || len(es) != 1 {
			t.Fatal(err, es)
		}
		if err := Verify(ctx, db, store, es[0].ID); err != nil {
			t.Fatal(err)
		}
	})

	// A server that goes away (killed) refuses connections: a transient error, tried
	// Attempts times with backoff, then the run stops with the partition intact; an
	// archive made before cannot be checked (ErrUnreadable), which says nothing of it.
	t.Run("killed", func(t *testing.T) {
		db := sampleDB(t)
		opts := Options{Prefix: "killed", Partitions: []Partition{{Name: "public.ranking_snapshots_2024_11"}}, Store: StoreOptions{URL: u}}
		if rep, err := run(t, db, store, opts); err != nil || len(rep.Partitions) != 1 {
			t.Fatalf("archive before the kill: %v", err)
		}
		es, err := List(ctx, db)
		if err != nil || len(es) != 1 {
			t.Fatal(err, es)
		}
		if err := srv.Kill(); err != nil {
			t.Fatal(err)
		}
		part := "public.ranking_snapshots_2024_12"
		_, want := attachedRows(t, db, part)
		var sleeps []time.Duration
		opts.Partitions = []Partition{{Name: part}, {Name: "public.ranking_snapshots_2025_01"}}
		// Two attempts: each is also retried by the AWS SDK, with jittered sleeps of up to
		// seconds that the test cannot shorten.
		opts.Store.Attempts, opts.Store.Sleep = 2, noSleep(&sleeps)
		rep, err := run(t, db, store, opts)
		var se *StoreError
		if !errors.As(err, &se) || se.Permanent || se.Attempts != 2 || se.Op != "upload" || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("err %v (%+v); want a transient StoreError at upload after 2 attempts, connection refused", err, se)
		}
		t.Logf("%v", err)
		oneLine(t, err.Error(), bucketLabel(u), part, "transient", "after 2 attempts", "refused")
		if len(sleeps) != 1 || sleeps[0] != DefaultStoreBackoff {
			t.Errorf("backoff sleeps %v; want [%s]", sleeps, DefaultStoreBackoff)
		}
		if len(rep.Partitions) != 1 {
			t.Errorf("%d partitions attempted; the run should stop at the first store failure", len(rep.Partitions))
		}
		if att, n := attachedRows(t, db, part); att != 1 || n != want {
			t.Fatalf("partition attached=%d rows=%d; want attached with %d rows", att, n, want)
		}
		if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 1 {
			t.Fatalf("%d catalog entries; want only the archive made before the kill", n)
		}
		err = Verify(ctx, db, store, es[0].ID)
		if !errors.Is(err, ErrUnreadable) || !errors.As(err, &se) || errors.Is(err, ErrCorrupt) || se.ID != es[0].ID {
			t.Errorf("verify on a killed server: %v; want ErrUnreadable naming %s, not ErrCorrupt", err, es[0].ID)
		}
	})
}

// logObjects logs the objects under prefix: what a failed run left in the store.
func logObjects(t *testing.T, store *blob.Bucket, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objs, _, err := store.ListPage(ctx, blob.FirstPageToken, 100, &blob.ListOptions{Prefix: prefix})
	if err != nil {
		t.Fatalf("list %s: %v", prefix, err)
	}
	for _, o := range objs {
		t.Logf("left in the store: %s (%d bytes)", o.Key, o.Size)
	}
}

// TestVerifyTellsUnreadableFromCorrupt: Verify reports a store it cannot read (a wrong
// key, a missing bucket, a refused connection) as ErrUnreadable, and a damaged or
// missing object in a readable store as ErrCorrupt; never one for the other. The
// stores are real: SeaweedFS buckets, and a closed port on 127.0.0.1.
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
	srv, err := s3test.Shared()
	if err != nil {
		t.Fatal(err)
	}
	empty := openURL(t, s3test.Bucket(t))
	nobucket := openURL(t, srv.URL(s3test.BucketName(t.Name()+"-never-created")))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	refused := openURL(t, strings.Replace(srv.URL("archive"), url.QueryEscape(srv.Endpoint()), url.QueryEscape("http://"+l.Addr().String()), 1))
	forbiddenURL := s3test.Bucket(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789abcdef01234567") // read when the bucket is opened
	forbidden := openURL(t, forbiddenURL)
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
