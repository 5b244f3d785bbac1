package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"

	"github.com/lsos/lsosgov/govtest"
)

// onTerminal runs govctl in-process with stderr on the slave side of a real
// pseudo-terminal (so isTerminal sees a character device, as with a person at a
// shell) and returns stdout and everything the terminal received.
func onTerminal(t *testing.T, args ...string) (code int, stdout, screen string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	got := make(chan []byte)
	go func() {
		var b bytes.Buffer
		_, err := io.Copy(&b, ptmx)
		// Reading the master after the slave closes ends with EIO on Linux.
		if err != nil && !errors.Is(err, syscall.EIO) && !errors.Is(err, os.ErrClosed) {
			t.Errorf("read terminal: %v", err)
		}
		got <- b.Bytes()
	}()
	var out bytes.Buffer
	code = run(context.Background(), args, &out, tty)
	tty.Close()
	return code, out.String(), string(<-got)
}

// The progress line is drawn on a real terminal: "\r" redraws of one status line,
// blanked before the report, and never on stdout (which scripts capture).
func TestProgressOnRealTerminal(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-integrity-sample", integritySetup)
	code, out, screen := onTerminal(t, "--database-url", url, "integrity", "check", "--now=2026-03-15T12:00:00Z")
	if code != 0 {
		t.Fatalf("integrity check on a terminal: exit %d\nstdout %q\nterminal %q", code, out, screen)
	}
	if !regexp.MustCompile(`\rintegrity: [a-z-]+ \S+ \d+/\d+`).MatchString(screen) {
		t.Fatalf("no progress line on the terminal: %q", screen)
	}
	// The status line is blanked and the cursor returned before anything else is
	// written, so the summary line starts clean; the redraws themselves never add a
	// line (the terminal shows "\r\n" for the summary's "\n").
	m := regexp.MustCompile(`^(\r[^\r\n]+)+\r +\r(govctl: [^\r\n]+)\r\n$`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("want status redraws, a blanked line, then the summary on a clean line; the terminal got %q", screen)
	}
	if !strings.HasPrefix(m[2], "govctl: 9 check(s), 0 finding(s)") {
		t.Fatalf("summary line: %q", m[2])
	}
	if strings.Contains(out, "\r") {
		t.Fatalf("carriage return in stdout: %q", out)
	}

	// The same command with stderr on a pipe (CI logs, scripts) shows no progress.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	piped := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); piped <- b }()
	var out2 bytes.Buffer
	code = run(context.Background(), []string{"--database-url", url, "integrity", "check", "--now=2026-03-15T12:00:00Z"}, &out2, w)
	w.Close()
	if b := string(<-piped); code != 0 || strings.Contains(b, "\r") || !strings.HasPrefix(b, "govctl: 9 check(s)") {
		t.Fatalf("stderr on a pipe: exit %d, want only the summary, got %q", code, b)
	}
	if out2.String() != out {
		t.Fatalf("report differs between terminal and pipe:\n%q\n%q", out, out2.String())
	}
}

// migrate up draws its own line per version on a terminal.
func TestMigrateProgressOnRealTerminal(t *testing.T) {
	url := govtest.URL(t)
	code, out, screen := onTerminal(t, "--database-url", url, "migrate", "up", "--dir", "../lsos/migrations")
	if code != 0 {
		t.Fatalf("migrate up on a terminal: exit %d\nstdout %q\nterminal %q", code, out, screen)
	}
	// slog lines share stderr (the terminal turns their "\n" into "\r\n"); the status
	// line is the "\r" redraw naming the version and statement.
	if !regexp.MustCompile(`\rmigrate: up \d{14}_[a-z0-9_]+ \S+, statement \d+/\d+`).MatchString(screen) {
		t.Fatalf("no migrate progress line on the terminal: %q", screen)
	}
	if strings.Contains(out, "\r") {
		t.Fatalf("carriage return in stdout: %q", out)
	}
}
