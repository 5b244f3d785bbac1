package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBenchmarksMarkdownIsGenerated: the results in BENCHMARKS.md are exactly what the
// stored raw driver output (docs/bench/results-*.json) renders to, so no figure there is
// typed by hand. Regenerate with `go run ./internal/bench --render-md docs/bench` and
// paste between the markers.
func TestBenchmarksMarkdownIsGenerated(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "BENCHMARKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := writeMarkdown(&want, filepath.Join(root, "docs", "bench")); err != nil {
		t.Fatal(err)
	}
	got := generatedSection(string(doc))
	if got == "" {
		t.Fatal("BENCHMARKS.md has no generated section between the markers")
	}
	if got != strings.TrimSpace(want.String()) {
		t.Fatalf("BENCHMARKS.md's results differ from the stored driver output; regenerate with go run ./internal/bench --render-md docs/bench\n--- generated ---\n%s", want.String())
	}
	// Outside the generated part, no table row carries a measured figure.
	rest := strings.Replace(string(doc), got, "", 1)
	figure := regexp.MustCompile(`^\|.*\d+(\.\d+)? ?(ms|µs|s|MiB|rows/s)\b`)
	target := regexp.MustCompile(`(<|≤|>|≥)=? ?\d+(\.\d+)? ?(ms|µs|s|MiB|rows/s)\b`) // a target, not a measurement
	for i, line := range strings.Split(rest, "\n") {
		if figure.MatchString(target.ReplaceAllString(line, "")) {
			t.Errorf("BENCHMARKS.md line %d has a hand-typed measured figure outside the generated section: %s", i+1, line)
		}
	}
}

func TestRenderMarkdownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"--render-md", filepath.Join("..", "..", "docs", "bench")}, &out, &errOut); code != 0 || !strings.Contains(out.String(), mdBegin) {
		t.Fatalf("render: exit %d, %s", code, errOut.String())
	}
	if code := run(t.Context(), []string{"--render-md", t.TempDir()}, &out, &errOut); code != 2 {
		t.Fatalf("render of a directory without results: exit %d, want 2", code)
	}
}
