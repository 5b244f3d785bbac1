package parquetio

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// Benchmarks compare an export with a raw binary COPY of the same table, with pg_dump -Fc,
// and a restore with a raw binary COPY FROM. Rows: $LSOS_BENCH_ROWS (default 500000).
// Run one benchmark per process for a meaningful peak-RSS metric, e.g.
//
//	LSOS_BENCH_ROWS=2000000 go test ./internal/parquetio -run '^$' -bench 'Export$' -benchtime 3x

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("LSOS_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 500000
}

// benchDB holds a snapshot-like table of benchRows rows.
func benchDB(b *testing.B) (*pgxpool.Pool, string, int) {
	n := benchRows()
	setup := pgtest.SQLSetup(`CREATE TABLE bench (
		tenant_id bigint NOT NULL, keyword_id bigint NOT NULL, captured_on date NOT NULL,
		position integer, url text, serp_features jsonb)`,
		`INSERT INTO bench SELECT g % 3 + 1, g / 3, date '2025-03-01' + (g % 28),
			CASE WHEN g % 7 = 0 THEN NULL ELSE g % 100 END,
			'https://example.com/' || md5((g % 20000)::text),
			jsonb_build_object('pack', g % 2 = 0, 'ads', g % 4)
		FROM generate_series(1, `+strconv.Itoa(n)+`) g`,
		`VACUUM ANALYZE bench`)
	url := pgtest.URL(b, "bench-"+strconv.Itoa(n), setup)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool, url, n
}

func peakRSS(b *testing.B) {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(s), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				b.ReportMetric(kb/1024, "peak-RSS-MiB")
			}
		}
	}
}

type countW struct{ n int64 }

func (c *countW) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func BenchmarkExport(b *testing.B) {
	db, _, n := benchDB(b)
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := processCPU()
	var size int64
	for i := 0; i < b.N; i++ {
		w := &countW{}
		// Counted by tenant, as package archive exports.
		res, err := ExportTo(ctx, db, "SELECT * FROM bench", nil, w, Options{CountBy: "tenant_id"})
		if err != nil || res.Rows != int64(n) {
			b.Fatal(res.Rows, err)
		}
		size = w.n
	}
	// The client's CPU per export (user+system, all goroutines): on a machine whose
	// cores the server shares, this rather than the wall time shows an encoder change.
	b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "client-cpu-s/op")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/(1<<20), "MiB")
	peakRSS(b)
}

// processCPU is the CPU time this process has used (user+system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkCopyBinary(b *testing.B) {
	db, _, n := benchDB(b)
	ctx := context.Background()
	conn, err := db.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	b.ResetTimer()
	cpu0 := processCPU()
	var size int64
	for i := 0; i < b.N; i++ {
		w := &countW{}
		if _, err := conn.Conn().PgConn().CopyTo(ctx, w, "COPY bench TO STDOUT (FORMAT binary)"); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "client-cpu-s/op")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/(1<<20), "MiB")
	peakRSS(b)
}

func pgDumpPath() string {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if p := filepath.Join(strings.TrimSpace(string(out)), "pg_dump"); fileExists(p) {
			return p
		}
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	if len(ms) > 0 {
		return ms[len(ms)-1]
	}
	p, _ := exec.LookPath("pg_dump")
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func BenchmarkPgDumpCustom(b *testing.B) {
	_, url, n := benchDB(b)
	bin := pgDumpPath()
	if bin == "" {
		b.Skip("pg_dump is not installed")
	}
	out := filepath.Join(b.TempDir(), "dump")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "-Fc", "-t", "bench", "-f", out, "-d", url)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("pg_dump: %v: %s", err, msg)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if st, err := os.Stat(out); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
	}
}

// BenchmarkRestore loads the exported file into an empty table through CopyFrom.
func BenchmarkRestore(b *testing.B) {
	db, _, n := benchDB(b)
	ctx := context.Background()
	var buf bytes.Buffer
	if _, err := ExportTo(ctx, db, "SELECT * FROM bench", nil, &buf, Options{}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS back; CREATE UNLOGGED TABLE back (LIKE bench)`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		r, err := OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		got, err := db.CopyFrom(ctx, pgx.Identifier{"back"}, []string{"tenant_id", "keyword_id", "captured_on", "position", "url", "serp_features"}, readerSource{r})
		if err != nil || got != int64(n) {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	peakRSS(b)
}

// BenchmarkCopyFromBinary loads the same rows from a raw binary COPY stream.
func BenchmarkCopyFromBinary(b *testing.B) {
	db, _, n := benchDB(b)
	ctx := context.Background()
	conn, err := db.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	var buf bytes.Buffer
	if _, err := conn.Conn().PgConn().CopyTo(ctx, &buf, "COPY bench TO STDOUT (FORMAT binary)"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS back; CREATE UNLOGGED TABLE back (LIKE bench)`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		tag, err := conn.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(buf.Bytes()), "COPY back FROM STDIN (FORMAT binary)")
		if err != nil || tag.RowsAffected() != int64(n) {
			b.Fatal(tag, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

type readerSource struct{ r *Reader }

func (s readerSource) Next() bool             { return s.r.Next() }
func (s readerSource) Values() ([]any, error) { return s.r.Values() }
func (s readerSource) Err() error             { return s.r.Err() }

var _ io.Writer = (*countW)(nil)

// BenchmarkExportSeries exports rows the server generates on the fly (no table), so that
// peak memory can be measured at sizes a test database would take long to build:
//
//	LSOS_BENCH_ROWS=20000000 go test ./internal/parquetio -run '^$' -bench ExportSeries -benchtime 1x
func BenchmarkExportSeries(b *testing.B) {
	n := benchRows()
	db := pgtest.DB(b, "", nil)
	ctx := context.Background()
	q := `SELECT g % 3 + 1 AS tenant_id, g / 3 AS keyword_id, date '2025-03-01' + (g % 28)::int AS captured_on,
		CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 100)::int END AS position,
		'https://example.com/' || md5((g % 20000)::text) AS url,
		jsonb_build_object('pack', g % 2 = 0, 'ads', g % 4) AS serp_features
		FROM generate_series(1::bigint, $1::bigint) g`
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := ExportTo(ctx, db, q, []any{n}, io.Discard, Options{})
		if err != nil || res.Rows != int64(n) {
			b.Fatal(res.Rows, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	peakRSS(b)
}
