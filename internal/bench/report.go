package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one line of the report: a candidate measured against its baseline.
type Result struct {
	Name      string `json:"name"`
	Candidate string `json:"candidate"`
	Baseline  string `json:"baseline,omitempty"`
	// Unit of CandValue and BaseValue: "s" (median seconds), "MiB" or "bytes".
	Unit      string  `json:"unit"`
	CandValue float64 `json:"candidate_value"`
	BaseValue float64 `json:"baseline_value,omitempty"`
	// Ratio compares the two by RatioOf: "time" is candidate/baseline seconds, "rows/s"
	// candidate/baseline throughput, "size" and "rss" candidate/baseline.
	Ratio   float64 `json:"ratio,omitempty"`
	RatioOf string  `json:"ratio_of,omitempty"`
	// Target is e.g. "<= 1.5" on the ratio, or "< 100" on the candidate value when
	// TargetOn is "value".
	Target   string `json:"target,omitempty"`
	TargetOn string `json:"target_on,omitempty"`
	Pass     *bool  `json:"pass,omitempty"`
	// Rows is the size measured: rows, or versions (startup) or files (review).
	Rows int64 `json:"rows,omitempty"`
	// Detail holds the raw stats of both sides and any extra figure (longest lock,
	// object sizes, dev-database time).
	Detail map[string]any `json:"detail,omitempty"`
	Note   string         `json:"note,omitempty"`
}

// evaluate sets Pass from Target.
func (r *Result) evaluate() {
	if r.Target == "" {
		return
	}
	f := strings.Fields(r.Target)
	if len(f) != 2 {
		return
	}
	want, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return
	}
	got := r.Ratio
	if r.TargetOn == "value" {
		got = r.CandValue
	}
	var ok bool
	switch f[0] {
	case "<=":
		ok = got <= want
	case "<":
		ok = got < want
	case ">=":
		ok = got >= want
	case ">":
		ok = got > want
	default:
		return
	}
	r.Pass = &ok
}

// CurvePoint is one size of a scaling curve.
type CurvePoint struct {
	Rows    int64   `json:"rows"`
	CandSec float64 `json:"candidate_s"`
	BaseSec float64 `json:"baseline_s,omitempty"`
	CandRSS float64 `json:"candidate_rss_mib,omitempty"`
	// CandGoSys is the memory the exporting child's Go runtime obtained from the OS.
	CandGoSys float64 `json:"candidate_go_sys_mib,omitempty"`
	BaseNote  string  `json:"note,omitempty"`
}

// Curve is the cost of one operation at several sizes.
type Curve struct {
	Name      string       `json:"name"`
	Candidate string       `json:"candidate"`
	Baseline  string       `json:"baseline"`
	Points    []CurvePoint `json:"points"`
	Chart     string       `json:"chart,omitempty"` // PNG file name in the output dir
}

// Report is the whole run.
type Report struct {
	Scale       string    `json:"scale"`
	Runs        int       `json:"runs"`
	Warmup      int       `json:"warmup"`
	StartedAt   time.Time `json:"started_at"`
	Seconds     float64   `json:"seconds"`
	Machine     Machine   `json:"machine"`
	Results     []Result  `json:"results"`
	Curves      []Curve   `json:"curves"`
	NotMeasured []string  `json:"not_measured,omitempty"`
}

// Machine describes where the numbers come from.
type Machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPUs       int    `json:"cpus"`
	GoVersion  string `json:"go"`
	Postgres   string `json:"postgres"`
	ServerKind string `json:"server"`
	PgDump     string `json:"pg_dump,omitempty"`
}

// Failed lists the results whose target was missed.
func (r *Report) Failed() []string {
	var out []string
	for _, x := range r.Results {
		if x.Pass != nil && !*x.Pass {
			out = append(out, x.Name)
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep targets readable: "<= 1.5"
	return enc.Encode(r)
}

// WriteText writes the aligned table.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "lsosgov bench: scale %s, %d run(s) per side after %d warm-up, medians; %s/%s %d CPU, %s, PostgreSQL %s (%s)\n\n",
		r.Scale, r.Runs, r.Warmup, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.CPUs, r.Machine.GoVersion, r.Machine.Postgres, r.Machine.ServerKind)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "measurement\tsize\tcandidate\tbaseline\tratio\ttarget\tresult\t")
	for _, x := range r.Results {
		ratio := ""
		if x.Ratio != 0 {
			ratio = fmt.Sprintf("%.2fx %s", x.Ratio, x.RatioOf)
		}
		res := "-"
		if x.Pass != nil {
			res = map[bool]string{true: "pass", false: "FAIL"}[*x.Pass]
		}
		target := x.Target
		if target != "" && x.TargetOn == "value" {
			target += " " + x.Unit
		}
		rows := ""
		if x.Rows > 0 {
			rows = humanCount(x.Rows)
		}
		base := ""
		if x.Baseline != "" {
			base = x.Baseline + " " + fmtValue(x.BaseValue, x.Unit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", x.Name, rows, x.Candidate+" "+fmtValue(x.CandValue, x.Unit), base, ratio, target, res)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range r.Results {
		if x.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", x.Name, x.Note)
		}
	}
	if len(r.Curves) > 0 {
		fmt.Fprintln(w, "\nscaling (median seconds; rss in MiB):")
		for _, c := range r.Curves {
			fmt.Fprintf(w, "  %s (%s vs %s):", c.Name, c.Candidate, c.Baseline)
			for _, p := range c.Points {
				fmt.Fprintf(w, "  %s rows %.3fs/%.3fs", humanCount(p.Rows), p.CandSec, p.BaseSec)
				if p.CandRSS > 0 {
					fmt.Fprintf(w, " rss %.0f (go %.0f)", p.CandRSS, p.CandGoSys)
				}
			}
			fmt.Fprintln(w)
		}
	}
	for _, n := range r.NotMeasured {
		fmt.Fprintf(w, "not measured: %s\n", n)
	}
	fmt.Fprintf(w, "\ntotal %.1fs\n", r.Seconds)
	return nil
}

func fmtValue(v float64, unit string) string {
	switch unit {
	case "s":
		switch {
		case v < 0.001:
			return fmt.Sprintf("%.0fµs", v*1e6)
		case v < 1:
			return fmt.Sprintf("%.1fms", v*1e3)
		default:
			return fmt.Sprintf("%.2fs", v)
		}
	case "bytes":
		return fmt.Sprintf("%.1fMiB", v/(1<<20))
	default:
		return fmt.Sprintf("%.1f%s", v, unit)
	}
}

func humanCount(n int64) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 1000 && n%100 == 0:
		return strconv.FormatFloat(float64(n)/1e3, 'f', -1, 64) + "k"
	default:
		return strconv.FormatInt(n, 10)
	}
}

func boolp(b bool) *bool { return &b }
