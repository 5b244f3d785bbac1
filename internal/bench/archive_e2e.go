package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lsos/lsosgov/internal/s3test"
)

// e2eNow is the clock passed to govctl: January 2024 is then past every snapshot
// retention (13 months), so the partition is eligible.
const e2eNow = "2026-12-01T00:00:00Z"

// e2ePartition is the partition archived by every candidate run and read by every
// baseline run, recreated (untimed) whenever a run finds it missing.
const e2ePartition = "ranking_snapshots_2024_01"

// benchArchiveE2E measures archiving one monthly partition end to end as an operator
// does it, whole process: `govctl archive run` (start, eligibility, export, verify,
// manifest, detach, drop, exit) against `psql \copy (select * from partition) to
// /dev/null with (format binary)` on the same server, alternating, medians. The file://
// store is the headline; a real S3 server (SeaweedFS, when its binary is built) is the
// second candidate. Both report the process's own peak RSS (govctl --stats).
func (e *env) benchArchiveE2E(ctx context.Context) error {
	psql, err := e.psqlPath()
	if err != nil {
		e.rep.NotMeasured = append(e.rep.NotMeasured, "archive-e2e ("+err.Error()+")")
		return nil
	}
	govctl := filepath.Join(e.tmp, "govctl")
	e.cfg.Logf("archive-e2e: building govctl")
	build := exec.CommandContext(ctx, "go", "build", "-o", govctl, "github.com/lsos/lsosgov/examples/govctl")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build govctl: %v: %s", err, bytes.TrimSpace(out))
	}
	db, err := e.newDB(ctx, "archive_e2e", "")
	if err != nil {
		return err
	}
	defer e.drop(db)
	if err := execAll(ctx, db.pool, strings.Replace(snapDDL, "CREATE TABLE snap", "CREATE TABLE ranking_snapshots", 1)); err != nil {
		return err
	}
	type store struct {
		name, url string
		env       []string // the store's credentials, for govctl
	}
	stores := []store{{name: "file", url: "file://" + filepath.Join(e.tmp, "e2e-objects")}}
	if srv, err := s3test.Start(ctx, s3test.Options{}); err != nil {
		e.rep.NotMeasured = append(e.rep.NotMeasured, "archive-e2e with S3 (SeaweedFS did not start: "+firstLine(err.Error())+")")
	} else {
		defer srv.Stop()
		if err := srv.CreateBucket(ctx, "e2e"); err != nil {
			return err
		}
		stores = append(stores, store{name: "s3", url: srv.URL("e2e"), env: srv.Env()})
	}

	sz := e.cfg.Sizes
	sizes := []int64{sz.ArchiveMain}
	if last := sz.ArchiveRows[len(sz.ArchiveRows)-1]; last > sz.ArchiveMain {
		sizes = append(sizes, last)
	}
	for _, n := range sizes {
		main := n == sz.ArchiveMain
		runs, warm := sz.CurveRuns, 0
		if main {
			runs, warm = e.cfg.Runs, e.cfg.Warmup
		}
		e.cfg.Logf("archive-e2e: loading a %d-row template", n)
		tpl := fmt.Sprintf("e2e_rows_%d", n)
		if err := execAll(ctx, db.pool,
			fmt.Sprintf(`CREATE TABLE %s AS
				SELECT (g / 28) %% 10 + 1 AS tenant_id, g / 28 AS keyword_id, DATE '2024-01-01' + (g %% 28)::int AS captured_on, (g %% 100) + 1 AS position,
				       'https://www.example.com/' || ((g / 28) %% 5000) || '/landing-page?ref=serp' AS url,
				       jsonb_build_object('ads', g %% 4, 'local_pack', g %% 3 = 0, 'rank_delta', (g %% 7) - 3) AS serp_features
				FROM generate_series(0, %d) g`, tpl, n-1)); err != nil {
			return err
		}
		// ensure recreates the partition from the template when a candidate run dropped
		// it, vacuumed and analysed like an old month, so both sides read it warm.
		ensure := func(ctx context.Context) error {
			var exists bool
			if err := db.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, e2ePartition).Scan(&exists); err != nil || exists {
				return err
			}
			if err := execAll(ctx, db.pool,
				`CREATE TABLE `+e2ePartition+` PARTITION OF ranking_snapshots FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')`,
				`INSERT INTO `+e2ePartition+` SELECT * FROM `+tpl,
				`VACUUM (ANALYZE) `+e2ePartition); err != nil {
				return err
			}
			// The load leaves gigabytes of dirty buffers at 20M rows: without a checkpoint
			// here the server writes them out during whichever timed run comes next.
			if _, err := db.pool.Exec(ctx, `CHECKPOINT`); err != nil {
				return fmt.Errorf("CHECKPOINT after loading the partition (the role needs pg_checkpoint or superuser): %w", err)
			}
			return nil
		}
		var copyCPU, copyMachine []float64
		copyOp := func(ctx context.Context) (Sample, error) {
			if err := ensure(ctx); err != nil {
				return Sample{}, err
			}
			m0 := machineBusy()
			t0 := time.Now()
			cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url,
				"-c", `\copy (select * from `+e2ePartition+`) to /dev/null with (format binary)`)
			if out, err := cmd.CombinedOutput(); err != nil {
				return Sample{}, fmt.Errorf("psql: %v: %s", err, bytes.TrimSpace(out))
			}
			d := time.Since(t0)
			copyCPU = append(copyCPU, processCPU(cmd.ProcessState))
			copyMachine = append(copyMachine, machineBusy()-m0)
			return Sample{D: d, Rows: n}, nil
		}
		for _, st := range stores {
			var peaks, cpu, machine []float64
			copyCPU, copyMachine = nil, nil
			archiveOp := func(ctx context.Context) (Sample, error) {
				if err := ensure(ctx); err != nil {
					return Sample{}, err
				}
				m0 := machineBusy()
				t0 := time.Now()
				cmd := exec.CommandContext(ctx, govctl, "--database-url", db.url, "--stats",
					"archive", "run", "--table", "ranking_snapshots", "--store", st.url, "--now", e2eNow)
				cmd.Env = append(os.Environ(), st.env...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				d := time.Since(t0)
				cpu = append(cpu, processCPU(cmd.ProcessState))
				machine = append(machine, machineBusy()-m0)
				if err != nil {
					return Sample{}, fmt.Errorf("govctl archive run: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
				}
				rows, err := archivedRows(stdout.String())
				if err != nil {
					return Sample{}, err
				}
				peak, err := statsPeakRSS(stderr.String())
				if err != nil {
					return Sample{}, err
				}
				peaks = append(peaks, peak)
				return Sample{D: d, Rows: rows}, nil
			}
			e.cfg.Logf("archive-e2e: govctl archive run (%s) vs psql \\copy at %d rows", st.name, n)
			b, c, err := pair(ctx, runs, warm, "psql \\copy binary", copyOp, "govctl archive run", archiveOp)
			if err != nil {
				return err
			}
			if err := sameRows(n, b, c); err != nil {
				return err
			}
			peak := 0.0
			for _, p := range peaks {
				peak = max(peak, p)
			}
			at := humanCount(n)
			r := Result{
				Name: "archive-e2e-vs-copy@" + at, Candidate: "govctl archive run (" + st.name + ")", Baseline: "psql \\copy binary",
				Unit: "s", Rows: n, CandValue: c.MedianSec, BaseValue: b.MedianSec, Ratio: c.RowsPerSec / b.RowsPerSec, RatioOf: "rows/s",
				Detail: map[string]any{"candidate": c, "baseline": b, "peak_rss_mib": peaks,
					// CPU seconds of the client process, and of the whole machine (server,
					// client and anything else) while the run lasted: on a small machine
					// the candidate's client work competes with the server for the cores.
					"candidate_process_cpu_s": cpu, "baseline_process_cpu_s": copyCPU,
					"candidate_machine_cpu_s": machine, "baseline_machine_cpu_s": copyMachine},
				Note: fmt.Sprintf("whole processes on the same server: govctl archive run (eligibility, export, verify, manifest, detach, drop) %.0f rows/s; "+
					"psql \\copy (select * from partition) to /dev/null with (format binary) %.0f rows/s", c.RowsPerSec, b.RowsPerSec),
			}
			if st.name == "s3" {
				r.Name = "archive-e2e-s3-vs-copy@" + at
			}
			if main && st.name == "file" {
				r.Target = ">= 0.8"
			}
			e.add(r)
			e.add(Result{
				Name: "archive-run-peak-rss@" + at + "-" + st.name, Candidate: "govctl archive run (" + st.name + ")", Unit: "MiB", Rows: n,
				CandValue: peak, Target: "< 100", TargetOn: "value",
				Note: "the highest VmHWM of the govctl process over the runs (govctl --stats), whole process",
			})
		}
	}
	return nil
}

// processCPU is a finished process's user and system CPU time in seconds.
func processCPU(ps *os.ProcessState) float64 {
	if ps == nil {
		return 0
	}
	return (ps.UserTime() + ps.SystemTime()).Seconds()
}

// machineBusy is the CPU time every core of the machine spent busy since boot, in
// seconds (/proc/stat: all but idle and iowait; 0 where /proc is missing).
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	// user nice system idle iowait irq softirq steal; guest time is already in user.
	for i, v := range f[1:min(len(f), 9)] {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += x
		}
	}
	return busy / 100 // USER_HZ
}

// psqlPath finds psql: the server's bindir first, then PATH.
func (e *env) psqlPath() (string, error) {
	if e.pgBin != "" {
		if p := filepath.Join(e.pgBin, "psql"); fileExists(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("psql"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no psql found in the server's bindir or PATH")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

var archivedLine = regexp.MustCompile(`(?m)^archived (\d+) partition\(s\), (\d+) row\(s\)$`)

// archivedRows reads the rows archived from govctl archive run's text output, which
// must report exactly one partition.
func archivedRows(out string) (int64, error) {
	m := archivedLine.FindStringSubmatch(out)
	if m == nil || m[1] != "1" {
		return 0, fmt.Errorf("govctl archive run did not archive one partition: %q", out)
	}
	return strconv.ParseInt(m[2], 10, 64)
}

var statsLine = regexp.MustCompile(`(?m)^govctl: stats: elapsed_s=[0-9.]+ peak_rss_mib=([0-9.]+)$`)

// statsPeakRSS reads the peak RSS from govctl --stats.
func statsPeakRSS(stderr string) (float64, error) {
	m := statsLine.FindStringSubmatch(stderr)
	if m == nil {
		return 0, fmt.Errorf("govctl --stats printed no peak RSS: %q", stderr)
	}
	return strconv.ParseFloat(m[1], 64)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
