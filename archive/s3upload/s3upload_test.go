package s3upload

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/lsos/lsosgov/internal/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// TestLeanGoesMultipartAtOnePart: on a real S3 server (SeaweedFS) a 7 MiB object is one
// PUT by default (the transfer manager buffers 16 MiB before it decides) and a
// two-part multipart upload with the hook (its ETag is "<md5 of the part md5s>-2"); the
// object reads back whole either way.
func TestLeanGoesMultipartAtOnePart(t *testing.T) {
	ctx := context.Background()
	bucket, err := blob.OpenBucket(ctx, s3test.Bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	data := make([]byte, 7<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key       string
		hook      func(func(any) bool) error
		multipart bool
	}{
		{"default.bin", nil, false},
		{"lean.bin", Lean(bucket, 0), true},
	} {
		w, err := bucket.NewWriter(ctx, c.key, &blob.WriterOptions{BeforeWrite: c.hook})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		attrs, err := bucket.Attributes(ctx, c.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.HasSuffix(strings.Trim(attrs.ETag, `"`), "-2"); got != c.multipart {
			t.Errorf("%s: ETag %s; want a two-part multipart upload: %v", c.key, attrs.ETag, c.multipart)
		}
		back, err := bucket.ReadAll(ctx, c.key)
		if err != nil || !bytes.Equal(back, data) {
			t.Errorf("%s: read back %d bytes (err %v), want the %d written", c.key, len(back), err, len(data))
		}
	}
}

// TestLeanIgnoresOtherDrivers: for a file:// bucket the hook changes nothing.
func TestLeanIgnoresOtherDrivers(t *testing.T) {
	ctx := context.Background()
	bucket, err := blob.OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	if err := bucket.WriteAll(ctx, "a", []byte("x"), &blob.WriterOptions{BeforeWrite: Lean(bucket, 0)}); err != nil {
		t.Fatal(err)
	}
	if b, err := bucket.ReadAll(ctx, "a"); err != nil || string(b) != "x" {
		t.Fatalf("read %q, %v", b, err)
	}
}
