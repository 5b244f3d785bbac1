package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// designCommands is the govctl command list of docs/DESIGN.md ("Contracts other tools rely on").
var designCommands = []string{
	"policy show", "policy validate",
	"migrate new", "migrate hash", "migrate plan", "migrate lint", "migrate drift", "migrate up",
	"migrate down", "migrate status", "migrate verify", "migrate test", "migrate baseline", "migrate resolve",
	"classify", "integrity check", "retention cutoffs", "retention holds",
	"archive run", "archive list", "archive restore", "archive verify", "tenant offboard",
}

func helpCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func splitTopic(topic string) (string, string) {
	cmd, sub, _ := strings.Cut(topic, " ")
	return cmd, sub
}

func TestHelpEntryForEveryDesignCommand(t *testing.T) {
	for _, topic := range designCommands {
		cmd, sub := splitTopic(topic)
		entries := findHelp(cmd, sub)
		if len(entries) != 1 {
			t.Errorf("%s: %d help entries, want 1", topic, len(entries))
			continue
		}
		h := entries[0]
		if !strings.Contains(h.usage, topic) || h.desc == "" {
			t.Errorf("%s: usage %q must name the command and the description must not be empty", topic, h.usage)
		}
		var out bytes.Buffer
		if err := printHelp(&out, cmd, sub); err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		_, example, ok := strings.Cut(out.String(), "\nExample:\n")
		if !ok || !strings.Contains(example, "go run ./examples/govctl") {
			t.Errorf("%s: help has no Example with go run ./examples/govctl:\n%s", topic, out.String())
		}
	}
	// Every dispatched command has help, so `govctl help` and `--help` never dead-end.
	for name := range commands() {
		if len(findHelp(name, "")) == 0 {
			t.Errorf("command %q has no help entry", name)
		}
	}
}

func TestHelpFlagExitsZeroBeforeCommandParsing(t *testing.T) {
	for _, topic := range designCommands {
		cmd, sub := splitTopic(topic)
		want := findHelp(cmd, sub)[0].usage
		forms := [][]string{{"help", cmd}, append(strings.Fields(topic), "--help"), append(strings.Fields(topic), "-h"),
			// after other flags, with an invalid global --format and a flag the command does not know
			append(append([]string{"--format", "bogus"}, strings.Fields(topic)...), "--no-such-flag", "-h")}
		if sub != "" {
			forms[0] = append(forms[0], sub)
		}
		for _, args := range forms {
			code, out, errOut := helpCLI(args...)
			if code != exitOK || errOut != "" {
				t.Errorf("govctl %s: exit %d, stderr %q; want 0 and nothing on stderr", strings.Join(args, " "), code, errOut)
			}
			if !strings.Contains(out, "usage: "+want+"\n") {
				t.Errorf("govctl %s: stdout lacks the usage line %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
	}
	// No arguments, bare help and a lone command stay with the general usage.
	if code, _, _ := helpCLI(); code != exitUsage {
		t.Errorf("govctl with no arguments: exit %d, want 2", code)
	}
	if code, out, _ := helpCLI("help"); code != exitOK || !strings.Contains(out, "commands:") {
		t.Errorf("govctl help: exit %d, stdout %q; want 0 and the command list", code, out)
	}
	// A group's --help lists every subcommand.
	code, out, _ := helpCLI("archive", "--help")
	if code != exitOK {
		t.Fatalf("archive --help: exit %d", code)
	}
	for _, sub := range []string{"run", "list", "restore", "verify"} {
		if !strings.Contains(out, "archive "+sub+" ") {
			t.Errorf("archive --help does not list %s:\n%s", sub, out)
		}
	}
}

func TestHelpUnknownTopicExitsTwo(t *testing.T) {
	for _, args := range [][]string{{"help", "nope"}, {"help", "archive", "nope"}, {"archive", "nope", "--help"}} {
		code, out, errOut := helpCLI(args...)
		if code != exitUsage || out != "" {
			t.Errorf("govctl %v: exit %d, stdout %q; want 2 and no stdout", args, code, out)
		}
		if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "no help for") {
			t.Errorf("govctl %v: stderr %q, want one line naming the topic", args, errOut)
		}
	}
}

// parsedFlags reads govctl's sources and returns, per function, the flag names it
// registers on a flag.FlagSet, so the help table is checked against the real parsing.
func parsedFlags(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string][]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || !isFlagSetExpr(sel.X) {
					return true
				}
				idx := 0
				switch sel.Sel.Name {
				case "String", "Bool", "Int", "Int64", "Uint", "Float64", "Duration", "Func":
				case "StringVar", "BoolVar", "IntVar", "Int64Var", "DurationVar", "Var":
					idx = 1
				default:
					return true
				}
				if len(call.Args) <= idx {
					return true
				}
				if lit, ok := call.Args[idx].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					name, _ := strconv.Unquote(lit.Value)
					out[fn.Name.Name] = append(out[fn.Name.Name], name)
				}
				return true
			})
		}
	}
	return out
}

// isFlagSetExpr matches fs and f.fs, the names govctl's files give their flag sets.
func isFlagSetExpr(x ast.Expr) bool {
	switch v := x.(type) {
	case *ast.Ident:
		return v.Name == "fs"
	case *ast.SelectorExpr:
		return v.Sel.Name == "fs"
	}
	return false
}

func TestHelpDocumentsTheFlagsEachCommandParses(t *testing.T) {
	src := parsedFlags(t)
	// topic → the functions that register its flags. migrate's database subcommands
	// share one flag set (migrate.go) and are left out: each entry documents only the
	// flags that matter to that subcommand.
	funcs := map[string][]string{
		"archive run":         {"newArchiveFlags", "archiveRun"},
		"archive list":        {"newArchiveFlags"},
		"archive restore":     {"newArchiveFlags", "archiveRestore"},
		"archive verify":      {"newArchiveFlags", "archiveVerify"},
		"integrity check":     {"runIntegrity"},
		"tenant offboard":     {"runOffboard"},
		"tenant active-views": {"runActiveViews"},
		"retention cutoffs":   {"runCutoffs"},
		"retention holds":     {"runHolds"},
		"retention sweep":     {"runSweep"},
		"classify":            {"runClassify"},
		"migrate lint":        {"runMigrateLint"},
		"migrate plan":        {"runMigratePlan"},
		"migrate drift":       {"runMigrateDrift"},
	}
	for topic, fns := range funcs {
		cmd, sub := splitTopic(topic)
		entries := findHelp(cmd, sub)
		if len(entries) != 1 {
			t.Errorf("%s: no help entry", topic)
			continue
		}
		var real []string
		for _, fn := range fns {
			if len(src[fn]) == 0 {
				t.Fatalf("%s: found no flags in %s; did the function move?", topic, fn)
			}
			real = append(real, src[fn]...)
		}
		var documented []string
		for _, f := range entries[0].flags {
			documented = append(documented, f.name)
		}
		sort.Strings(real)
		sort.Strings(documented)
		if strings.Join(real, " ") != strings.Join(documented, " ") {
			t.Errorf("%s: help documents flags %v, the command parses %v", topic, documented, real)
		}
		var out bytes.Buffer
		if err := printHelp(&out, cmd, sub); err != nil {
			t.Fatal(err)
		}
		for _, name := range real {
			if !strings.Contains(out.String(), "--"+name) {
				t.Errorf("%s: printed help does not mention --%s", topic, name)
			}
		}
	}
}

func TestProgressSilentUnlessTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, false)
	p.Printf("archive: %s", "x")
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("disabled reporter wrote %q", buf.String())
	}
	// Captured or redirected stderr (a buffer, a regular file) is not a terminal.
	if progressFor(&buf).on {
		t.Error("progressFor(bytes.Buffer) is on")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pf := progressFor(f)
	pf.Printf("integrity: %d/%d", 1, 2)
	pf.Done()
	if fi, _ := f.Stat(); pf.on || fi.Size() != 0 {
		t.Errorf("progressFor(regular file): on=%v, wrote %d bytes", pf.on, fi.Size())
	}
	var nilp *progress
	nilp.Printf("no panic")
	nilp.Done()
}

func TestProgressForcedOnRedrawsOneLine(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, true)
	p.Printf("archive: %s export, %d row(s)", "public.ranking_snapshots_2024_01", 1200)
	p.Printf("archive: %s drop", "p1")
	want := "\rarchive: public.ranking_snapshots_2024_01 export, 1200 row(s)" +
		"\rarchive: p1 drop" + strings.Repeat(" ", len("archive: public.ranking_snapshots_2024_01 export, 1200 row(s)")-len("archive: p1 drop"))
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
	if strings.Contains(buf.String(), "\n") {
		t.Error("progress wrote a newline; it must redraw in place")
	}
	buf.Reset()
	p.Done()
	if got := buf.String(); got != "\r"+strings.Repeat(" ", len("archive: p1 drop"))+"\r" {
		t.Errorf("Done wrote %q, want the line blanked", got)
	}
	buf.Reset()
	p.Printf("%s", strings.Repeat("x", 300))
	if n := len([]rune(strings.TrimPrefix(buf.String(), "\r"))); n != maxProgressWidth {
		t.Errorf("long line drawn %d runes wide, want %d", n, maxProgressWidth)
	}

	// Concurrent updates (integrity reports from several goroutines) stay whole lines.
	buf.Reset()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { p.Printf("integrity: orphaned-rows t%d 1/8", i) })
	}
	wg.Wait()
	if got := strings.Count(buf.String(), "\r"); got != 8 {
		t.Errorf("%d redraws, want 8: %q", got, buf.String())
	}
}
