package parquetio

import (
	"math"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

type colStat struct {
	seen     bool
	minI     int64
	maxI     int64
	minF     float64
	maxF     float64
	isFloat  bool
	float32  bool
	int32    bool
	tracking bool
}

// statsSet gathers the per-column statistics of an export. The kind tests are worked
// out once per column: add runs for every value.
type statsSet struct {
	cols  []Column
	s     []colStat
	nulls []int64 // per column
}

func newStats(cols []Column) *statsSet {
	s := &statsSet{cols: cols, s: make([]colStat, len(cols)), nulls: make([]int64, len(cols))}
	for i, c := range cols {
		s.s[i].tracking = c.Kind.ordered()
		s.s[i].float32 = c.Kind == KindFloat32
		s.s[i].isFloat = s.s[i].float32 || c.Kind == KindFloat64
		s.s[i].int32 = c.Kind == KindInt16 || c.Kind == KindInt32 || c.Kind == KindDate
	}
	return s
}

// addValue records v, which may be null (the rewrite path's values say so themselves).
func (s *statsSet) addValue(i int, v parquet.Value, null bool) {
	if null {
		s.nulls[i]++
		return
	}
	s.add(i, v)
}

// add records the non-null value v of column i.
func (s *statsSet) add(i int, v parquet.Value) {
	st := &s.s[i]
	if !st.tracking {
		return
	}
	if st.isFloat {
		var f float64
		if st.float32 {
			f = float64(v.Float())
		} else {
			f = v.Double()
		}
		if !math.IsNaN(f) {
			s.addFloat(i, f, f)
		}
		return
	}
	if st.int32 {
		s.addInt(i, int64(v.Int32()), int64(v.Int32()))
	} else {
		s.addInt(i, v.Int64(), v.Int64())
	}
}

// addInt records the range [lo, hi] of non-null values of integer-stored column i.
func (s *statsSet) addInt(i int, lo, hi int64) {
	st := &s.s[i]
	if !st.seen || lo < st.minI {
		st.minI = lo
	}
	if !st.seen || hi > st.maxI {
		st.maxI = hi
	}
	st.seen = true
}

// addFloat records the range [lo, hi] of non-NaN values of float column i.
func (s *statsSet) addFloat(i int, lo, hi float64) {
	st := &s.s[i]
	if !st.seen || lo < st.minF {
		st.minF = lo
	}
	if !st.seen || hi > st.maxF {
		st.maxF = hi
	}
	st.seen = true
}

func (s *statsSet) result() []ColumnStats {
	out := make([]ColumnStats, len(s.cols))
	for i, c := range s.cols {
		st := s.s[i]
		out[i] = ColumnStats{Column: c, Nulls: s.nulls[i]}
		if !st.seen {
			continue
		}
		if st.isFloat {
			out[i].Min = strconv.FormatFloat(st.minF, 'g', -1, 64)
			out[i].Max = strconv.FormatFloat(st.maxF, 'g', -1, 64)
			continue
		}
		out[i].Min, out[i].Max = formatOrdered(c.Kind, st.minI), formatOrdered(c.Kind, st.maxI)
	}
	return out
}

// formatOrdered renders a stored integer of an ordered kind as PostgreSQL would print it
// (dates and timestamps in ISO 8601, UTC for timestamptz).
func formatOrdered(k Kind, n int64) string {
	switch k {
	case KindDate:
		switch n {
		case math.MaxInt32:
			return "infinity"
		case math.MinInt32:
			return "-infinity"
		}
		return time.Unix(n*86400, 0).UTC().Format(time.DateOnly)
	case KindTimestamp, KindTimestamptz:
		switch n {
		case math.MaxInt64:
			return "infinity"
		case math.MinInt64:
			return "-infinity"
		}
		t := time.UnixMicro(n).UTC()
		if k == KindTimestamp {
			return t.Format("2006-01-02T15:04:05.999999")
		}
		return t.Format(time.RFC3339Nano)
	case KindTime:
		return time.UnixMicro(n).UTC().Format("15:04:05.999999")
	}
	return strconv.FormatInt(n, 10)
}
