package parquetio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
)

// Reader streams the rows of a Parquet object written by [Export]. Values are of types
// pgx encodes for the column's PostgreSQL type (see [Reader.Values]), so a Reader can feed
// [github.com/jackc/pgx/v5.Conn.CopyFrom] directly.
type Reader struct {
	// SHA256 is the hex SHA-256 of the whole object as read.
	SHA256 string
	// Bytes is the object's size.
	Bytes int64

	cols   []Column
	tmp    *os.File
	file   *parquet.File
	rows   *parquet.Reader
	buf    []parquet.Row
	pos    int
	n      int
	cur    []any
	read   int64
	err    error
	closed bool
}

// Open downloads the object key from bucket into a temporary file (hashing it on the
// way; memory stays bounded) and opens it. Close removes the temporary file. Each store
// call is bounded by DefaultRequestTimeout; see [OpenTimeout].
func Open(ctx context.Context, bucket *blob.Bucket, key string) (*Reader, error) {
	return OpenTimeout(ctx, bucket, key, DefaultRequestTimeout)
}

// OpenTimeout is [Open] with each store call (opening the object, each read of its body)
// bounded by timeout (none when timeout <= 0). A store that cannot be read (refused,
// forbidden, a missing bucket, no answer within the timeout) gives a [*StoreError]; an
// object missing from an accessible bucket, or one that is not a readable Parquet file
// written by this package, gives an error matching [ErrVerify].
func OpenTimeout(ctx context.Context, bucket *blob.Bucket, key string, timeout time.Duration) (*Reader, error) {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wd := newWatchdog(cancel, timeout)
	wd.arm()
	br, err := bucket.NewReader(rctx, key, nil)
	wd.disarm()
	if err != nil {
		if missing(ctx, bucket, err, timeout) {
			return nil, fmt.Errorf("%w: object %s is missing from the store", ErrVerify, key)
		}
		return nil, &StoreError{Op: "read", Key: key, Err: stallCause(rctx, err)}
	}
	defer br.Close()
	tmp, err := os.CreateTemp("", "parquetio-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("parquetio: temporary file: %w", err)
	}
	_ = os.Remove(tmp.Name()) // unlinked at once: nothing is left behind on a crash
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &guardedReader{r: br, wd: wd})
	if err != nil {
		tmp.Close()
		return nil, &StoreError{Op: "read", Key: key, Err: stallCause(rctx, err)}
	}
	r, err := newReader(tmp, n)
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("parquetio: object %s: %w", key, err)
	}
	r.tmp = tmp
	r.SHA256 = hex.EncodeToString(h.Sum(nil))
	return r, nil
}

// OpenFile opens Parquet data from r (size bytes). SHA256 is left empty.
func OpenFile(r io.ReaderAt, size int64) (*Reader, error) { return newReader(r, size) }

func newReader(ra io.ReaderAt, size int64) (*Reader, error) {
	f, err := parquet.OpenFile(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a readable Parquet file (truncated or corrupt?): %v", ErrVerify, err)
	}
	meta, ok := f.Lookup(MetaColumns)
	if !ok {
		return nil, fmt.Errorf("%w: file has no %s metadata; it was not written by parquetio", ErrVerify, MetaColumns)
	}
	var cols []Column
	if err := json.Unmarshal([]byte(meta), &cols); err != nil {
		return nil, fmt.Errorf("%w: %s metadata: %v", ErrVerify, MetaColumns, err)
	}
	if len(cols) != len(f.Schema().Columns()) {
		return nil, fmt.Errorf("%w: %d columns in metadata, %d in the schema", ErrVerify, len(cols), len(f.Schema().Columns()))
	}
	return &Reader{cols: cols, file: f, rows: parquet.NewReader(f), buf: make([]parquet.Row, 256), Bytes: size}, nil
}

// Columns returns the exported columns in their original order.
func (r *Reader) Columns() []Column { return r.cols }

// NumRows is the row count recorded in the file footer.
func (r *Reader) NumRows() int64 { return r.file.NumRows() }

// Next advances to the next row; it returns false at the end or on error (see Err).
func (r *Reader) Next() bool {
	if r.err != nil || r.closed {
		return false
	}
	if r.pos >= r.n {
		n, err := r.rows.ReadRows(r.buf)
		r.pos, r.n = 0, n
		if n == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				r.err = fmt.Errorf("%w: read rows: %v", ErrVerify, err)
			}
			return false
		}
	}
	row := r.buf[r.pos]
	r.pos++
	if r.cur == nil {
		r.cur = make([]any, len(r.cols))
	}
	for i := range r.cur {
		r.cur[i] = nil
	}
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(r.cols) {
			r.err = fmt.Errorf("%w: value for unknown column %d", ErrVerify, c)
			return false
		}
		x, err := fromValue(r.cols[c].Kind, v)
		if err != nil {
			r.err = fmt.Errorf("column %s: %w", r.cols[c].Name, err)
			return false
		}
		r.cur[c] = x
	}
	r.read++
	return true
}

// Values returns the current row. It is valid until the next call to Next. Types:
// int16, int32, int64, float32, float64, bool, string (text, json, jsonb and the text
// fallback), []byte (bytea), pgtype.Numeric, pgtype.Date, pgtype.Timestamp,
// pgtype.Timestamptz, pgtype.Time, pgtype.UUID; nil for NULL.
func (r *Reader) Values() ([]any, error) { return r.cur, r.err }

// Err returns the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// Read is the number of rows returned so far.
func (r *Reader) Read() int64 { return r.read }

// Close releases the file.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.rows.Close()
	if r.tmp != nil {
		if e := r.tmp.Close(); err == nil {
			err = e
		}
	}
	return err
}

func fromValue(k Kind, v parquet.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	switch k {
	case KindInt16:
		return int16(v.Int32()), nil
	case KindInt32:
		return v.Int32(), nil
	case KindInt64:
		return v.Int64(), nil
	case KindFloat32:
		return v.Float(), nil
	case KindFloat64:
		return v.Double(), nil
	case KindBool:
		return v.Boolean(), nil
	case KindNumeric:
		var n pgtype.Numeric
		if err := n.Scan(string(v.ByteArray())); err != nil {
			return nil, fmt.Errorf("%w: numeric: %v", ErrVerify, err)
		}
		return n, nil
	case KindDate:
		d := v.Int32()
		switch d {
		case math.MaxInt32:
			return pgtype.Date{InfinityModifier: pgtype.Infinity, Valid: true}, nil
		case math.MinInt32:
			return pgtype.Date{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, nil
		}
		return pgtype.Date{Time: time.Unix(int64(d)*86400, 0).UTC(), Valid: true}, nil
	case KindTimestamp, KindTimestamptz:
		t := v.Int64()
		inf := pgtype.Finite
		switch t {
		case math.MaxInt64:
			inf = pgtype.Infinity
		case math.MinInt64:
			inf = pgtype.NegativeInfinity
		}
		var tm time.Time
		if inf == pgtype.Finite {
			tm = unixMicro(t)
		}
		if k == KindTimestamp {
			return pgtype.Timestamp{Time: tm, InfinityModifier: inf, Valid: true}, nil
		}
		return pgtype.Timestamptz{Time: tm, InfinityModifier: inf, Valid: true}, nil
	case KindTime:
		return pgtype.Time{Microseconds: v.Int64(), Valid: true}, nil
	case KindUUID:
		b := v.ByteArray()
		if len(b) != 16 {
			return nil, fmt.Errorf("%w: uuid of %d bytes", ErrVerify, len(b))
		}
		var u pgtype.UUID
		copy(u.Bytes[:], b)
		u.Valid = true
		return u, nil
	case KindBytea:
		b := v.ByteArray()
		out := make([]byte, len(b)) // non-nil even when empty: nil would mean NULL
		copy(out, b)
		return out, nil
	}
	return string(v.ByteArray()), nil
}

// unixMicro converts Unix microseconds to a UTC time without overflowing for dates far
// from 1970 (time.UnixMicro is exact over the whole int64 range).
func unixMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

// FormatText renders a value from [Reader.Values] as PostgreSQL's text output would
// (for CSV and other text tools). NULL is the empty string with ok false.
func FormatText(v any) (s string, ok bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return `\x` + hex.EncodeToString(x), true
	case bool:
		if x {
			return "t", true
		}
		return "f", true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case pgtype.Numeric:
		b, _ := x.MarshalJSON()
		s := string(b)
		if len(s) >= 2 && s[0] == '"' {
			s = s[1 : len(s)-1]
		}
		return s, true
	case pgtype.Date:
		return infText(x.InfinityModifier, func() string { return x.Time.Format(time.DateOnly) }), true
	case pgtype.Timestamp:
		return infText(x.InfinityModifier, func() string { return x.Time.Format("2006-01-02 15:04:05.999999") }), true
	case pgtype.Timestamptz:
		return infText(x.InfinityModifier, func() string { return x.Time.Format("2006-01-02 15:04:05.999999") + pgOffset(x.Time) }), true
	case pgtype.Time:
		return time.UnixMicro(x.Microseconds).UTC().Format("15:04:05.999999"), true
	case pgtype.UUID:
		b := x.Bytes
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), true
	}
	return fmt.Sprint(v), true
}

// pgOffset writes t's UTC offset as PostgreSQL's timestamptz output does: "+00",
// "-07", and minutes (or seconds) only when not zero ("+05:30").
func pgOffset(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := fmt.Sprintf("%s%02d", sign, off/3600)
	if m, sec := off%3600/60, off%60; m != 0 || sec != 0 {
		s += fmt.Sprintf(":%02d", m)
		if sec != 0 {
			s += fmt.Sprintf(":%02d", sec)
		}
	}
	return s
}

func infText(m pgtype.InfinityModifier, finite func() string) string {
	switch m {
	case pgtype.Infinity:
		return "infinity"
	case pgtype.NegativeInfinity:
		return "-infinity"
	}
	return finite()
}
