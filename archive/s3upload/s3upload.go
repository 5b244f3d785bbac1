// Package s3upload bounds the memory of uploads to an S3 (or S3-compatible) store.
// gocloud.dev/blob's s3blob writer hands each upload to the AWS transfer manager, which
// reads the first 16 MiB of an object into memory before it decides on a multipart
// upload and keeps one part buffer more than the parts in flight; gocloud exposes
// neither setting. An archive export produces a part every few seconds, so that memory
// buys nothing. A program that archives to S3 plugs this in (package archive links no
// store SDK):
//
//	import _ "gocloud.dev/blob/s3blob"
//
//	opts.Store.BeforeWrite = s3upload.Lean(bucket, 0)
package s3upload

import (
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
)

// MinPartSize is S3's smallest part of a multipart upload (all but the last).
const MinPartSize = 5 << 20

// Lean returns a hook for gocloud's blob.WriterOptions.BeforeWrite (and
// archive.StoreOptions.BeforeWrite) that gives each upload to bucket a transfer manager
// which goes multipart as soon as the object outgrows one part of partSize bytes
// (MinPartSize when smaller), with one part in flight: an upload then holds at most two
// parts in memory, whatever the object's size. For a bucket of another driver (file://,
// mem://) the hook does nothing.
func Lean(bucket *blob.Bucket, partSize int64) func(asFunc func(any) bool) error {
	var client *s3.Client
	if !bucket.As(&client) {
		return func(func(any) bool) error { return nil }
	}
	partSize = max(partSize, MinPartSize)
	// The client carries the URL's response/request checksum settings (e.g.
	// when_required for S3-compatible servers); the transfer manager's own setting
	// takes precedence over the client's, so it is copied over.
	checksum := client.Options().RequestChecksumCalculation
	return func(asFunc func(any) bool) error {
		// s3blob lends the writer's own transfer manager, created for this upload
		// alone: it is reconfigured in place (a Client is nothing but its options).
		var tm *transfermanager.Client
		if !asFunc(&tm) || tm == nil {
			return nil
		}
		*tm = *transfermanager.New(client, func(o *transfermanager.Options) {
			o.PartSizeBytes = partSize
			o.MultipartUploadThreshold = partSize
			o.Concurrency = 1
			o.RequestChecksumCalculation = checksum
		})
		return nil
	}
}
