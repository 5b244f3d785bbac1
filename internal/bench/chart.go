package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// writeOut writes results.json and one PNG per curve (plus the export's peak RSS)
// into the output directory.
func (e *env) writeOut() error {
	out := e.cfg.Out
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("bench: output dir: %w", err)
	}
	for i := range e.rep.Curves {
		c := &e.rep.Curves[i]
		if len(c.Points) == 0 {
			continue
		}
		c.Chart = c.Name + ".png"
		if err := timeChart(filepath.Join(out, c.Chart), *c, e.rep.Scale); err != nil {
			return err
		}
		if c.Name == "archive-export" {
			if err := rssChart(filepath.Join(out, "archive-export-rss.png"), *c, e.rep.Scale); err != nil {
				return err
			}
		}
	}
	f, err := os.Create(filepath.Join(out, "results.json"))
	if err != nil {
		return err
	}
	if err := e.rep.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// timeChart plots median seconds against rows for both sides, on log-log axes: a cost
// linear in rows is a straight line of slope 1, and the gap between the lines is the
// ratio.
func timeChart(file string, c Curve, scale string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %s vs %s (scale %s)", c.Name, c.Candidate, c.Baseline, scale)
	p.Title.Padding = vg.Points(12)
	p.X.Label.Text = "rows"
	p.Y.Label.Text = "median seconds"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = rowTicks(c.Points), plot.TickerFunc(logTicks125)
	cand, base := make(plotter.XYs, len(c.Points)), make(plotter.XYs, len(c.Points))
	for i, pt := range c.Points {
		cand[i] = plotter.XY{X: float64(max(pt.Rows, 1)), Y: max(pt.CandSec, 1e-6)}
		base[i] = plotter.XY{X: float64(max(pt.Rows, 1)), Y: max(pt.BaseSec, 1e-6)}
	}
	p.Legend.Top, p.Legend.Left = true, true
	if err := plotutil.AddLinePoints(p, c.Candidate, cand, c.Baseline, base); err != nil {
		return err
	}
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, file)
}

// rssChart plots the export's peak RSS against partition rows (log x, linear y from 0).
func rssChart(file string, c Curve, scale string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("archive export peak RSS (scale %s)", scale)
	p.Title.Padding = vg.Points(12)
	p.X.Label.Text = "partition rows"
	p.Y.Label.Text = "max RSS of the exporting process (MiB)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = rowTicks(c.Points)
	xy := make(plotter.XYs, len(c.Points))
	top := 100.0
	for i, pt := range c.Points {
		xy[i] = plotter.XY{X: float64(max(pt.Rows, 1)), Y: pt.CandRSS}
		top = max(top, pt.CandRSS)
	}
	p.Y.Min, p.Y.Max = 0, top*1.1
	limit := plotter.NewFunction(func(float64) float64 { return 100 })
	limit.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(limit)
	p.Legend.Add("target < 100 MiB", limit)
	p.Legend.Top = true
	if err := plotutil.AddLinePoints(p, "peak RSS", xy); err != nil {
		return err
	}
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, file)
}

// rowTicks labels the x axis at the measured sizes ("200k", "2M"), which log ticks at
// powers of ten would mostly leave unlabelled.
func rowTicks(pts []CurvePoint) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, len(pts))
	for i, p := range pts {
		ticks[i] = plot.Tick{Value: float64(max(p.Rows, 1)), Label: humanCount(p.Rows)}
	}
	return ticks
}

// logTicks125 labels a log axis at 1, 2 and 5 times each power of ten in range, so a
// curve spanning less than a decade still gets labels.
func logTicks125(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return ticks
}
