package s3sweep

import (
	"bytes"
	"context"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob"
)

// TestAbortStale plants unfinished multipart uploads on an S3-compatible server on
// 127.0.0.1: the old one under the prefix is aborted, a young one and one outside the
// prefix stay. It stays on gofakes3, whose clock can be set back: a real server dates
// an upload when it starts, so it cannot hold one two days old without a two-day wait.
func TestAbortStale(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	be := s3mem.New()
	if err := be.CreateBucket("archive"); err != nil {
		t.Fatal(err)
	}
	clock := gofakes3.FixedTimeSource(now.Add(-48 * time.Hour))
	srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithTimeSource(clock), gofakes3.WithTimeSkewLimit(0)).Server())
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	bucket, err := blob.OpenBucket(ctx, "s3://archive?region=us-east-1&endpoint="+srv.URL+"&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required")
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	var client *s3.Client
	if !bucket.As(&client) {
		t.Fatal("no *s3.Client behind the bucket")
	}
	start := func(key string) {
		t.Helper()
		out, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("archive"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("archive"), Key: aws.String(key), UploadId: out.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("a part of an interrupted export"))})
		if err != nil {
			t.Fatal(err)
		}
	}
	start("lsos-archive/public.t/public.t_2024_01/old.parquet")
	start("elsewhere/old.parquet")
	clock.Advance(48 * time.Hour)
	start("lsos-archive/public.t/public.t_2024_02/young.parquet")

	n, err := AbortStale(ctx, bucket, "lsos-archive/", now.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("AbortStale: %d, %v; want 1 aborted", n, err)
	}
	out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("archive")})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, u := range out.Uploads {
		left = append(left, aws.ToString(u.Key))
	}
	sort.Strings(left)
	if len(left) != 2 || left[0] != "elsewhere/old.parquet" || left[1] != "lsos-archive/public.t/public.t_2024_02/young.parquet" {
		t.Fatalf("uploads left: %v", left)
	}

	fb, err := blob.OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	if n, err := AbortStale(ctx, fb, "lsos-archive/", now); n != 0 || err != nil {
		t.Fatalf("file:// store: %d, %v", n, err)
	}
}
