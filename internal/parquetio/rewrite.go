package parquetio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"gocloud.dev/blob"
)

// RewriteResult describes an object written by [Rewrite].
type RewriteResult struct {
	// Result is the new object: rows kept, bytes, SHA-256 and per-column statistics.
	Result
	// SourceSHA256 and SourceRows describe the source object as read.
	SourceSHA256 string `json:"source_sha256"`
	SourceRows   int64  `json:"source_rows"`
	// Removed is the number of rows left out.
	Removed int64 `json:"removed"`
}

// Rewrite writes a copy of the object src under dst, without the rows whose column holds
// one of values (compared in PostgreSQL's text form, [FormatText]; NULL never matches).
// Kept rows are copied value for value with the source's schema and key/value metadata
// (opts.Metadata added or overriding), zstd-compressed in bounded row groups, so the
// copy reads back exactly as the source did minus the removed rows. It streams: the
// source is downloaded to a temporary file ([Open]) and rows pass through a small
// buffer, so memory does not grow with the object. When wantSHA256 is set the source
// must match it, or nothing is written. dst is committed only when every row was
// written; on any error its upload is aborted.
func Rewrite(ctx context.Context, bucket *blob.Bucket, src, dst, column string, values []string, wantSHA256 string, opts Options) (RewriteResult, error) {
	opts = opts.withDefaults()
	if src == dst {
		return RewriteResult{}, fmt.Errorf("parquetio: rewrite %s onto itself; give a new key so the source stays valid until the copy is verified", src)
	}
	r, err := Open(ctx, bucket, src)
	if err != nil {
		return RewriteResult{}, err
	}
	defer r.Close()
	res := RewriteResult{SourceSHA256: r.SHA256, SourceRows: r.NumRows()}
	if wantSHA256 != "" && r.SHA256 != wantSHA256 {
		return res, &VerifyError{Key: src, Reason: fmt.Sprintf("sha256 %s, want %s", r.SHA256, wantSHA256)}
	}
	ci := -1
	for i, c := range r.cols {
		if c.Name == column {
			ci = i
		}
	}
	if ci < 0 {
		return res, fmt.Errorf("parquetio: rewrite %s: no column %q", src, column)
	}
	drop := make(map[string]bool, len(values))
	for _, v := range values {
		drop[v] = true
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := bucket.NewWriter(wctx, dst, &blob.WriterOptions{ContentType: ContentType, BufferSize: opts.UploadPartSize, MaxConcurrency: opts.withDefaults().UploadConcurrency, BeforeWrite: opts.BeforeWrite})
	if err != nil {
		return res, fmt.Errorf("parquetio: open object %s for writing: %w", dst, err)
	}
	out, err := r.copyRows(ctx, w, ci, drop, opts)
	if err != nil {
		cancel() // aborts the upload: dst is not created
		_ = w.Close()
		return res, err
	}
	if err := w.Close(); err != nil {
		return res, fmt.Errorf("parquetio: upload %s: %w (the object was not written; retry)", dst, err)
	}
	out.Key = dst
	res.Result = out
	res.Removed = res.SourceRows - out.Rows
	return res, nil
}

// copyRows streams the reader's rows to w, leaving out those whose column ci holds a
// value in drop.
func (r *Reader) copyRows(ctx context.Context, w io.Writer, ci int, drop map[string]bool, opts Options) (Result, error) {
	cw := &countingWriter{w: w, h: sha256.New()}
	wopts := []parquet.WriterOption{
		parquet.NewSchema("row", newOrderedGroup(r.cols)),
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.MaxRowsPerRowGroup(int64(opts.RowGroupRows)),
		parquet.PageBufferSize(512 << 10),
	}
	meta := map[string]string{}
	var keys []string
	for _, kv := range r.file.Metadata().KeyValueMetadata {
		if _, dup := meta[kv.Key]; !dup {
			keys = append(keys, kv.Key)
		}
		meta[kv.Key] = kv.Value
	}
	for k, v := range opts.Metadata {
		if _, dup := meta[k]; !dup {
			keys = append(keys, k)
		}
		meta[k] = v
	}
	for _, k := range keys {
		wopts = append(wopts, parquet.KeyValueMetadata(k, meta[k]))
	}
	pw := parquet.NewWriter(cw, wopts...)
	stats := newStats(r.cols)
	kind := r.cols[ci].Kind
	buf := make([]parquet.Row, batchRows)
	keep := make([]parquet.Row, 0, batchRows)
	var read, kept int64
	pending := 0
	for {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		n, err := r.rows.ReadRows(buf)
		keep = keep[:0]
		for _, row := range buf[:n] {
			read++
			match := false
			for _, v := range row {
				if v.Column() != ci || v.IsNull() {
					continue
				}
				x, derr := fromValue(kind, v)
				if derr != nil {
					return Result{}, fmt.Errorf("%w: column %s: %v", ErrVerify, r.cols[ci].Name, derr)
				}
				s, _ := FormatText(x)
				match = drop[s]
			}
			if match {
				continue
			}
			for _, v := range row {
				stats.addValue(v.Column(), v, v.IsNull())
				pending += 8
				if k := v.Kind(); !v.IsNull() && (k == parquet.ByteArray || k == parquet.FixedLenByteArray) {
					pending += len(v.ByteArray())
				}
			}
			keep = append(keep, row)
		}
		if len(keep) > 0 {
			// WriteRows copies the values into the writer's buffers before the next
			// ReadRows reuses buf.
			if _, werr := pw.WriteRows(keep); werr != nil {
				return Result{}, fmt.Errorf("parquetio: write rows: %w", werr)
			}
			kept += int64(len(keep))
			if pending >= opts.RowGroupBytes {
				if ferr := pw.Flush(); ferr != nil {
					return Result{}, fmt.Errorf("parquetio: flush row group: %w", ferr)
				}
				pending = 0
			}
			if opts.Progress != nil {
				opts.Progress(kept)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return Result{}, fmt.Errorf("%w: read rows: %v", ErrVerify, err)
		}
		if n == 0 {
			break
		}
	}
	if read != r.NumRows() {
		return Result{}, fmt.Errorf("%w: read %d rows, the footer says %d", ErrVerify, read, r.NumRows())
	}
	if err := pw.Close(); err != nil {
		return Result{}, fmt.Errorf("parquetio: finish file: %w", err)
	}
	return Result{Rows: kept, Bytes: cw.n, SHA256: hex.EncodeToString(cw.h.Sum(nil)), Columns: stats.result()}, nil
}
