package parquetio

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestS3MultipartUpload exports a file larger than the part size to an S3-compatible
// server on 127.0.0.1 through s3blob and checks that it went up in parts and reads back.
func TestS3MultipartUpload(t *testing.T) {
	ctx := context.Background()
	be := s3mem.New()
	if err := be.CreateBucket("lsos"); err != nil {
		t.Fatal(err)
	}
	var parts atomic.Int64
	h := gofakes3.New(be).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") {
			parts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	bucket, err := OpenBucket(ctx, "s3://lsos?region=us-east-1&endpoint="+srv.URL+
		"&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required")
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	db := pgtest.DB(t, "", nil)
	// 512 incompressible bytes a row, about 18 MiB: over the S3 transfer manager's 16 MiB
	// multipart threshold, in 5 MiB parts.
	res, err := Export(ctx, db, `SELECT g AS id, decode((SELECT string_agg(md5(g::text || '/' || i), '') FROM generate_series(1, 32) i), 'hex') AS blob
		FROM generate_series(1, 36000) g`, nil, bucket, "big/object.parquet", Options{UploadPartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes <= 16<<20 {
		t.Fatalf("object is %d bytes; the test needs more than one part", res.Bytes)
	}
	if parts.Load() < 2 {
		t.Fatalf("%d parts uploaded; want a multipart upload", parts.Load())
	}
	if err := Verify(ctx, bucket, "big/object.parquet", res.SHA256, 36000); err != nil {
		t.Fatal(err)
	}
}
