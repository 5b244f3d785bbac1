package parquetio

import (
	"math"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

type colStat struct {
	nulls    int64
	seen     bool
	minI     int64
	maxI     int64
	minF     float64
	maxF     float64
	isFloat  bool
	tracking bool
}

type statsSet struct {
	cols []Column
	s    []colStat
}

func newStats(cols []Column) *statsSet {
	s := &statsSet{cols: cols, s: make([]colStat, len(cols))}
	for i, c := range cols {
		s.s[i].tracking = c.Kind.ordered()
		s.s[i].isFloat = c.Kind == KindFloat32 || c.Kind == KindFloat64
	}
	return s
}

func (s *statsSet) add(i int, v parquet.Value, null bool) {
	st := &s.s[i]
	if null {
		st.nulls++
		return
	}
	if !st.tracking {
		return
	}
	if st.isFloat {
		var f float64
		if s.cols[i].Kind == KindFloat32 {
			f = float64(v.Float())
		} else {
			f = v.Double()
		}
		if math.IsNaN(f) {
			return
		}
		if !st.seen || f < st.minF {
			st.minF = f
		}
		if !st.seen || f > st.maxF {
			st.maxF = f
		}
		st.seen = true
		return
	}
	var n int64
	if v.Kind() == parquet.Int32 {
		n = int64(v.Int32())
	} else {
		n = v.Int64()
	}
	if !st.seen || n < st.minI {
		st.minI = n
	}
	if !st.seen || n > st.maxI {
		st.maxI = n
	}
	st.seen = true
}

func (s *statsSet) result() []ColumnStats {
	out := make([]ColumnStats, len(s.cols))
	for i, c := range s.cols {
		st := s.s[i]
		out[i] = ColumnStats{Column: c, Nulls: st.nulls}
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
