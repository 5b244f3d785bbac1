package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Sample is what one timed run of an operation produced. D is the timed part only:
// an operation that needs untimed preparation measures itself.
type Sample struct {
	D     time.Duration
	Rows  int64 // rows handled, for rows/s
	Bytes int64 // output size, where there is one
	// Lock is the longest time one transaction held its locks (hard delete).
	Lock time.Duration
}

// Op is one side of a comparison.
type Op func(ctx context.Context) (Sample, error)

// timed wraps an operation whose whole run is the timed part.
func timed(f func(ctx context.Context) (rows, bytes int64, err error)) Op {
	return func(ctx context.Context) (Sample, error) {
		t0 := time.Now()
		rows, bytes, err := f(ctx)
		return Sample{D: time.Since(t0), Rows: rows, Bytes: bytes}, err
	}
}

// Stat summarises the runs of one side.
type Stat struct {
	Name       string    `json:"name"`
	MedianSec  float64   `json:"median_s"`
	RunsSec    []float64 `json:"runs_s"`
	Rows       int64     `json:"rows,omitempty"`
	RowsPerSec float64   `json:"rows_per_s,omitempty"`
	Bytes      int64     `json:"bytes,omitempty"`
	LockSec    float64   `json:"longest_lock_s,omitempty"`
}

// pair runs base and cand alternately (warm-up excluded) and returns their stats.
// The order alternates base-cand, cand-base, … so drift of a shared machine hits both.
func pair(ctx context.Context, runs, warmup int, baseName string, base Op, candName string, cand Op) (b, c Stat, err error) {
	if runs < 1 {
		runs = 1
	}
	for range warmup {
		if _, err := base(ctx); err != nil {
			return b, c, fmt.Errorf("%s (warm-up): %w", baseName, err)
		}
		if _, err := cand(ctx); err != nil {
			return b, c, fmt.Errorf("%s (warm-up): %w", candName, err)
		}
	}
	var bs, cs []Sample
	for i := range runs {
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for _, side := range order {
			if side == 0 {
				s, err := base(ctx)
				if err != nil {
					return b, c, fmt.Errorf("%s: %w", baseName, err)
				}
				bs = append(bs, s)
			} else {
				s, err := cand(ctx)
				if err != nil {
					return b, c, fmt.Errorf("%s: %w", candName, err)
				}
				cs = append(cs, s)
			}
		}
	}
	return summarise(baseName, bs), summarise(candName, cs), nil
}

// single runs one operation runs times (after warm-up) and summarises it.
func single(ctx context.Context, runs, warmup int, name string, op Op) (Stat, error) {
	for range warmup {
		if _, err := op(ctx); err != nil {
			return Stat{}, fmt.Errorf("%s (warm-up): %w", name, err)
		}
	}
	var ss []Sample
	for range max(runs, 1) {
		s, err := op(ctx)
		if err != nil {
			return Stat{}, fmt.Errorf("%s: %w", name, err)
		}
		ss = append(ss, s)
	}
	return summarise(name, ss), nil
}

func summarise(name string, ss []Sample) Stat {
	st := Stat{Name: name}
	ds := make([]float64, len(ss))
	var bytes, rows []int64
	for i, s := range ss {
		ds[i] = s.D.Seconds()
		bytes = append(bytes, s.Bytes)
		rows = append(rows, s.Rows)
		st.LockSec = max(st.LockSec, s.Lock.Seconds())
	}
	st.RunsSec = ds
	st.MedianSec = median(ds)
	st.Rows = medianInt(rows)
	st.Bytes = medianInt(bytes)
	if st.Rows > 0 && st.MedianSec > 0 {
		st.RowsPerSec = float64(st.Rows) / st.MedianSec
	}
	return st
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianInt(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
