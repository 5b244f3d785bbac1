package parquetio

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/internal/s3test"
)

// openOn opens a store URL for t.
func openOn(t *testing.T, u string) *blob.Bucket {
	t.Helper()
	b, err := OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestStoreFaultsOnRealS3 runs against a SeaweedFS server of the test's own
// (internal/s3test), which it freezes (SIGSTOP: it accepts connections and answers
// nothing) and finally kills: one server for every case, as starting one takes seconds.
func TestStoreFaultsOnRealS3(t *testing.T) {
	ctx := context.Background()
	srv := s3test.OwnServer(t)
	bucket := openOn(t, srv.URL(s3test.OwnBucket))
	db := pgtest.DB(t, "", nil)

	// A store that accepts connections and never answers fails the export within the
	// request timeout, as a StoreError marked ErrStall; so does a verification.
	t.Run("stalled", func(t *testing.T) {
		if err := srv.Freeze(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Thaw() })
		start := time.Now()
		_, err := Export(ctx, db, `SELECT g AS id FROM generate_series(1, 1000) g`, nil, bucket, "a/b.parquet", Options{RequestTimeout: 300 * time.Millisecond})
		var se *StoreError
		if !errors.As(err, &se) || !errors.Is(err, ErrStall) {
			t.Fatalf("export to a stalled store: %v; want a StoreError marked ErrStall", err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("the export took %s to give up; the request timeout is 300ms", el)
		}
		start = time.Now()
		err = VerifyTimeout(ctx, bucket, "a/b.parquet", "", -1, 300*time.Millisecond)
		if !errors.As(err, &se) || !errors.Is(err, ErrStall) || errors.Is(err, ErrVerify) {
			t.Fatalf("verify on a stalled store: %v; want a StoreError marked ErrStall, not ErrVerify", err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("verify took %s to give up", el)
		}
		if err := srv.Thaw(); err != nil {
			t.Fatal(err)
		}
	})

	// A store that refuses the key, lacks the bucket or refuses connections gives a
	// StoreError (the object was not judged); a missing object in a readable bucket and
	// a damaged object fail verification.
	t.Run("verify", func(t *testing.T) {
		if err := bucket.WriteAll(ctx, "bad.parquet", []byte("not parquet"), nil); err != nil {
			t.Fatal(err)
		}
		nobucket := openOn(t, srv.URL(s3test.BucketName("never-created")))
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		refused := openOn(t, strings.Replace(srv.URL(s3test.OwnBucket), url.QueryEscape(srv.Endpoint()), url.QueryEscape("http://"+l.Addr().String()), 1))
		t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789abcdef01234567") // read when the bucket is opened
		forbidden := openOn(t, srv.URL(s3test.OwnBucket))
		for _, c := range []struct {
			name    string
			b       *blob.Bucket
			key     string
			corrupt bool
		}{
			{"403", forbidden, "x.parquet", false},
			{"no bucket", nobucket, "x.parquet", false},
			{"refused", refused, "x.parquet", false},
			{"missing key", bucket, "x.parquet", true},
			{"not parquet", bucket, "bad.parquet", true},
		} {
			t.Run(c.name, func(t *testing.T) {
				err := VerifyTimeout(ctx, c.b, c.key, "", -1, 20*time.Second)
				var se *StoreError
				if c.corrupt {
					if !errors.Is(err, ErrVerify) || errors.As(err, &se) {
						t.Fatalf("%v; want ErrVerify", err)
					}
					return
				}
				if !errors.As(err, &se) || errors.Is(err, ErrVerify) {
					t.Fatalf("%v; want a StoreError, not ErrVerify", err)
				}
			})
		}
	})

	// A server that went away (killed) refuses connections: a StoreError, not ErrVerify
	// and not a stall.
	t.Run("killed", func(t *testing.T) {
		if err := bucket.WriteAll(ctx, "kept.parquet", []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
		if err := srv.Kill(); err != nil {
			t.Fatal(err)
		}
		err := VerifyTimeout(ctx, bucket, "kept.parquet", "", -1, 20*time.Second)
		var se *StoreError
		if !errors.As(err, &se) || errors.Is(err, ErrVerify) || errors.Is(err, ErrStall) || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("verify on a killed server: %v; want a StoreError, connection refused", err)
		}
	})
}
