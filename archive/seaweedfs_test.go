package archive

import (
	"context"
	"testing"

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
