package parquetio

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// s3On opens bucket "lsos" through s3blob on an S3-compatible server at srvURL.
// When internal/s3test lands, the same tests can point it at the real server.
func s3On(t *testing.T, srvURL string) *blob.Bucket {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	b, err := OpenBucket(context.Background(), "s3://lsos?region=us-east-1&endpoint="+srvURL+
		"&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// stallingServer answers nothing until the client gives up or the test ends: a frozen
// (SIGSTOPped) server whose kernel still accepts connections.
func stallingServer(t *testing.T) *httptest.Server {
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: net/http notices a client that went away only then.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-quit:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(quit) })
	return srv
}

// denied answers every request with 403 InvalidAccessKeyId: a bad key.
func denied(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
}

// TestExportToStalledStoreTimesOut: a store that accepts connections and never answers
// fails the export within the request timeout, as a StoreError marked ErrStall.
func TestExportToStalledStoreTimesOut(t *testing.T) {
	srv := stallingServer(t)
	bucket := s3On(t, srv.URL)
	db := pgtest.DB(t, "", nil)
	start := time.Now()
	_, err := Export(context.Background(), db, `SELECT g AS id FROM generate_series(1, 1000) g`, nil, bucket, "a/b.parquet", Options{RequestTimeout: 300 * time.Millisecond})
	var se *StoreError
	if !errors.As(err, &se) || !errors.Is(err, ErrStall) {
		t.Fatalf("export to a stalled store: %v; want a StoreError marked ErrStall", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("the export took %s to give up; the request timeout is 300ms", el)
	}
	start = time.Now()
	err = VerifyTimeout(context.Background(), bucket, "a/b.parquet", "", -1, 300*time.Millisecond)
	if !errors.As(err, &se) || !errors.Is(err, ErrStall) || errors.Is(err, ErrVerify) {
		t.Fatalf("verify on a stalled store: %v; want a StoreError marked ErrStall, not ErrVerify", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("verify took %s to give up", el)
	}
}

// TestVerifyTellsUnreadableFromCorrupt: a store that refuses the key, lacks the bucket
// or refuses connections gives a StoreError (the object was not judged); a missing
// object in a readable bucket and a damaged object fail verification.
func TestVerifyTellsUnreadableFromCorrupt(t *testing.T) {
	ctx := context.Background()
	be := s3mem.New()
	if err := be.CreateBucket("lsos"); err != nil {
		t.Fatal(err)
	}
	good := httptest.NewServer(gofakes3.New(be).Server())
	defer good.Close()
	nobucket := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer nobucket.Close()
	forbidden := httptest.NewServer(http.HandlerFunc(denied))
	defer forbidden.Close()
	refused := httptest.NewServer(http.HandlerFunc(denied))
	refused.Close()

	b := s3On(t, good.URL)
	if err := b.WriteAll(ctx, "bad.parquet", []byte("not parquet"), nil); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		url, key string
		corrupt  bool
	}{
		"403":         {forbidden.URL, "x.parquet", false},
		"no bucket":   {nobucket.URL, "x.parquet", false},
		"refused":     {refused.URL, "x.parquet", false},
		"missing key": {good.URL, "x.parquet", true},
		"not parquet": {good.URL, "bad.parquet", true},
	} {
		t.Run(name, func(t *testing.T) {
			err := VerifyTimeout(ctx, s3On(t, c.url), c.key, "", -1, 20*time.Second)
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
}
