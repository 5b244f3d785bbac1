package parquetio

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"gocloud.dev/blob"
)

// OpenBucket opens a blob bucket from a URL with the drivers the application registered
// in gocloud's default URL mux: this package imports none, so that a program that only
// writes to a local directory does not link the AWS SDK. Register a driver with a blank
// import in the main package (or a test):
//
//	import (
//		_ "gocloud.dev/blob/fileblob" // file://
//		_ "gocloud.dev/blob/s3blob"   // s3://
//		_ "gocloud.dev/blob/memblob"  // mem://, for tests
//	)
//
// URLs:
//
//   - file:///var/lib/lsos/archive — a local directory (created when missing, unless the
//     URL sets create_dir itself). Objects are written to a temporary file beside their
//     final name and renamed into place (fileblob's no_tmp_dir, set unless the URL sets
//     it): the rename stays atomic and works when the directory is on another filesystem
//     than $TMPDIR, such as a mounted archive volume, where a rename from $TMPDIR fails
//     with "invalid cross-device link". A crash mid-upload may leave a "*.tmp" file
//     beside the objects; it is never a committed object and may be deleted;
//   - s3://bucket?region=…[&endpoint=https://host&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required]
//     — AWS S3 or an S3-compatible server, credentials from the usual AWS environment;
//   - mem:// — an in-memory bucket for tests;
//   - any other scheme whose driver the application registered.
//
// The URL is never logged by this package: it may carry a credential-bearing query.
func OpenBucket(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parquetio: store URL does not parse (want file:///dir, s3://bucket?… or mem://): %w", err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("parquetio: store URL has no scheme; want file:///dir, s3://bucket?… or mem://")
	}
	if u.Scheme == "file" {
		q := u.Query()
		if !q.Has("create_dir") {
			q.Set("create_dir", "true")
		}
		if !q.Has("no_tmp_dir") {
			q.Set("no_tmp_dir", "true")
		}
		u.RawQuery = q.Encode()
	}
	if !registered(u.Scheme) {
		return nil, fmt.Errorf("parquetio: no driver is registered for %s:// store URLs; import %s in the program's main package (or the test)", u.Scheme, driverHint(u.Scheme))
	}
	b, err := blob.DefaultURLMux().OpenBucketURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("parquetio: open %s:// store: %w", u.Scheme, err)
	}
	return b, nil
}

func registered(scheme string) bool {
	for _, s := range blob.DefaultURLMux().BucketSchemes() {
		if s == scheme {
			return true
		}
	}
	return false
}

// driverHint names the blank import that registers scheme's driver.
func driverHint(scheme string) string {
	pkg := map[string]string{
		"file": "fileblob", "s3": "s3blob", "mem": "memblob",
		"gs": "gcsblob", "azblob": "azureblob",
	}[strings.ToLower(scheme)]
	if pkg == "" {
		return "the gocloud.dev/blob driver for it"
	}
	return `_ "gocloud.dev/blob/` + pkg + `"`
}
