// Command govctl is a CLI over the lsosgov API: policy, migrations, classification,
// integrity, retention, archive and tenant offboarding.
//
//	go run ./examples/govctl [global flags] <command> [args]
//
// Global flags: --database-url (default $DATABASE_URL), --policy FILE (default: the
// built-in policy), --format text|json|markdown, --stats (wall time and peak RSS on
// stderr after the command). Exit codes: 0 success and no
// error-severity finding; 1 error-severity findings or a failed operation; 2 bad usage or
// bad input, with a one-line message on stderr naming the problem.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/redact"
)

// defaultMemoryLimit is govctl's soft Go heap limit unless GOMEMLIMIT is set.
const defaultMemoryLimit = 64 << 20

// Exit codes (docs/DESIGN.md contract).
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// usageError marks bad usage or bad input: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// failedError marks error-severity findings or a failed operation already reported: exit 1.
var errFindings = errors.New("error-severity findings")

// env is what every command gets: parsed global flags and output streams.
type env struct {
	databaseURL string
	policyFile  string
	format      string
	policy      *governance.Policy
	stdout      io.Writer
	stderr      io.Writer
}

// command is one govctl command (or group, dispatching on its first argument).
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands is the command table; each file adds its group here.
func commands() map[string]command {
	return map[string]command{
		"policy": {summary: "policy show|validate FILE: print or check a policy", run: runPolicy},

		"integrity": {summary: integrityUsage, run: runIntegrity},

		"classify": {summary: classifyUsage, run: runClassify},

		"retention": {summary: retentionUsage, run: runRetention},
		"tenant":    {summary: tenantUsage, run: runTenant},
		"archive":   {summary: archiveUsage, run: runArchive},
		"migrate":   {summary: migrateUsage, run: runMigrate},
	}
}

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft cap on the Go heap: an archive run's live data is a row group and the
		// upload buffers, well under it, so the cap only trims the garbage the collector
		// would otherwise let pile up to twice the live heap, and keeps a run of any
		// partition size under 100 MiB resident. GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	stderr = redactingWriter{stderr}
	e := &env{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("govctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&e.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (default $DATABASE_URL)")
	fs.StringVar(&e.policyFile, "policy", "", "policy file (YAML or JSON, merged over the built-in policy)")
	fs.StringVar(&e.format, "format", "text", "output format: text, json or markdown")
	stats := fs.Bool("stats", false, "after the command, print its wall time and the process's peak RSS on stderr")
	start := time.Now()
	cmds := commands()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs, cmds)
			return exitOK
		}
		fmt.Fprintf(stderr, "govctl: %v\n", err)
		return exitUsage
	}
	rest := fs.Args()
	// Help comes before format checks, policy loading and the command's own flags, so it
	// works whatever else is on the command line.
	if topic, sub, ok := helpRequest(rest); ok {
		return exitCode(printHelp(stdout, topic, sub), stderr)
	}
	if len(rest) == 0 || rest[0] == "help" {
		printUsage(stdout, fs, cmds)
		if len(rest) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch e.format {
	case "text", "json", "markdown":
	default:
		fmt.Fprintf(stderr, "govctl: --format %q: want text, json or markdown\n", e.format)
		return exitUsage
	}
	cmd, ok := cmds[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "govctl: unknown command %q (run govctl help for the list)\n", rest[0])
		return exitUsage
	}
	e.policy = governance.Default()
	if e.policyFile != "" {
		p, err := governance.Load(e.policyFile)
		if err != nil {
			fmt.Fprintf(stderr, "govctl: %s\n", oneLine(err))
			return exitUsage
		}
		e.policy = p
	}
	code := exitCode(cmd.run(ctx, e, rest[1:]), stderr)
	if *stats {
		printStats(stderr, start)
	}
	return code
}

// redactingWriter passes every write through redact.Text, so no store credential given
// on the command line (s3://KEY:SECRET@…, ?secret_access_key=…) reaches an error or log
// line, whichever code path printed it.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, redact.Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	case errors.As(err, &ue), errors.Is(err, governance.ErrInvalidPolicy):
		fmt.Fprintf(stderr, "govctl: %s\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "govctl: %s\n", oneLine(err))
	return exitFindings
}

// oneLine folds a multi-line error into one line for stderr.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func printUsage(w io.Writer, fs *flag.FlagSet, cmds map[string]command) {
	fmt.Fprintln(w, "usage: govctl [--database-url URL] [--policy FILE] [--format text|json|markdown] [--stats] <command> [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nexit codes: 0 ok, 1 error findings or failed operation, 2 bad usage or input")
}

// openPool opens a pool on --database-url, or says, as bad usage, that none was given or
// that it does not parse.
func openPool(ctx context.Context, e *env, what string) (*pgxpool.Pool, error) {
	if e.databaseURL == "" {
		return nil, usagef("%s: no database: set --database-url or $DATABASE_URL", what)
	}
	cfg, err := pgxpool.ParseConfig(e.databaseURL)
	if err != nil {
		return nil, usagef("%s: --database-url: %v", what, err)
	}
	// Reads of 256 KiB instead of pgx's 8 KiB: an archive export streams the whole
	// partition, and when the server is ahead, one read drains what it has sent instead
	// of one system call per 8 KiB (about a tenth of the export's CPU time).
	cfg.ConnConfig.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(r, 256<<10), w)
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, usagef("%s: --database-url: %v", what, err)
	}
	return p, nil
}
