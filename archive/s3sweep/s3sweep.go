// Package s3sweep aborts the multipart uploads that interrupted archive runs left on an
// S3 (or S3-compatible) store. gocloud.dev/blob cannot list unfinished uploads, and
// package archive links no store SDK, so a program that archives to S3 plugs this in:
//
//	import _ "gocloud.dev/blob/s3blob"
//
//	opts.Store.SweepUploads = s3sweep.AbortStale
//
// An unfinished upload is invisible to listings but its parts are stored (and billed)
// until it is aborted; a lifecycle rule (AbortIncompleteMultipartUpload) on the bucket
// does the same server-side where the store supports it.
package s3sweep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
)

// ErrNotS3 is returned by AbortStale for a bucket that is not an s3blob bucket.
var ErrNotS3 = errors.New("s3sweep: the store is not an s3blob bucket")

// AbortStale aborts every unfinished multipart upload under prefix initiated before
// before, and returns how many it aborted. A bucket of another driver (file://, mem://)
// has no multipart uploads: it returns 0 and no error. The signature fits
// archive.StoreOptions.SweepUploads.
func AbortStale(ctx context.Context, bucket *blob.Bucket, prefix string, before time.Time) (int, error) {
	var client *s3.Client
	if !bucket.As(&client) {
		return 0, nil
	}
	name, err := bucketName(ctx, client, bucket)
	if err != nil {
		return 0, err
	}
	n := 0
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(name), Prefix: aws.String(prefix)}
	for {
		out, err := client.ListMultipartUploads(ctx, in)
		if err != nil {
			return n, fmt.Errorf("s3sweep: list multipart uploads under %q: %w", prefix, err)
		}
		for _, u := range out.Uploads {
			if u.Initiated == nil || !u.Initiated.Before(before) || !strings.HasPrefix(aws.ToString(u.Key), prefix) {
				continue
			}
			_, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(name), Key: u.Key, UploadId: u.UploadId})
			if err != nil {
				return n, fmt.Errorf("s3sweep: abort multipart upload of %s: %w", aws.ToString(u.Key), err)
			}
			n++
		}
		if !aws.ToBool(out.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// bucketName finds the S3 bucket name behind bucket: s3blob does not expose it, but
// its list requests carry it.
func bucketName(ctx context.Context, client *s3.Client, bucket *blob.Bucket) (string, error) {
	var name string
	it := bucket.List(&blob.ListOptions{
		Prefix: "\x00lsos-s3sweep-probe",
		BeforeList: func(as func(any) bool) error {
			var in *s3.ListObjectsV2Input
			if as(&in) && in.Bucket != nil {
				name = *in.Bucket
			}
			var legacy *s3.ListObjectsInput
			if as(&legacy) && legacy.Bucket != nil {
				name = *legacy.Bucket
			}
			return errStop
		},
	})
	_, err := it.Next(ctx)
	if name == "" {
		if err == nil || errors.Is(err, errStop) {
			err = errors.New("no bucket name in the list request")
		}
		return "", fmt.Errorf("%w: %v", ErrNotS3, err)
	}
	return name, nil
}

var errStop = errors.New("s3sweep: probe only")
