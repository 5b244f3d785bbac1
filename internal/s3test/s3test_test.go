package s3test_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"

	"github.com/lsos/lsosgov/internal/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, ctx context.Context, u string) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func listKeys(t *testing.T, ctx context.Context, b *blob.Bucket, opts *blob.ListOptions) []string {
	t.Helper()
	var keys []string
	it := b.List(opts)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		keys = append(keys, obj.Key)
	}
	sort.Strings(keys)
	return keys
}

func TestBucketWriteReadListDelete(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	u := s3test.Bucket(t)
	for _, p := range []string{"use_path_style=true", "request_checksum_calculation=when_required", "response_checksum_validation=when_required"} {
		if !strings.Contains(u, p) {
			t.Errorf("bucket URL %s lacks %s", u, p)
		}
	}
	b := open(t, ctx, u)
	if ok, err := b.IsAccessible(ctx); err != nil || !ok {
		t.Fatalf("IsAccessible = %v, %v; want true", ok, err)
	}
	if keys := listKeys(t, ctx, b, nil); len(keys) != 0 {
		t.Fatalf("fresh bucket holds %v", keys)
	}
	files := map[string]string{
		"archive/public.orders/2026-10.parquet": "october",
		"archive/public.orders/2026-11.parquet": "november",
		"archive/manifest.json":                 `{"v":1}`,
	}
	for k, v := range files {
		if err := b.WriteAll(ctx, k, []byte(v), &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
			t.Fatalf("write %s: %v", k, err)
		}
	}
	for k, v := range files {
		got, err := b.ReadAll(ctx, k)
		if err != nil || string(got) != v {
			t.Fatalf("read %s = %q, %v; want %q", k, got, err, v)
		}
		attrs, err := b.Attributes(ctx, k)
		if err != nil || attrs.Size != int64(len(v)) {
			t.Fatalf("attributes %s: size %v, %v; want %d", k, attrs, err, len(v))
		}
	}
	if got, want := listKeys(t, ctx, b, &blob.ListOptions{Prefix: "archive/public.orders/"}),
		[]string{"archive/public.orders/2026-10.parquet", "archive/public.orders/2026-11.parquet"}; !equal(got, want) {
		t.Errorf("list prefix = %v; want %v", got, want)
	}
	if got, want := listKeys(t, ctx, b, &blob.ListOptions{Prefix: "archive/", Delimiter: "/"}),
		[]string{"archive/manifest.json", "archive/public.orders/"}; !equal(got, want) {
		t.Errorf("list with delimiter = %v; want %v", got, want)
	}
	// A range read, as a Parquet reader does.
	r, err := b.NewRangeReader(ctx, "archive/public.orders/2026-11.parquet", 2, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	part, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(part) != "vem" {
		t.Errorf("range read = %q, %v; want %q", part, err, "vem")
	}
	if err := b.Delete(ctx, "archive/public.orders/2026-10.parquet"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if ok, err := b.Exists(ctx, "archive/public.orders/2026-10.parquet"); err != nil || ok {
		t.Errorf("exists after delete = %v, %v", ok, err)
	}
	if _, err := b.ReadAll(ctx, "archive/public.orders/2026-10.parquet"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("read after delete: %v (code %v); want NotFound", err, gcerrors.Code(err))
	}
	if got := listKeys(t, ctx, b, nil); len(got) != 2 {
		t.Errorf("after delete the bucket holds %v", got)
	}
}

func TestBucketsAreFreshPerTest(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	a, b := s3test.Bucket(t), s3test.Bucket(t)
	if a == b {
		t.Fatalf("two calls gave the same bucket %s", a)
	}
	ba, bb := open(t, ctx, a), open(t, ctx, b)
	if err := ba.WriteAll(ctx, "k", []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := bb.Exists(ctx, "k"); err != nil || ok {
		t.Errorf("an object written to one test bucket shows in another: %v, %v", ok, err)
	}
}

// TestMultipartWrite streams 21 MiB through a blob.Writer with 5 MiB parts: the S3
// transfer manager of gocloud v0.47 switches to a multipart upload above 16 MiB (its
// MultipartUploadThreshold; WriterOptions.BufferSize sets only the part size).
func TestMultipartWrite(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	b := open(t, ctx, s3test.Bucket(t))
	const size = 21<<20 + 12345
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	w, err := b.NewWriter(ctx, "big.parquet", &blob.WriterOptions{
		ContentType: "application/vnd.apache.parquet",
		BufferSize:  5 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	chunk := make([]byte, 256<<10)
	for n := 0; n < size; {
		c := chunk[:min(len(chunk), size-n)]
		_, _ = rng.Read(c)
		h.Write(c)
		if _, err := w.Write(c); err != nil {
			t.Fatalf("write at %d: %v", n, err)
		}
		n += len(c)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close writer (completes the multipart upload): %v", err)
	}
	attrs, err := b.Attributes(ctx, "big.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Size != size {
		t.Errorf("size = %d; want %d", attrs.Size, size)
	}
	// A multipart upload's ETag ends in -<parts>: 4 parts of 5 MiB and a last one.
	if !strings.HasSuffix(strings.Trim(attrs.ETag, `"`), "-5") {
		t.Errorf("ETag %s: want the ETag of a 5-part multipart upload (…-5)", attrs.ETag)
	}
	r, err := b.NewReader(ctx, "big.parquet", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rh := sha256.New()
	if n, err := io.Copy(rh, r); err != nil || n != size {
		t.Fatalf("read back %d bytes, %v; want %d", n, err, size)
	}
	if !bytes.Equal(rh.Sum(nil), h.Sum(nil)) {
		t.Error("the object read back differs from what was written")
	}
}

// TestWrongSecretIsRefused cannot run in parallel: it changes the process environment.
func TestWrongSecretIsRefused(t *testing.T) {
	ctx := ctxFor(t)
	u := s3test.Bucket(t) // first: the kit sets the right credentials
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789abcdef01234567")
	b := open(t, ctx, u)
	err := b.WriteAll(ctx, "k", []byte("x"), nil)
	if err == nil {
		t.Fatal("write with a wrong secret succeeded")
	}
	// gocloud maps SignatureDoesNotMatch to Unknown: look at the S3 error itself.
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("write with a wrong secret: %v; want SignatureDoesNotMatch", err)
	}
	if _, err := b.ReadAll(ctx, "k"); err == nil {
		t.Error("read with a wrong secret succeeded")
	}
}

func TestMissingBucketIsAnError(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	u, err := url.Parse(s3test.Bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Host = s3test.BucketName("never-created")
	q := u.Query()
	q.Del("prefix")
	u.RawQuery = q.Encode()
	b := open(t, ctx, u.String())
	if ok, err := b.IsAccessible(ctx); ok {
		t.Errorf("a missing bucket is accessible (%v)", err)
	}
	if err := b.WriteAll(ctx, "k", []byte("x"), nil); err == nil {
		t.Error("write to a missing bucket succeeded")
	}
	if _, err := b.ReadAll(ctx, "k"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("read from a missing bucket: %v (code %v); want NotFound", err, gcerrors.Code(err))
	}
}

// TestExternalURL points LSOS_TEST_S3_URL at a bucket of the local server: each test
// gets a prefix of its own there, emptied when it ends.
func TestExternalURL(t *testing.T) {
	if os.Getenv(s3test.EnvURL) != "" {
		t.Skip("LSOS_TEST_S3_URL is set: the other tests already run against it")
	}
	ctx := ctxFor(t)
	base := s3test.Bucket(t)
	root := open(t, ctx, base)
	if err := root.WriteAll(ctx, "keep/me", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	t.Setenv(s3test.EnvURL, base+"&prefix=ci/")
	var got string
	t.Run("inner", func(t *testing.T) {
		got = s3test.Bucket(t)
		u, _ := url.Parse(got)
		if p := u.Query().Get("prefix"); !strings.HasPrefix(p, "ci/lsostest/lsos-testexternalurl-inner-") || !strings.HasSuffix(p, "/") {
			t.Errorf("prefix = %q; want ci/lsostest/lsos-testexternalurl-inner-<hex>/", p)
		}
		b := open(t, ctx, got)
		for _, k := range []string{"a", "b/c"} {
			if err := b.WriteAll(ctx, k, []byte("x"), nil); err != nil {
				t.Fatal(err)
			}
		}
	})
	if keys := listKeys(t, ctx, root, nil); !equal(keys, []string{"keep/me"}) {
		t.Errorf("after the inner test the bucket holds %v; want only keep/me", keys)
	}
}

func TestExternalURLMustBeS3(t *testing.T) {
	t.Setenv(s3test.EnvURL, "file:///tmp/x?secret_access_key=hunter2")
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		s3test.Bucket(ft)
	}()
	if !strings.Contains(ft.msg, "not an s3://bucket") || strings.Contains(ft.msg, "hunter2") {
		t.Errorf("message = %q; want it to name the URL form and hide the secret", ft.msg)
	}
}

// fakeT records Fatalf instead of failing the real test.
type fakeT struct {
	testing.TB
	msg string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(fmt.Sprintf(format, args...))
	panic("fatal")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
