package archive

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/lsos/lsosgov/internal/parquetio"
)

// tempObject matches the staging file a file:// upload writes beside its object
// ("….parquet.<hex>.tmp") and leaves behind when the process dies mid-upload.
var tempObject = regexp.MustCompile(`\.(parquet|json)\.[0-9a-f]+\.tmp$`)

// sweep removes, under the run's prefix, what interrupted uploads left behind and is
// older than Store.LeftoverAge: staging files of a file:// store, and (with
// Store.SweepUploads) unfinished multipart uploads. Younger ones may belong to another
// worker's upload in progress. A failure is logged and the run goes on: the export
// reports a store that does not work.
func (r *runner) sweep(ctx context.Context) {
	before := time.Now().Add(-r.opts.Store.LeftoverAge)
	prefix := strings.TrimSuffix(r.opts.Prefix, "/") + "/"
	n, err := SweepTemp(ctx, r.store, prefix, before, r.opts.Store.RequestTimeout)
	if err != nil {
		r.opts.Logger.WarnContext(ctx, "archive: sweep temporary objects", "err", err)
	}
	if n > 0 {
		r.opts.Logger.InfoContext(ctx, "archive: removed temporary objects of interrupted uploads", "count", n)
	}
	if r.opts.Store.SweepUploads != nil {
		var n int
		err := parquetio.WithTimeout(ctx, r.opts.Store.RequestTimeout, func(ctx context.Context) error {
			var err error
			n, err = r.opts.Store.SweepUploads(ctx, r.store, prefix, before)
			return err
		})
		if err != nil {
			r.opts.Logger.WarnContext(ctx, "archive: abort stale multipart uploads", "err", err)
		}
		if n > 0 {
			r.opts.Logger.InfoContext(ctx, "archive: aborted unfinished multipart uploads", "count", n)
		}
	}
}

// SweepTemp deletes the staging files ("….parquet.<hex>.tmp") that interrupted uploads
// to a file:// store left under prefix, when modified before before; each store request
// is bounded by timeout. It returns how many it deleted. [Run] calls it at its start.
func SweepTemp(ctx context.Context, store *blob.Bucket, prefix string, before time.Time, timeout time.Duration) (int, error) {
	it := store.List(&blob.ListOptions{Prefix: prefix})
	n := 0
	for {
		var obj *blob.ListObject
		err := parquetio.WithTimeout(ctx, timeout, func(ctx context.Context) error {
			var err error
			obj, err = it.Next(ctx)
			return err
		})
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if obj.IsDir || !tempObject.MatchString(obj.Key) || !obj.ModTime.Before(before) {
			continue
		}
		err = parquetio.WithTimeout(ctx, timeout, func(ctx context.Context) error { return store.Delete(ctx, obj.Key) })
		if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return n, err
		}
		n++
	}
}
