package archive

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/s3test"
)

// seaweedStore opens a fresh bucket on a real S3 server: SeaweedFS started by the test
// kit, or the server LSOS_TEST_S3_URL names. gofakes3 (s3Store) stays for the faults a
// real server cannot be made to produce.
func seaweedStore(t *testing.T) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), s3test.Bucket(t))
	if err != nil {
		t.Fatalf("open the S3 test bucket: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestMissingBucketOnRealS3StopsRunOnce: on a real S3 server, a bucket that does not
// exist is a permanent store error: the run stops at the first partition with one line,
// retries nothing, leaves no catalog row and the partition attached.
func TestMissingBucketOnRealS3StopsRunOnce(t *testing.T) {
	srv, err := s3test.Shared()
	if err != nil {
		t.Fatal(err)
	}
	u := srv.URL(s3test.BucketName(t.Name() + "-never-created"))
	store, err := blob.OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	db := sampleDB(t)
	var sleeps []time.Duration
	rep, err := run(t, db, store, Options{Tables: []string{"ranking_snapshots"}, Store: StoreOptions{URL: u, Sleep: noSleep(&sleeps)}})
	var se *StoreError
	if !errors.As(err, &se) || !se.Permanent || se.Attempts != 1 {
		t.Fatalf("err %v; want a permanent StoreError after one attempt", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "endpoint=") {
		t.Fatalf("message %q; want one line without the store URL's query", msg)
	}
	if len(sleeps) != 0 || len(rep.Partitions) != 1 {
		t.Fatalf("retried: %d sleeps, %d partitions attempted", len(sleeps), len(rep.Partitions))
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 0 {
		t.Fatalf("%d catalog entries left behind", n)
	}
	if att, n := attachedRows(t, db, se.Partition); att != 1 || n == 0 {
		t.Fatalf("%s attached=%d rows=%d", se.Partition, att, n)
	}
}
