package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// benchArchive measures the archive export (the export step of archive.Run: the
// partition streamed into Parquet in a file:// bucket) against a raw binary COPY TO
// STDOUT read through pgx and against pg_dump -Fc of the partition, its peak RSS in a
// child process, and the curve over three partition sizes.
func (e *env) benchArchive(ctx context.Context) error {
	sz := e.cfg.Sizes
	db, err := e.newDB(ctx, "archive", "")
	if err != nil {
		return err
	}
	defer e.drop(db)
	if err := execAll(ctx, db.pool, snapDDL); err != nil {
		return err
	}
	parts := make([]sqlident.Name, len(sz.ArchiveRows))
	for i, n := range sz.ArchiveRows {
		e.cfg.Logf("archive: loading %d rows", n)
		if parts[i], err = snapPartition(ctx, db.pool, i, n); err != nil {
			return err
		}
	}
	objDir := filepath.Join(e.tmp, "archive-objects")
	bucket, err := parquetio.OpenBucket(ctx, "file://"+objDir)
	if err != nil {
		return err
	}
	defer bucket.Close()

	export := func(p sqlident.Name) Op {
		return timed(func(ctx context.Context) (int64, int64, error) {
			key := "bench/" + p.Name + ".parquet"
			res, err := parquetio.Export(ctx, db.pool, "SELECT * FROM "+p.Quoted(), nil, bucket, key, parquetio.Options{})
			if err != nil {
				return 0, 0, err
			}
			return res.Rows, res.Bytes, bucket.Delete(ctx, key)
		})
	}
	copyOut := func(p sqlident.Name) Op {
		return timed(func(ctx context.Context) (int64, int64, error) { return copyBinary(ctx, db, p, io.Discard) })
	}

	var curve = Curve{Name: "archive-export", Candidate: "archive export (Parquet)", Baseline: "COPY binary"}
	for i, p := range parts {
		n := sz.ArchiveRows[i]
		main := n == sz.ArchiveMain
		runs, warm := sz.CurveRuns, 0
		if main {
			runs, warm = e.cfg.Runs, e.cfg.Warmup
		}
		e.cfg.Logf("archive: export vs COPY at %d rows", n)
		b, c, err := pair(ctx, runs, warm, "COPY binary", copyOut(p), "archive export", export(p))
		if err != nil {
			return err
		}
		if err := sameRows(n, b, c); err != nil {
			return err
		}
		rss, goSys, err := e.exportRSS(ctx, db.url, p)
		if err != nil {
			return err
		}
		curve.Points = append(curve.Points, CurvePoint{Rows: n, CandSec: c.MedianSec, BaseSec: b.MedianSec, CandRSS: rss, CandGoSys: goSys})
		if !main {
			continue
		}
		e.add(Result{
			Name: "archive-export-vs-copy", Candidate: "export", Baseline: "COPY binary", Unit: "s", Rows: n,
			CandValue: c.MedianSec, BaseValue: b.MedianSec, Ratio: c.RowsPerSec / b.RowsPerSec, RatioOf: "rows/s",
			Target: ">= 0.8", Detail: map[string]any{"candidate": c, "baseline": b},
			Note: fmt.Sprintf("export %.0f rows/s into a %.1f MiB object; COPY binary %.0f rows/s read through pgx and discarded",
				c.RowsPerSec, float64(c.Bytes)/(1<<20), b.RowsPerSec),
		})
		if err := e.versusPgDump(ctx, db, p, n, export(p)); err != nil {
			return err
		}
	}
	idle, idleGo, err := e.exportRSS(ctx, db.url, sqlident.Name{Name: idleChild})
	if err != nil {
		return err
	}
	for i, p := range curve.Points {
		for _, at := range sz.RSSAt {
			if p.Rows == at {
				e.add(Result{
					Name: "archive-export-peak-rss@" + humanCount(at), Candidate: "export", Baseline: "idle child", Unit: "MiB", Rows: at,
					CandValue: p.CandRSS, BaseValue: idle, Target: "< 100", TargetOn: "value",
					Detail: map[string]any{"go_sys_mib": p.CandGoSys, "idle_go_sys_mib": idleGo},
					Note: fmt.Sprintf("max RSS of a child process running one export, whole process (idle: the same binary connected, no export); "+
						"Go runtime memory from the OS %.1f MiB (idle %.1f MiB)", p.CandGoSys, idleGo),
				})
			}
		}
		if i == len(curve.Points)-1 && len(curve.Points) > 1 {
			first := curve.Points[0]
			e.add(Result{
				Name: "archive-export-rss-flat", Candidate: "rss@" + humanCount(p.Rows), Baseline: "rss@" + humanCount(first.Rows),
				Unit: "MiB", Rows: p.Rows, CandValue: p.CandRSS, BaseValue: first.CandRSS, Ratio: p.CandRSS / first.CandRSS,
				RatioOf: "rss", Target: "<= 1.5",
				Note: fmt.Sprintf("peak RSS at %dx the rows; flat memory keeps this near 1", p.Rows/max(first.Rows, 1)),
			})
		}
	}
	e.rep.Curves = append(e.rep.Curves, curve)
	return nil
}

// versusPgDump compares the export with pg_dump -Fc -t partition: time and size.
func (e *env) versusPgDump(ctx context.Context, db *database, p sqlident.Name, n int64, export Op) error {
	if e.pgBin == "" {
		e.rep.NotMeasured = append(e.rep.NotMeasured, "archive-export-vs-pg_dump (no pg_dump of the server's major version found)")
		return nil
	}
	out := filepath.Join(e.tmp, "partition.dump")
	dump := timed(func(ctx context.Context) (int64, int64, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(e.pgBin, "pg_dump"), "-Fc", "-t", p.String(), "-f", out, "--dbname="+db.url)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return 0, 0, fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(stderr.String()))
		}
		fi, err := os.Stat(out)
		if err != nil {
			return 0, 0, err
		}
		return n, fi.Size(), os.Remove(out)
	})
	b, c, err := pair(ctx, e.cfg.Runs, e.cfg.Warmup, "pg_dump -Fc", dump, "archive export", export)
	if err != nil {
		return err
	}
	e.add(Result{
		Name: "archive-export-vs-pg_dump", Candidate: "export", Baseline: "pg_dump -Fc", Unit: "s", Rows: n,
		CandValue: c.MedianSec, BaseValue: b.MedianSec, Ratio: c.MedianSec / b.MedianSec, RatioOf: "time", Target: "< 1",
		Detail: map[string]any{"candidate": c, "baseline": b},
	})
	e.add(Result{
		Name: "archive-export-size-vs-pg_dump", Candidate: "Parquet zstd", Baseline: "pg_dump -Fc", Unit: "bytes", Rows: n,
		CandValue: float64(c.Bytes), BaseValue: float64(b.Bytes), Ratio: float64(c.Bytes) / float64(b.Bytes), RatioOf: "size", Target: "< 1",
	})
	return nil
}

// copyBinary reads the partition with COPY … TO STDOUT (FORMAT binary) through pgx.
func copyBinary(ctx context.Context, db *database, p sqlident.Name, w io.Writer) (rows, bytes int64, err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	cw := &countWriter{w: w}
	tag, err := conn.Conn().PgConn().CopyTo(ctx, cw, "COPY "+p.Quoted()+" TO STDOUT (FORMAT binary)")
	return tag.RowsAffected(), cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func sameRows(want int64, ss ...Stat) error {
	for _, s := range ss {
		if s.Rows != want {
			return fmt.Errorf("%s handled %d rows, want %d", s.Name, s.Rows, want)
		}
	}
	return nil
}

// maxRSS is a finished child's peak resident set in KiB (Linux reports ru_maxrss in KiB).
func maxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}

// idleChild as the partition makes the child connect and exit: the RSS floor of the
// process (Go runtime and the binary's packages) without any export.
const idleChild = "-idle-"

// vmHWM returns this process's peak resident set in KiB, or 0 where /proc is missing.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
				return kib
			}
		}
	}
	return 0
}

// childCommand is the hidden sub-command that runs one export in a process of its own,
// so its peak RSS is the export's and nothing else's.
const childCommand = "__export-child"

type childResult struct {
	Rows  int64   `json:"rows"`
	Bytes int64   `json:"bytes"`
	Sec   float64 `json:"seconds"`
	// GoSys is the memory the Go runtime obtained from the OS (runtime.MemStats.Sys),
	// which does not shrink: the export's own footprint, without the binary's pages.
	GoSys uint64 `json:"go_sys"`
	// HWM is the child's own peak RSS in KiB (VmHWM of /proc/self/status).
	HWM int64 `json:"vm_hwm_kib"`
}

// exportRSS re-executes this binary (the driver, or the test binary, whose TestMain
// dispatches the same sub-command) to export partition p, and returns its peak RSS in
// MiB, with the memory its Go runtime obtained from the OS.
func (e *env) exportRSS(ctx context.Context, url string, p sqlident.Name) (rss, goSys float64, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	dir := filepath.Join(e.tmp, "rss-objects")
	arg := p.String()
	if p.Name == idleChild {
		arg = idleChild
	}
	cmd := exec.CommandContext(ctx, exe, childCommand, url, arg, dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("export child: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var res childResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return 0, 0, fmt.Errorf("export child: bad output %q: %w", stdout.String(), err)
	}
	_ = os.RemoveAll(dir)
	// The child's ru_maxrss from wait4 is not its own peak: Go starts children with
	// vfork semantics (CLONE_VM), and at exec Linux folds the high-water RSS of the
	// memory it leaves, the parent's, into the child's maxrss. So the child reads its
	// own VmHWM (the peak of its post-exec address space) and maxrss is the fallback.
	kib := res.HWM
	if kib <= 0 {
		kib = maxRSS(cmd.ProcessState)
	}
	return float64(kib) / 1024, float64(res.GoSys) / (1 << 20), nil
}

// childMain runs the export of one partition: args are URL, partition, bucket dir.
func childMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 3 {
		fmt.Fprintf(stderr, "%s URL PARTITION DIR\n", childCommand)
		return 2
	}
	ctx := context.Background()
	name := sqlident.Name{Name: idleChild}
	if args[1] != idleChild {
		var err error
		if name, err = sqlident.Parse(args[1], "public"); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	}
	res, err := childExport(ctx, args[0], name, args[2])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.GoSys = ms.Sys
	res.HWM = vmHWM()
	_ = json.NewEncoder(stdout).Encode(res)
	return 0
}

func childExport(ctx context.Context, url string, p sqlident.Name, dir string) (childResult, error) {
	conn, err := pgxConnect(ctx, url)
	if err != nil {
		return childResult{}, err
	}
	defer conn.Close(ctx)
	if p.Name == idleChild {
		// The baseline: the same process connected, exporting nothing.
		var one int64
		return childResult{Rows: 0}, conn.QueryRow(ctx, "SELECT 1").Scan(&one)
	}
	var bucket *blob.Bucket
	if bucket, err = parquetio.OpenBucket(ctx, "file://"+dir); err != nil {
		return childResult{}, err
	}
	defer bucket.Close()
	t0 := time.Now()
	res, err := parquetio.Export(ctx, conn, "SELECT * FROM "+p.Quoted(), nil, bucket, "rss.parquet", parquetio.Options{})
	return childResult{Rows: res.Rows, Bytes: res.Bytes, Sec: time.Since(t0).Seconds()}, err
}
