package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
)

func main() {
	// The hidden sub-command the driver re-executes itself with to measure the peak RSS
	// of an export in a process of its own.
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks a bad command line (exit 2).
var errUsage = errors.New("bad usage")

// run is the driver's entry point: 0 when every enforced target is met, 1 on a missed
// target or a failed measurement, 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// --render-md DIR prints the generated part of BENCHMARKS.md from the stored
	// results in DIR (no measurement runs).
	if len(args) == 2 && (args[0] == "--render-md" || args[0] == "-render-md") {
		if err := writeMarkdown(stdout, args[1]); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 2
		}
		return 0
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	if cfg.CPUProfile != "" {
		stopProfile, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 2
		}
		defer stopProfile()
	}
	rep, err := Run(ctx, cfg)
	if rep != nil {
		if cfg.JSON {
			_ = rep.WriteJSON(stdout)
		} else {
			_ = rep.WriteText(stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if failed := rep.Failed(); len(failed) > 0 {
		if cfg.Sizes.EnforceTargets || cfg.Strict {
			fmt.Fprintf(stderr, "bench: targets missed: %s\n", strings.Join(failed, ", "))
			return 1
		}
		fmt.Fprintf(stderr, "bench: targets missed at scale %s (not enforced below full): %s\n", cfg.Scale, strings.Join(failed, ", "))
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	var only string
	fs.StringVar(&cfg.Scale, "scale", "small", "data volume: small, medium or full (the sizes of issue 11)")
	fs.IntVar(&cfg.Runs, "runs", 0, "timed runs per side (default: 1 small, 3 medium, 5 full)")
	fs.IntVar(&cfg.Warmup, "warmup", -1, "untimed warm-up runs per side (default: 0 small, 1 otherwise)")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	fs.StringVar(&only, "only", "", "comma-separated measurements to run: "+strings.Join(Measurements, ","))
	fs.StringVar(&cfg.Out, "out", "docs/bench", "directory for results.json and the PNG charts (\"\" writes nothing)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "server to use (its role must be allowed to CREATE DATABASE); default: start one with internal/pgtest")
	fs.BoolVar(&cfg.Strict, "strict", false, "exit 1 on a missed target at any scale (full scale always does)")
	fs.BoolVar(&cfg.Verbose, "v", false, "log progress to stderr")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write the driver's CPU profile (the client side: Parquet encoding, checks' Go code) to this file; combine with --only")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if only != "" {
		cfg.Only = strings.Split(only, ",")
	}
	if cfg.Verbose {
		cfg.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	}
	return cfg, cfg.validate()
}

// startCPUProfile profiles the driver process into file until the returned func runs.
func startCPUProfile(file string) (func(), error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("%w: --cpuprofile: %v", errUsage, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
