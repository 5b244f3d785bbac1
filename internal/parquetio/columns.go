package parquetio

import (
	"encoding/binary"
	"fmt"
	"math"
)

// colData holds rows of one column in the shape Parquet stores them: a definition level
// per row (1 present, 0 NULL) and the present values, densely, in the one typed slice
// that matches the column's physical type. The export decodes the wire bytes straight
// into it: no per-value interface or struct, and no pointers for the garbage collector
// to trace, which is what makes the export's client side cheaper than the server's scan.
type colData struct {
	defs  []byte
	i32   []int32   // INT32: smallint, integer, date
	i64   []int64   // INT64: bigint, timestamp(tz), time
	f32   []float32 // FLOAT
	f64   []float64 // DOUBLE
	bools []byte    // BOOLEAN, one byte (0 or 1) per value
	data  []byte    // BYTE_ARRAY values end to end; FIXED_LEN_BYTE_ARRAY (uuid) values
	ends  []uint32  // BYTE_ARRAY: the end offset in data of each value
}

// reset empties d, keeping its memory.
func (d *colData) reset() {
	d.defs, d.i32, d.i64, d.f32, d.f64 = d.defs[:0], d.i32[:0], d.i64[:0], d.f32[:0], d.f64[:0]
	d.bools, d.data, d.ends = d.bools[:0], d.data[:0], d.ends[:0]
}

// rows is the number of rows held.
func (d *colData) rows() int { return len(d.defs) }

// appendNull adds a NULL.
func (d *colData) appendNull() { d.defs = append(d.defs, 0) }

// appendRaw decodes one non-NULL raw column value (binary, or text for numeric and the
// fallback) of a column with conversion code w and fixed size (0: variable) and adds it.
// Byte values are copied: pgx reuses its read buffer.
func (d *colData) appendRaw(w wire, size int, b []byte) error {
	if size != 0 && len(b) != size {
		return fmt.Errorf("parquetio: binary value of %d bytes, want %d", len(b), size)
	}
	be := binary.BigEndian
	switch w {
	case wireInt16:
		d.i32 = append(d.i32, int32(int16(be.Uint16(b))))
	case wireInt32:
		d.i32 = append(d.i32, int32(be.Uint32(b)))
	case wireInt64, wireTime:
		d.i64 = append(d.i64, int64(be.Uint64(b)))
	case wireFloat32:
		d.f32 = append(d.f32, math.Float32frombits(be.Uint32(b)))
	case wireFloat64:
		d.f64 = append(d.f64, math.Float64frombits(be.Uint64(b)))
	case wireBool:
		var v byte
		if b[0] != 0 {
			v = 1
		}
		d.bools = append(d.bools, v)
	case wireDate:
		v := int32(be.Uint32(b))
		if v != math.MaxInt32 && v != math.MinInt32 { // not ±infinity
			u := int64(v) + pgEpochDays
			if u >= math.MaxInt32 || u <= math.MinInt32 {
				return fmt.Errorf("%w: date %d days after 2000-01-01", ErrOutOfRange, v)
			}
			v = int32(u)
		}
		d.i32 = append(d.i32, v)
	case wireTimestamp:
		v := int64(be.Uint64(b))
		if v != math.MaxInt64 && v != math.MinInt64 { // not ±infinity
			if v > math.MaxInt64-pgEpochMicros-1 {
				return fmt.Errorf("%w: timestamp %d µs after 2000-01-01", ErrOutOfRange, v)
			}
			v += pgEpochMicros
		}
		d.i64 = append(d.i64, v)
	case wireUUID:
		d.data = append(d.data, b...)
	case wireJSONB:
		if len(b) == 0 || b[0] != 1 {
			return fmt.Errorf("parquetio: unknown jsonb binary version")
		}
		d.data = append(d.data, b[1:]...)
		d.ends = append(d.ends, uint32(len(d.data)))
	default:
		d.data = append(d.data, b...)
		d.ends = append(d.ends, uint32(len(d.data)))
	}
	d.defs = append(d.defs, 1)
	return nil
}

// present counts the non-NULL rows among defs.
func present(defs []byte) int {
	n := 0
	for _, v := range defs {
		n += int(v)
	}
	return n
}

// appendRows adds rows [from, to) of src, a column of the same physical type.
func (d *colData) appendRows(src *colData, from, to int) {
	v0 := present(src.defs[:from])
	v1 := v0 + present(src.defs[from:to])
	d.defs = append(d.defs, src.defs[from:to]...)
	switch {
	case len(src.i32) > 0:
		d.i32 = append(d.i32, src.i32[v0:v1]...)
	case len(src.i64) > 0:
		d.i64 = append(d.i64, src.i64[v0:v1]...)
	case len(src.f32) > 0:
		d.f32 = append(d.f32, src.f32[v0:v1]...)
	case len(src.f64) > 0:
		d.f64 = append(d.f64, src.f64[v0:v1]...)
	case len(src.bools) > 0:
		d.bools = append(d.bools, src.bools[v0:v1]...)
	case len(src.ends) > 0:
		var start uint32
		if v0 > 0 {
			start = src.ends[v0-1]
		}
		if v1 == v0 {
			return
		}
		shift := uint32(len(d.data)) - start
		d.data = append(d.data, src.data[start:src.ends[v1-1]]...)
		for _, e := range src.ends[v0:v1] {
			d.ends = append(d.ends, e+shift)
		}
	case len(src.data) > 0: // fixed length: uuid
		d.data = append(d.data, src.data[v0*16:v1*16]...)
	}
}

// value returns the i-th present byte-array value.
func (d *colData) value(i int) []byte {
	var start uint32
	if i > 0 {
		start = d.ends[i-1]
	}
	return d.data[start:d.ends[i]]
}
