package s3test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // the s3:// URL opener

	"github.com/lsos/lsosgov/internal/redact"
)

// EnvURL names the environment variable with the URL of the user's own S3 bucket.
const EnvURL = "LSOS_TEST_S3_URL"

// One local server per process, started on first use.
var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	sharedMu   sync.Mutex
)

// Shared returns the process-wide local SeaweedFS server, starting it on first use
// (within three minutes), and puts its credentials in the process environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; AWS_SESSION_TOKEN unset) so that
// gocloud's s3blob opens its URLs. It does not look at LSOS_TEST_S3_URL: Bucket does.
func Shared() (*Server, error) {
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		s, err := Start(ctx, Options{})
		if err == nil {
			err = errors.Join(
				os.Setenv("AWS_ACCESS_KEY_ID", s.AccessKey()),
				os.Setenv("AWS_SECRET_ACCESS_KEY", s.SecretKey()),
				os.Unsetenv("AWS_SESSION_TOKEN"),
			)
			if err != nil {
				_ = s.Stop()
				s, err = nil, fmt.Errorf("s3test: set the server's credentials in the environment: %w", err)
			}
		}
		sharedMu.Lock()
		shared, sharedErr = s, err
		sharedMu.Unlock()
	})
	sharedMu.Lock()
	defer sharedMu.Unlock()
	return shared, sharedErr
}

// StopShared stops the process-wide server if one was started.
func StopShared() {
	sharedMu.Lock()
	s := shared
	shared = nil
	sharedMu.Unlock()
	if s != nil {
		_ = s.Stop()
	}
}

// Main runs a package's tests and then stops the shared server and removes its files:
// call it from TestMain. Without it the server still dies with the test binary
// (parent-death signal), and its files are swept by the next start.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// OwnServer starts a local SeaweedFS server for t alone (within three minutes), for the
// tests that freeze, kill or otherwise break their server, which the other tests of the
// binary must not see (Shared is theirs). It creates bucket "archive" on it, puts the
// server's credentials in the environment for t (t.Setenv: t and its parents must not be
// parallel) and stops the server when t ends, thawing it first if frozen. It ignores
// LSOS_TEST_S3_URL: a fault test needs a server process of its own. t fails, saying how
// to provide the binary, when the server cannot start; it never skips.
func OwnServer(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("%v", err)
		}
	})
	if err := s.CreateBucket(ctx, OwnBucket); err != nil {
		t.Fatalf("%v", err)
	}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	// Unset for t: t.Setenv first, so that the old value comes back when t ends.
	t.Setenv("AWS_SESSION_TOKEN", "")
	if err := os.Unsetenv("AWS_SESSION_TOKEN"); err != nil {
		t.Fatalf("%v", err)
	}
	return s
}

// OwnBucket is the bucket OwnServer creates.
const OwnBucket = "archive"

// Bucket returns the gocloud URL of a fresh, empty bucket for t: a key prefix of its
// own in LSOS_TEST_S3_URL's bucket when that is set, else a new bucket on the shared
// local server. What t writes there is deleted when t ends. t fails, saying how to
// provide a server, when there is none.
func Bucket(t testing.TB) string {
	t.Helper()
	if raw := os.Getenv(EnvURL); raw != "" {
		return externalBucket(t, raw)
	}
	s, err := Shared()
	if err != nil {
		t.Fatalf("%v", err)
	}
	name := BucketName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.CreateBucket(ctx, name); err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.DeleteBucket(ctx, name); err != nil {
			t.Errorf("%v", err)
		}
	})
	return s.URL(name)
}

// externalBucket gives t a prefix of its own in the user's bucket.
func externalBucket(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		t.Fatalf("s3test: %s=%s is not an s3://bucket?endpoint=…&region=… URL", EnvURL, redact.URL(raw))
	}
	q := u.Query()
	q.Set("prefix", q.Get("prefix")+"lsostest/"+BucketName(t.Name())+"/")
	u.RawQuery = q.Encode()
	bucketURL := u.String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := deleteAll(ctx, bucketURL); err != nil {
			t.Errorf("s3test: remove the test's objects from %s: %v", redact.URL(bucketURL), redact.Text(err.Error()))
		}
	})
	return bucketURL
}

// deleteAll deletes every object under a bucket URL (its prefix).
func deleteAll(ctx context.Context, bucketURL string) error {
	b, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return err
	}
	defer b.Close()
	it := b.List(nil)
	var errs []error
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return errors.Join(append(errs, err)...)
		}
		if err := b.Delete(ctx, obj.Key); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// BucketName returns a new valid S3 bucket name derived from a test name:
// "lsos-<test name in lower case, other characters as '-', at most 44>-<8 random hex
// digits>", 3 to 63 characters of [a-z0-9-], starting and ending with a letter or digit.
func BucketName(testName string) string {
	var b strings.Builder
	dash := true // no leading dash, no runs
	for _, r := range strings.ToLower(testName) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	slug := b.String()
	if len(slug) > 44 {
		slug = slug[:44]
	}
	slug = strings.Trim(slug, "-")
	suffix, err := randomHex(4)
	if err != nil {
		suffix = fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)
	}
	if slug == "" {
		return "lsos-" + suffix
	}
	return "lsos-" + slug + "-" + suffix
}
