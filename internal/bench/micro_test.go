package main

import (
	"testing"
	"time"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate"
)

// Micro-benchmarks of the pure-Go hot paths the driver's measurements rest on, with
// allocation counts. The packages' own benchmarks cover their internals; these call
// only exported functions.

// BenchmarkKeepCutoff: the calendar-month cutoff computed per table and plan.
func BenchmarkKeepCutoff(b *testing.B) {
	b.ReportAllocs()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.UTC
	}
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	keeps := []governance.Keep{governance.Months(13), governance.Months(24), governance.Years(7)}
	for b.Loop() {
		for _, k := range keeps {
			if _, ok := k.Cutoff(now, loc); !ok {
				b.Fatal("no cutoff")
			}
		}
	}
}

// BenchmarkDetect: the sampling detectors over a mix of values; Detect is documented
// not to allocate, so allocs/op must read 0.
func BenchmarkDetect(b *testing.B) {
	b.ReportAllocs()
	values := []string{
		"ann@example.org", "write to ann@example.org today", "visited page 42 twice",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"4111 1111 1111 1111", "+49 30 1234567", "10.0.0.1", "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
		"https://www.example.com/landing-page?ref=serp", "9f86d081884c7d659a2feaa0c55ad015",
	}
	var bytes int64
	for _, v := range values {
		bytes += int64(len(v))
	}
	b.SetBytes(bytes)
	for b.Loop() {
		for _, v := range values {
			_ = classify.Detect(v)
		}
	}
}

// BenchmarkClassifyColumn: the rules applied without a database (what the migration
// review runs for each column a migration adds).
func BenchmarkClassifyColumn(b *testing.B) {
	b.ReportAllocs()
	p := governance.Default()
	cols := [][3]string{
		{"users", "email", "text"}, {"users", "password_hash", "text"}, {"ranking_snapshots", "position", "integer"},
		{"report_files", "object_key", "text"}, {"audit_log", "actor_id", "bigint"}, {"records", "note", "text"},
	}
	for b.Loop() {
		for _, c := range cols {
			classify.ClassifyColumn(p, c[0], c[1], c[2], "")
		}
	}
}

// BenchmarkLoadFS200 loads, parses and checksums a 200-version directory: the share of
// lsosgov.Startup with an fs.FS (startup-noop-load in the driver) that goose does not
// pay, since goose parses a file only when it runs it.
func BenchmarkLoadFS200(b *testing.B) {
	b.ReportAllocs()
	fsys, err := lsosDir(b.TempDir(), 200)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d, err := migrate.LoadFS(fsys)
		if err != nil || len(d.Versions) != 200 {
			b.Fatalf("%v versions, %v", d, err)
		}
	}
}
