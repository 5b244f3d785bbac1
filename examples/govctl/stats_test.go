package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
)

// TestStatsFlagReportsElapsedAndPeakRSS: --stats adds one line on stderr with the wall
// time and the process's own peak RSS; without it nothing is added.
func TestStatsFlagReportsElapsedAndPeakRSS(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--stats", "policy", "show"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	m := regexp.MustCompile(`(?m)^govctl: stats: elapsed_s=([0-9.]+) peak_rss_mib=([0-9.]+)$`).FindStringSubmatch(errb.String())
	if m == nil {
		t.Fatalf("stderr %q: want a stats line", errb.String())
	}
	if rss, _ := strconv.ParseFloat(m[2], 64); rss < 1 {
		t.Errorf("peak RSS %s MiB: a Go process is larger than 1 MiB", m[2])
	}
	errb.Reset()
	if code := run(context.Background(), []string{"policy", "show"}, &out, &errb); code != exitOK || bytes.Contains(errb.Bytes(), []byte("stats:")) {
		t.Fatalf("without --stats: exit %d, stderr %q", code, errb.String())
	}
}
