package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress writes one updating status line ("\r" + text, padded over the previous
// text) for long work. It is on only when stderr is a terminal: piped or captured
// output (CI logs, scripts, tests) stays free of carriage-return noise. Safe for
// concurrent use (integrity reports from several goroutines); a nil *progress is a no-op.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	on       bool
	interval time.Duration // minimum time between redraws; 0 draws every update
	last     time.Time
	width    int // length of the line on screen, to blank it out
}

// maxProgressWidth keeps the line within a usual terminal so "\r" redraws in place
// instead of wrapping.
const maxProgressWidth = 100

// newProgress returns a reporter writing to w when enabled, every update drawn.
func newProgress(w io.Writer, enabled bool) *progress {
	return &progress{w: w, on: enabled}
}

// progressFor returns a reporter on w that is enabled only when w is a terminal
// (a character device; golang.org/x/term is not a dependency of the module), redrawing
// at most ten times a second.
func progressFor(w io.Writer) *progress {
	p := newProgress(w, isTerminal(w))
	p.interval = 100 * time.Millisecond
	return p
}

func isTerminal(w io.Writer) bool {
	if r, ok := w.(redactingWriter); ok {
		w = r.w // the redaction wraps the terminal; the terminal is what counts
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Printf replaces the status line.
func (p *progress) Printf(format string, args ...any) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.interval > 0 && !p.last.IsZero() && now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	line := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	if r := []rune(line); len(r) > maxProgressWidth {
		line = string(r[:maxProgressWidth-1]) + "…"
	}
	n := len([]rune(line))
	pad := ""
	if p.width > n {
		pad = strings.Repeat(" ", p.width-n)
	}
	p.width = n
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
}

// Done blanks the status line so that the command's output starts on a clean line.
func (p *progress) Done() {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width = 0
	}
}
