package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// printStats writes what --stats reports, one line on stderr after the command: the
// wall time since start and the process's peak resident set (VmHWM, Linux only). It is
// the process's own peak: a parent's wait4 maxrss is not, since Go starts children with
// vfork semantics and exec folds the parent's high-water mark into the child's.
func printStats(w io.Writer, start time.Time) {
	line := fmt.Sprintf("govctl: stats: elapsed_s=%.3f", time.Since(start).Seconds())
	if kib, ok := peakRSSKiB(); ok {
		line += fmt.Sprintf(" peak_rss_mib=%.1f", float64(kib)/1024)
	}
	fmt.Fprintln(w, line)
}

// peakRSSKiB reads VmHWM from /proc/self/status.
func peakRSSKiB() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kib, err == nil
		}
	}
	return 0, false
}
