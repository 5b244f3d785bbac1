package archive

import (
	"github.com/lsos/lsosgov/internal/parquetio"
)

// ColumnKind is how a PostgreSQL column is carried in an archive's Parquet object. It
// is recorded per column in the manifest ([ColumnManifest.Kind]).
type ColumnKind string

// The column kinds. KindText holds the exact PostgreSQL text output of a type without a
// native Parquet mapping (arrays, interval, inet, enums, ranges, …); a restore casts the
// text back to the column's type.
const (
	KindInt16       ColumnKind = "int16"
	KindInt32       ColumnKind = "int32"
	KindInt64       ColumnKind = "int64"
	KindFloat32     ColumnKind = "float32"
	KindFloat64     ColumnKind = "float64"
	KindBool        ColumnKind = "bool"
	KindString      ColumnKind = "string"
	KindNumeric     ColumnKind = "numeric"
	KindDate        ColumnKind = "date"
	KindTimestamp   ColumnKind = "timestamp"
	KindTimestamptz ColumnKind = "timestamptz"
	KindTime        ColumnKind = "time"
	KindUUID        ColumnKind = "uuid"
	KindJSON        ColumnKind = "json"
	KindJSONB       ColumnKind = "jsonb"
	KindBytea       ColumnKind = "bytea"
	KindText        ColumnKind = "text-fallback"
)

// ExportOptions tune the Parquet writer of [Run] and [PurgeTenant]. The zero value gives
// the defaults.
type ExportOptions struct {
	// RowGroupRows caps the rows of one row group (default 131072).
	RowGroupRows int
	// RowGroupBytes caps the approximate raw bytes buffered for one row group before it
	// is flushed (default 32 MiB); with RowGroupRows it bounds memory.
	RowGroupBytes int
	// UploadPartSize is the blob writer's buffer, i.e. the multipart part size on S3
	// (default 5 MiB).
	UploadPartSize int
	// UploadConcurrency is how many upload parts are in flight at once, each holding a
	// part-sized buffer (default 1: memory, not the network, is what an export is short
	// of).
	UploadConcurrency int
}

func (o ExportOptions) internal() parquetio.Options {
	return parquetio.Options{RowGroupRows: o.RowGroupRows, RowGroupBytes: o.RowGroupBytes, UploadPartSize: o.UploadPartSize, UploadConcurrency: o.UploadConcurrency}
}

// Column is a column of an archive's object, as [Reader.Columns] reports it.
type Column struct {
	Name string
	// Type is PostgreSQL's format_type, e.g. "character varying(200)" or "integer[]".
	Type string
	Kind ColumnKind
}

// Reader streams the rows of an archive ([Open]). Values are of the types pgx encodes
// for the column's PostgreSQL type, so a Reader can feed pgx's CopyFrom directly
// (pgx.CopyFromSource). Close it.
type Reader struct {
	r    *parquetio.Reader
	cols []Column
}

func newReader(r *parquetio.Reader) *Reader {
	cols := make([]Column, len(r.Columns()))
	for i, c := range r.Columns() {
		cols[i] = Column{Name: c.Name, Type: c.Type, Kind: ColumnKind(c.Kind)}
	}
	return &Reader{r: r, cols: cols}
}

// Columns lists the object's columns in the source table's order.
func (r *Reader) Columns() []Column { return r.cols }

// SHA256 is the hex SHA-256 of the whole object as read.
func (r *Reader) SHA256() string { return r.r.SHA256 }

// NumRows is the row count recorded in the object's footer.
func (r *Reader) NumRows() int64 { return r.r.NumRows() }

// Next advances to the next row; it returns false at the end or on error (see Err).
func (r *Reader) Next() bool { return r.r.Next() }

// Values returns the current row, valid until the next call to Next. Types: int16,
// int32, int64, float32, float64, bool, string (text, json, jsonb and the text
// fallback), []byte (bytea), pgtype.Numeric, pgtype.Date, pgtype.Timestamp,
// pgtype.Timestamptz, pgtype.Time, pgtype.UUID; nil for NULL.
func (r *Reader) Values() ([]any, error) { return r.r.Values() }

// Text returns the current row as PostgreSQL's text output would render each value (for
// CSV and other text tools); a NULL is the empty string with its null flag set.
func (r *Reader) Text() (text []string, null []bool, err error) {
	vals, err := r.r.Values()
	if err != nil {
		return nil, nil, err
	}
	text, null = make([]string, len(vals)), make([]bool, len(vals))
	for i, v := range vals {
		var ok bool
		text[i], ok = parquetio.FormatText(v)
		null[i] = !ok
	}
	return text, null, nil
}

// Err returns the error that stopped Next, if any.
func (r *Reader) Err() error { return r.r.Err() }

// Read is the number of rows returned so far.
func (r *Reader) Read() int64 { return r.r.Read() }

// Close releases the object's temporary copy.
func (r *Reader) Close() error { return r.r.Close() }
