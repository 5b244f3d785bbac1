package parquetio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gocloud.dev/blob"
)

// VerifyError says which check an object failed.
type VerifyError struct {
	Key    string
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("parquetio: object %s failed verification: %s; re-export it before relying on it", e.Key, e.Reason)
}

// Unwrap makes errors.Is(err, ErrVerify) true.
func (e *VerifyError) Unwrap() error { return ErrVerify }

// Verify re-reads the object key in full: its SHA-256 must equal wantSHA256, its footer
// row count and the rows actually decoded must equal wantRows. An empty wantSHA256 skips
// the checksum comparison (a negative wantRows skips the count). Store calls are bounded
// by DefaultRequestTimeout; see [VerifyTimeout].
func Verify(ctx context.Context, bucket *blob.Bucket, key, wantSHA256 string, wantRows int64) error {
	return VerifyTimeout(ctx, bucket, key, wantSHA256, wantRows, DefaultRequestTimeout)
}

// VerifyTimeout is [Verify] with each store call bounded by timeout (none when <= 0).
// An object that does not match, or is missing from an accessible bucket, gives a
// [*VerifyError] (errors.Is [ErrVerify]); a store that cannot be read gives a
// [*StoreError], which says nothing about the object.
func VerifyTimeout(ctx context.Context, bucket *blob.Bucket, key, wantSHA256 string, wantRows int64, timeout time.Duration) error {
	r, err := OpenTimeout(ctx, bucket, key, timeout)
	if err != nil {
		var se *StoreError
		if errors.As(err, &se) || ctx.Err() != nil {
			return err
		}
		return &VerifyError{Key: key, Reason: err.Error()}
	}
	defer r.Close()
	if wantSHA256 != "" && r.SHA256 != wantSHA256 {
		return &VerifyError{Key: key, Reason: fmt.Sprintf("sha256 %s, want %s", r.SHA256, wantSHA256)}
	}
	for r.Next() {
		if r.Read()%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	if err := r.Err(); err != nil {
		return &VerifyError{Key: key, Reason: err.Error()}
	}
	if r.Read() != r.NumRows() {
		return &VerifyError{Key: key, Reason: fmt.Sprintf("decoded %d rows, footer says %d", r.Read(), r.NumRows())}
	}
	if wantRows >= 0 && r.Read() != wantRows {
		return &VerifyError{Key: key, Reason: fmt.Sprintf("%d rows, want %d", r.Read(), wantRows)}
	}
	return nil
}

// VerifyStored is the cheap verification of an object this process has just written: the
// object is read back whole (each store call bounded by timeout) and its SHA-256 must
// equal wantSHA256, the hash of the bytes the export produced, so the store holds
// exactly what was written; its footer must parse, carry this package's column metadata
// and count wantRows rows, in row groups that add up to that count. Rows are not decoded:
// the bytes are the writer's own, which [Verify] (the full re-read) checks row by row on
// demand. Errors are those of [VerifyTimeout].
func VerifyStored(ctx context.Context, bucket *blob.Bucket, key, wantSHA256 string, wantRows int64, timeout time.Duration) error {
	if wantSHA256 == "" {
		return fmt.Errorf("parquetio: VerifyStored needs the SHA-256 of what was written")
	}
	r, err := OpenTimeout(ctx, bucket, key, timeout)
	if err != nil {
		var se *StoreError
		if errors.As(err, &se) || ctx.Err() != nil {
			return err
		}
		return &VerifyError{Key: key, Reason: err.Error()}
	}
	defer r.Close()
	if r.SHA256 != wantSHA256 {
		return &VerifyError{Key: key, Reason: fmt.Sprintf("sha256 %s, want %s", r.SHA256, wantSHA256)}
	}
	var groups int64
	for _, rg := range r.file.RowGroups() {
		groups += rg.NumRows()
	}
	if groups != r.NumRows() {
		return &VerifyError{Key: key, Reason: fmt.Sprintf("row groups hold %d rows, footer says %d", groups, r.NumRows())}
	}
	if r.NumRows() != wantRows {
		return &VerifyError{Key: key, Reason: fmt.Sprintf("%d rows, want %d", r.NumRows(), wantRows)}
	}
	return nil
}
