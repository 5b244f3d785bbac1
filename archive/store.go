package archive

import (
	"context"
	"fmt"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/parquetio"
)

// OpenBucket opens the archive store from a URL, with the gocloud.dev/blob drivers the
// program registered (this package registers none; see the package documentation,
// "Stores"):
//
//   - file:///var/lib/lsos/archive — a local directory, created when missing; objects
//     are staged beside their final name and renamed into place, so the directory may be
//     on another filesystem than $TMPDIR (needs _ "gocloud.dev/blob/fileblob");
//   - s3://bucket?region=…[&endpoint=https://host&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required]
//     — AWS S3 or an S3-compatible server, credentials from the usual AWS environment
//     (needs _ "gocloud.dev/blob/s3blob");
//   - mem:// — an in-memory bucket for tests (needs _ "gocloud.dev/blob/memblob").
//
// Any *blob.Bucket works with this package; OpenBucket only adds the file:// defaults.
// The URL is never logged: it may carry a credential-bearing query. Close the bucket
// when done.
func OpenBucket(ctx context.Context, url string) (*blob.Bucket, error) {
	b, err := parquetio.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return b, nil
}
