package parquetio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/dbx"
)

// DB is the database handle Export takes.
type DB = dbx.DB

// MetaColumns is the Parquet key/value metadata key holding the JSON column list.
const MetaColumns = "lsos.columns"

// ContentType is the media type objects are written with.
const ContentType = "application/vnd.apache.parquet"

// Errors.
var (
	// ErrOutOfRange marks a finite date or timestamp that the Parquet epoch cannot hold.
	ErrOutOfRange = errors.New("parquetio: value out of range for Parquet")
	// ErrVerify marks an object whose checksum or row count does not match.
	ErrVerify = errors.New("parquetio: verification failed")
)

// Column describes one exported column.
type Column struct {
	Name string `json:"name"`
	// Type is PostgreSQL's format_type, e.g. "character varying(200)" or "integer[]".
	Type string `json:"type"`
	OID  uint32 `json:"oid"`
	Kind Kind   `json:"kind"`
}

// ColumnStats are the per-column statistics of an export. Min and Max are set for
// ordered kinds (numbers, dates, times) with at least one non-null value.
type ColumnStats struct {
	Column
	Nulls int64  `json:"nulls"`
	Min   string `json:"min,omitempty"`
	Max   string `json:"max,omitempty"`
}

// Result describes a written object.
type Result struct {
	Key     string        `json:"object,omitempty"`
	Rows    int64         `json:"rows"`
	Bytes   int64         `json:"bytes"`
	SHA256  string        `json:"sha256"`
	Columns []ColumnStats `json:"columns"`
	// Counts are the rows per value of Options.CountBy (nil when it is not set).
	Counts []ValueCount `json:"counts,omitempty"`
}

// Options tune an export. The zero value gives the defaults.
type Options struct {
	// RowGroupRows caps the rows of one row group (default 131072).
	RowGroupRows int
	// RowGroupBytes caps the approximate raw bytes buffered for one row group before it
	// is flushed (default 32 MiB); with RowGroupRows it bounds memory.
	RowGroupBytes int
	// UploadPartSize is the blob writer's buffer, i.e. the multipart part size on S3
	// (default 5 MiB, S3's smallest part; the S3 driver's own default is 8 MiB).
	UploadPartSize int
	// UploadConcurrency is how many parts of a multipart upload are in flight at once
	// (default 1). S3's transfer manager keeps one part-sized buffer more than this,
	// besides the 16 MiB it reads before deciding on a multipart upload; an export
	// produces a part every few seconds, so more parts in flight only cost memory.
	UploadConcurrency int
	// BeforeWrite, when set, is the blob writer's BeforeWrite hook: it sees the driver's
	// writer types (see archive/s3upload, which bounds the S3 transfer manager's memory).
	BeforeWrite func(asFunc func(any) bool) error
	// Metadata is added to the file's key/value metadata.
	Metadata map[string]string
	// RequestTimeout bounds each store call of the upload (opening it, each write, the
	// final commit): one that does not complete within it aborts the export with
	// ErrStall (default DefaultRequestTimeout; negative: no deadline).
	RequestTimeout time.Duration
	// CountBy names a column whose rows are counted per value while they stream
	// (Result.Counts): an archive's tenant counts, taken from the rows exported in the
	// export's own snapshot, with no second scan. It must be an integer, uuid,
	// numeric, text or varchar column.
	CountBy string
	// Progress, when set, is called after each batch with the rows written so far, from
	// the export's writing goroutine (never concurrently with itself).
	Progress func(rows int64)
}

func (o Options) requestTimeout() time.Duration {
	if o.RequestTimeout == 0 {
		return DefaultRequestTimeout
	}
	return o.RequestTimeout
}

func (o Options) withDefaults() Options {
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 128 * 1024
	}
	if o.RowGroupBytes <= 0 {
		o.RowGroupBytes = 32 << 20
	}
	if o.UploadPartSize <= 0 {
		o.UploadPartSize = 5 << 20
	}
	if o.UploadConcurrency <= 0 {
		o.UploadConcurrency = 1
	}
	return o
}

// Export runs query (a SELECT; args are its parameters) and writes its rows as one
// Parquet object under key in bucket. The object is committed only when every row was
// written: on any error the upload is aborted, so no partial object is left behind.
//
// Every store call is bounded by Options.RequestTimeout: a write that makes no progress
// within it (a frozen server) aborts the upload and the query. A failure of the store
// (not of the query or the data) is a [*StoreError].
func Export(ctx context.Context, db DB, query string, args []any, bucket *blob.Bucket, key string, opts Options) (Result, error) {
	timeout := opts.requestTimeout()
	// The query stops too when the store fails: there is no point reading on.
	ectx, ecancel := context.WithCancelCause(ctx)
	defer ecancel(nil)
	wctx, cancel := context.WithCancelCause(ectx)
	defer cancel(nil)
	wd := newWatchdog(cancel, timeout)
	wd.arm()
	opts = opts.withDefaults()
	w, err := bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: ContentType, BufferSize: opts.UploadPartSize, MaxConcurrency: opts.UploadConcurrency, BeforeWrite: opts.BeforeWrite})
	wd.disarm()
	if err != nil {
		return Result{}, &StoreError{Op: "upload", Key: key, Err: stallCause(wctx, err)}
	}
	gw := &guardedWriter{w: w, wd: wd}
	ew := &stopOnError{w: gw, stop: ecancel}
	res, err := ExportTo(ectx, db, query, args, ew, opts)
	if gw.err != nil {
		cancel(nil) // aborts the upload: the object is not created
		_ = w.Close()
		return res, &StoreError{Op: "upload", Key: key, Err: stallCause(wctx, gw.err)}
	}
	if err != nil {
		cancel(nil) // aborts the upload: the object is not created
		_ = w.Close()
		return res, err
	}
	wd.arm()
	err = w.Close()
	wd.disarm()
	if err != nil {
		return res, &StoreError{Op: "upload", Key: key, Err: fmt.Errorf("%w (the object was not written)", stallCause(wctx, err))}
	}
	res.Key = key
	return res, nil
}

// stopOnError cancels the export when a write to the store fails.
type stopOnError struct {
	w    io.Writer
	stop context.CancelCauseFunc
}

func (s *stopOnError) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		s.stop(err)
	}
	return n, err
}

// Describe returns the columns query would produce, without reading its rows.
func Describe(ctx context.Context, db DB, query string, args []any) ([]Column, error) {
	rows, err := db.Query(ctx, "SELECT * FROM ("+query+") AS q LIMIT 0", args...)
	if err != nil {
		return nil, fmt.Errorf("parquetio: describe query: %w", err)
	}
	fds := rows.FieldDescriptions()
	cols := make([]Column, len(fds))
	oids := make([]uint32, len(fds))
	mods := make([]int32, len(fds))
	for i, fd := range fds {
		cols[i] = Column{Name: fd.Name, OID: fd.DataTypeOID, Kind: kindOf(fd.DataTypeOID)}
		oids[i], mods[i] = fd.DataTypeOID, fd.TypeModifier
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("parquetio: describe query: %w", err)
	}
	trows, err := db.Query(ctx, `SELECT format_type(o, NULLIF(m, -1)) FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS u(o, m, n) ORDER BY n`, oids, mods)
	if err != nil {
		return nil, fmt.Errorf("parquetio: column types: %w", err)
	}
	names, err := pgx.CollectRows(trows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("parquetio: column types: %w", err)
	}
	for i := range cols {
		cols[i].Type = names[i]
	}
	return cols, nil
}

// countingWriter hashes and counts what passes through.
type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// ExportTo is Export writing to w instead of a bucket (a file, a hash, a benchmark's
// io.Discard). Result.Key is empty.
func ExportTo(ctx context.Context, db DB, query string, args []any, w io.Writer, opts Options) (Result, error) {
	opts = opts.withDefaults()
	cols, err := Describe(ctx, db, query, args)
	if err != nil {
		return Result{}, err
	}
	if len(cols) == 0 {
		return Result{}, fmt.Errorf("parquetio: query returns no columns; select at least one")
	}
	var counter *valueCounter
	if opts.CountBy != "" {
		if counter, err = newValueCounter(cols, opts.CountBy); err != nil {
			return Result{}, err
		}
	}
	cw := &countingWriter{w: w, h: sha256.New()}
	stats := newStats(cols)
	fw, err := newFileWriter(cw, cols, opts, stats)
	if err != nil {
		return Result{}, err
	}

	formats := make(pgx.QueryResultFormats, len(cols))
	for i, c := range cols {
		if c.Kind.binary() {
			formats[i] = pgx.BinaryFormatCode
		} else {
			formats[i] = pgx.TextFormatCode
		}
	}
	rows, err := db.Query(ctx, query, append([]any{formats}, args...)...)
	if err != nil {
		return Result{}, fmt.Errorf("parquetio: run export query: %w", err)
	}
	defer rows.Close()
	for i, fd := range rows.FieldDescriptions() {
		if i >= len(cols) || fd.Format != formats[i] {
			return Result{}, fmt.Errorf("parquetio: column %d came back in format %d, not the %d requested: use the extended protocol (pgx's default QueryExecMode), not the simple protocol", i, fd.Format, formats[i])
		}
	}

	total, err := pipeline(ctx, rows, cols, fw, counter, opts)
	if err != nil {
		return Result{}, err
	}
	if err := fw.close(); err != nil {
		return Result{}, fmt.Errorf("parquetio: finish file: %w", err)
	}
	res := Result{Rows: total, Bytes: cw.n, SHA256: hex.EncodeToString(cw.h.Sum(nil)), Columns: stats.result()}
	if counter != nil {
		if res.Counts, err = counter.result(); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// Epoch offsets between PostgreSQL (2000-01-01) and Unix (1970-01-01).
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * 86400 * 1000000
)

// wire is a column's Kind as a small integer, worked out once per column: the export
// converts every value of every row, and a switch over these compiles to a jump table
// where one over Kind's strings compares text.
type wire uint8

const (
	wireBytes wire = iota // string, numeric (text), json, bytea, the text fallback
	wireInt16
	wireInt32
	wireInt64
	wireFloat32
	wireFloat64
	wireBool
	wireDate
	wireTimestamp // and timestamptz
	wireTime
	wireUUID
	wireJSONB
)

// wireOf returns the conversion code of kind k and its fixed binary size (0: variable).
func wireOf(k Kind) (wire, int) {
	switch k {
	case KindInt16:
		return wireInt16, 2
	case KindInt32:
		return wireInt32, 4
	case KindInt64:
		return wireInt64, 8
	case KindFloat32:
		return wireFloat32, 4
	case KindFloat64:
		return wireFloat64, 8
	case KindBool:
		return wireBool, 1
	case KindDate:
		return wireDate, 4
	case KindTimestamp, KindTimestamptz:
		return wireTimestamp, 8
	case KindTime:
		return wireTime, 8
	case KindUUID:
		return wireUUID, 16
	case KindJSONB:
		return wireJSONB, 0
	}
	return wireBytes, 0
}

// fixedSize is the binary wire size of fixed-width kinds (0: variable).
func fixedSize(k Kind) int {
	_, n := wireOf(k)
	return n
}
