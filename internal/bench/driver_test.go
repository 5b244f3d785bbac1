package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve the export child the driver re-executes itself
// as (os.Executable is the test binary here).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestDriverSmall runs every measurement at the small scale against a real server and
// checks that each one produced numbers, that the JSON decodes and the charts are PNGs.
// It asserts nothing about timings.
func TestDriverSmall(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code := run(ctx, []string{"--scale", "small", "--json", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	var rep Report
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v", err)
	}
	if len(rep.NotMeasured) > 0 {
		t.Errorf("not measured: %v", rep.NotMeasured)
	}
	if rep.Scale != "small" || rep.Machine.Postgres == "" || rep.Machine.CPUs == 0 {
		t.Errorf("report header: scale %q, machine %+v", rep.Scale, rep.Machine)
	}
	want := []string{
		"startup-noop", "startup-noop-load", "up-noop", "archive-export-vs-copy", "archive-export-vs-pg_dump", "archive-export-size-vs-pg_dump",
		"archive-export-peak-rss@10k", "archive-export-peak-rss@50k", "archive-export-rss-flat",
		"archive-e2e-vs-copy@10k", "archive-run-peak-rss@10k-file", "archive-e2e-s3-vs-copy@10k", "archive-run-peak-rss@10k-s3",
		"archive-e2e-vs-copy@50k", "archive-run-peak-rss@50k-file", "archive-e2e-s3-vs-copy@50k", "archive-run-peak-rss@50k-s3",
		"restore-vs-copy-from",
		"integrity-orphans", "integrity-duplicates", "integrity-sample-full-check", "classify-growth", "tenant-hard-delete", "migration-review",
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Name)
		if r.CandValue <= 0 {
			t.Errorf("%s: candidate value %v", r.Name, r.CandValue)
		}
		if r.Baseline != "" && r.BaseValue <= 0 {
			t.Errorf("%s: baseline value %v", r.Name, r.BaseValue)
		}
		if r.RatioOf != "" && r.Ratio <= 0 {
			t.Errorf("%s: ratio %v", r.Name, r.Ratio)
		}
		if r.Target != "" && r.Pass == nil {
			t.Errorf("%s: target %q not evaluated", r.Name, r.Target)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("results:\n got %v\nwant %v", got, want)
	}
	if r := find(rep.Results, "tenant-hard-delete"); r != nil {
		if d, _ := r.Detail["longest_lock_batched_s"].(float64); d <= 0 {
			t.Errorf("hard delete: no longest batch lock in %v", r.Detail)
		}
	}
	curves := map[string]bool{}
	for _, c := range rep.Curves {
		curves[c.Name] = true
		if len(c.Points) != 3 {
			t.Errorf("curve %s: %d points, want 3", c.Name, len(c.Points))
		}
		for _, p := range c.Points {
			if p.Rows <= 0 || p.CandSec <= 0 || p.BaseSec <= 0 {
				t.Errorf("curve %s: point %+v", c.Name, p)
			}
			if c.Name == "archive-export" && p.CandRSS <= 0 {
				t.Errorf("curve %s: no RSS at %d rows", c.Name, p.Rows)
			}
		}
		checkPNG(t, filepath.Join(out, c.Chart))
	}
	for _, n := range []string{"archive-export", "integrity-orphans", "integrity-duplicates", "hard-delete"} {
		if !curves[n] {
			t.Errorf("no curve %s", n)
		}
	}
	checkPNG(t, filepath.Join(out, "archive-export-rss.png"))
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var saved Report
	if err := json.Unmarshal(b, &saved); err != nil || len(saved.Results) != len(rep.Results) {
		t.Errorf("results.json: %d results, %v", len(saved.Results), err)
	}
}

func find(rs []Result, name string) *Result {
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i]
		}
	}
	return nil
}

func checkPNG(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width < 100 || cfg.Height < 100 {
		t.Errorf("%s: not a chart: %+v, %v", file, cfg, err)
	}
}

// TestUsage: bad flags exit 2 with a message naming the problem, before any server starts.
func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--scale", "huge"}, `unknown scale "huge"`},
		{[]string{"--only", "startup,nope"}, `unknown measurement "nope"`},
		{[]string{"--runs", "-1"}, "--runs must be at least 1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--cpuprofile", "/nonexistent-lsos-dir/cpu.prof"}, "--cpuprofile"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.msg)
		}
	}
}

// TestPairAlternates: runs alternate base-cand, cand-base, … after the warm-up, and the
// medians come from the timed runs only.
func TestPairAlternates(t *testing.T) {
	var order []string
	op := func(name string, d time.Duration) Op {
		return func(context.Context) (Sample, error) {
			order = append(order, name)
			return Sample{D: d, Rows: 10}, nil
		}
	}
	b, c, err := pair(context.Background(), 4, 1, "b", op("b", time.Second), "c", op("c", 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if want := "b c b c c b b c c b"; strings.Join(order, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(order, " "), want)
	}
	if len(b.RunsSec) != 4 || b.MedianSec != 1 || c.MedianSec != 2 || c.RowsPerSec != 5 {
		t.Errorf("stats: %+v %+v", b, c)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		pass bool
	}{
		{Result{Ratio: 1.4, Target: "<= 1.5"}, true},
		{Result{Ratio: 1.6, Target: "<= 1.5"}, false},
		{Result{Ratio: 0.79, Target: ">= 0.8"}, false},
		{Result{Ratio: 0.99, Target: "< 1"}, true},
		{Result{CandValue: 120, Ratio: 0.5, Target: "< 100", TargetOn: "value"}, false},
	} {
		tc.r.evaluate()
		if tc.r.Pass == nil || *tc.r.Pass != tc.pass {
			t.Errorf("%+v: pass %v, want %v", tc.r, tc.r.Pass, tc.pass)
		}
	}
}
