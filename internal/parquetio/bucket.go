package parquetio

import (
	"context"
	"fmt"
	"net/url"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/blob/s3blob"
)

// OpenBucket opens a blob bucket from a URL:
//
//   - file:///var/lib/lsos/archive — a local directory (created when missing, unless the
//     URL sets create_dir itself). Objects are written to a temporary file beside their
//     final name and renamed into place (fileblob's no_tmp_dir, set unless the URL sets
//     it): the rename stays atomic and works when the directory is on another filesystem
//     than $TMPDIR, such as a mounted archive volume, where a rename from $TMPDIR fails
//     with "invalid cross-device link". A crash mid-upload may leave a "*.tmp" file
//     beside the objects; it is never a committed object and may be deleted;
//   - s3://bucket?region=…[&endpoint=https://host&use_path_style=true&request_checksum_calculation=when_required]
//     — AWS S3 or an S3-compatible server, credentials from the usual AWS environment;
//   - mem:// — an in-memory bucket for tests.
//
// The URL is never logged by this package: it may carry a credential-bearing query.
func OpenBucket(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parquetio: store URL does not parse (want file:///dir, s3://bucket?… or mem://): %w", err)
	}
	mux := new(blob.URLMux)
	mux.RegisterBucket(fileblob.Scheme, &fileblob.URLOpener{})
	mux.RegisterBucket(s3blob.Scheme, &s3blob.URLOpener{})
	mux.RegisterBucket(memblob.Scheme, &memblob.URLOpener{})
	switch u.Scheme {
	case fileblob.Scheme:
		q := u.Query()
		if !q.Has("create_dir") {
			q.Set("create_dir", "true")
		}
		if !q.Has("no_tmp_dir") {
			q.Set("no_tmp_dir", "true")
		}
		u.RawQuery = q.Encode()
	case s3blob.Scheme, memblob.Scheme:
	default:
		return nil, fmt.Errorf("parquetio: store URL scheme %q is not supported; use file://, s3:// or mem://", u.Scheme)
	}
	b, err := mux.OpenBucketURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("parquetio: open %s:// store: %w", u.Scheme, err)
	}
	return b, nil
}
