package parquetio

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ValueCount is how many exported rows hold one value of the Options.CountBy column.
// Value is the value as PostgreSQL's text output spells it (what `col::text` gives);
// Null marks the rows where the column is NULL (Value is then "").
type ValueCount struct {
	Value string `json:"value"`
	Null  bool   `json:"null,omitempty"`
	Rows  int64  `json:"rows"`
}

// ErrNotCountable marks an Options.CountBy column whose rows cannot be counted per value
// from the stream (missing, or of a type whose text form is not rebuilt); the export
// stops before reading a row, so the caller can count another way.
var ErrNotCountable = errors.New("parquetio: CountBy column cannot be counted from the export stream")

// countable reports whether the rows of column c can be counted per value from the
// export stream with the value rendered exactly as `c::text` would: integers and UUIDs
// (rendered here), numeric, text, varchar and name (their wire bytes are that text).
// Not char(n), whose cast to text drops trailing blanks, nor the text fallback, whose
// output can differ from its cast (inet "::1" is "::1/128" as text).
func countable(c Column) bool {
	switch c.Kind {
	case KindInt16, KindInt32, KindInt64, KindUUID, KindNumeric:
		return true
	case KindString:
		return c.OID != oidBPChar
	}
	return false
}

// valueCounter counts rows per raw value of one column while the export streams: the
// tenant counts of an archive come from the rows exported, in the same snapshot, instead
// of a second scan of the table.
type valueCounter struct {
	col  int
	kind Kind
	// counts is keyed by the raw wire bytes; a pointer value lets a known value be
	// counted with a lookup by the []byte (which does not allocate) instead of an
	// assignment (which copies the key into a new string every time).
	counts map[string]*int64
	nulls  int64
	// last and run are the current run of equal values, not yet in counts: rows come
	// clustered by tenant (the tenant leads the primary key, and a month's rows are
	// loaded tenant by tenant), so most rows cost a byte comparison, not a map update.
	last []byte
	run  int64
}

// newValueCounter returns a counter of column name among cols, or an error naming the
// problem when the column is missing or of a kind whose text form cannot be rebuilt from
// the binary value.
func newValueCounter(cols []Column, name string) (*valueCounter, error) {
	i := slices.IndexFunc(cols, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("%w: %q is not among the exported columns", ErrNotCountable, name)
	}
	if !countable(cols[i]) {
		return nil, fmt.Errorf("%w: %q is of type %s; rows are counted per value only for integer, uuid, numeric, text and varchar columns", ErrNotCountable, name, cols[i].Type)
	}
	return &valueCounter{col: i, kind: cols[i].Kind, counts: map[string]*int64{}}, nil
}

// add counts one row whose column value is raw (nil: NULL); only a new value is copied.
func (v *valueCounter) add(raw []byte) {
	if raw == nil {
		v.nulls++
		return
	}
	if v.run > 0 && bytes.Equal(raw, v.last) {
		v.run++
		return
	}
	v.flush()
	v.last, v.run = append(v.last[:0], raw...), 1
}

// flush adds the current run to counts.
func (v *valueCounter) flush() {
	if v.run == 0 {
		return
	}
	if p := v.counts[string(v.last)]; p != nil {
		*p += v.run
	} else {
		n := v.run
		v.counts[string(v.last)] = &n
	}
	v.run = 0
}

// result returns the counts with values in PostgreSQL's text form, ordered as integers
// for integer kinds and bytewise otherwise, the NULL count last.
func (v *valueCounter) result() ([]ValueCount, error) {
	v.flush()
	out := make([]ValueCount, 0, len(v.counts)+1)
	type keyed struct {
		n   int64
		out ValueCount
	}
	ks := make([]keyed, 0, len(v.counts))
	for raw, p := range v.counts {
		rows := *p
		s, n, err := textOf(v.kind, []byte(raw))
		if err != nil {
			return nil, err
		}
		ks = append(ks, keyed{n, ValueCount{Value: s, Rows: rows}})
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.n != b.n {
			if a.n < b.n {
				return -1
			}
			return 1
		}
		return strings.Compare(a.out.Value, b.out.Value)
	})
	for _, k := range ks {
		out = append(out, k.out)
	}
	if v.nulls > 0 {
		out = append(out, ValueCount{Null: true, Rows: v.nulls})
	}
	return out, nil
}

// textOf renders a raw wire value of kind k as PostgreSQL's text output; n is the integer
// value for integer kinds (0 otherwise), for ordering.
func textOf(k Kind, b []byte) (s string, n int64, err error) {
	if want := fixedSize(k); want != 0 && len(b) != want {
		return "", 0, fmt.Errorf("parquetio: %s value of %d bytes, want %d", k, len(b), want)
	}
	be := binary.BigEndian
	switch k {
	case KindInt16:
		n = int64(int16(be.Uint16(b)))
	case KindInt32:
		n = int64(int32(be.Uint32(b)))
	case KindInt64:
		n = int64(be.Uint64(b))
	case KindUUID:
		h := hex.EncodeToString(b)
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], 0, nil
	default:
		return string(b), 0, nil
	}
	return strconv.FormatInt(n, 10), n, nil
}
