package archive

import (
	"context"
	"errors"
	"fmt"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/parquetio"
)

// VerifyError says that archive ID's object was read and does not match its catalog
// entry (or is missing from a readable store): the archive is corrupt or lost.
// errors.Is(err, ErrCorrupt) (= [ErrVerify]) is true.
type VerifyError struct {
	ID     string
	Object string
	Err    error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("archive: %s (object %s) failed verification: %v; re-export it from the partition if it still exists, or restore the object from a backup", e.ID, e.Object, e.Err)
}

// Unwrap returns the cause; errors.Is(err, ErrVerify) is true as well.
func (e *VerifyError) Unwrap() []error { return []error{ErrVerify, e.Err} }

// Verify is For(nil).Verify: the catalog of the default policy (lsos_archive).
func Verify(ctx context.Context, db DB, store *blob.Bucket, id string) error {
	return For(nil).Verify(ctx, db, store, id)
}

// Verify re-reads archive id from the store: checksum, footer and decoded row counts
// must match the catalog, and the manifest in the store must match the SHA-256 recorded
// beside it and in the catalog (else a [*ManifestError], [ErrManifestTampered]). Each
// store request is bounded by [DefaultRequestTimeout].
//
// A mismatch, a damaged object or an object missing from a readable store is a
// [*VerifyError] (errors.Is [ErrCorrupt], [ErrVerify]). A store that could not be read
// (access denied, a missing bucket, a refused connection, no answer) is a [*StoreError]
// (errors.Is [ErrUnreadable], [ErrStore]): the archive was not checked.
func (b Bookkeeping) Verify(ctx context.Context, db DB, store *blob.Bucket, id string) error {
	e, err := b.Get(ctx, db, id)
	if err != nil {
		return err
	}
	if e.SHA256 == "" {
		return fmt.Errorf("archive: %s was never uploaded (state %s)", id, e.State)
	}
	err = parquetio.VerifyTimeout(ctx, store, e.Object, e.SHA256, e.Rows, DefaultRequestTimeout)
	if err == nil {
		return verifyManifests(ctx, store, &e)
	}
	if se := asStoreError(err); se != nil {
		se.ID, se.Partition = id, e.Partition
		return se
	}
	if errors.Is(err, parquetio.ErrVerify) {
		return &VerifyError{ID: id, Object: e.Object, Err: err}
	}
	return fmt.Errorf("archive: verify %s: %w", id, err)
}

// asStoreError converts a parquetio store failure into this package's *StoreError (nil
// when err is none).
func asStoreError(err error) *StoreError {
	var pe *parquetio.StoreError
	if !errors.As(err, &pe) {
		return nil
	}
	return &StoreError{Op: pe.Op, Key: pe.Key, Permanent: permanent(pe.Err), Attempts: 1, Err: pe.Err}
}
