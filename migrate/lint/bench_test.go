package lint

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

// benchDir builds a 300-table schema (one base version) and 100 migrations on it, a mix
// of safe and unsafe changes.
func benchDir(b *testing.B) *migrate.Dir {
	var base strings.Builder
	base.WriteString("CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);\n")
	for i := 1; i < 300; i++ {
		fmt.Fprintf(&base, "CREATE TABLE t%03d (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), title text NOT NULL, status text NOT NULL DEFAULT 'new', amount numeric(12,2), created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (tenant_id, id));\n", i)
	}
	fsys := fstest.MapFS{
		"20260101000000_base.up.sql":   {Data: []byte(base.String())},
		"20260101000000_base.down.sql": {Data: []byte("SELECT 1;\n")},
	}
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ {
		v := start.Add(time.Duration(i) * time.Hour).Format("20060102150405")
		t := fmt.Sprintf("t%03d", 1+i%299)
		var up string
		switch i % 5 {
		case 0:
			up = fmt.Sprintf("ALTER TABLE %s ADD COLUMN due_on date;\n", t)
		case 1:
			up = fmt.Sprintf("-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY %s_title_idx ON %s (tenant_id, title);\n", t, t)
		case 2:
			up = fmt.Sprintf("ALTER TABLE %s ADD COLUMN ref_id bigint;\nALTER TABLE %s ADD CONSTRAINT %s_ref_fk FOREIGN KEY (tenant_id, ref_id) REFERENCES t001 (tenant_id, id) NOT VALID;\n", t, t, t)
		case 3:
			up = fmt.Sprintf("CREATE INDEX %s_status_idx ON %s (status);\nALTER TABLE %s ALTER COLUMN amount TYPE integer;\n", t, t, t)
		case 4:
			up = fmt.Sprintf("CREATE TABLE n%03d (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), note text);\n", i)
		}
		fsys[v+"_m.up.sql"] = &fstest.MapFile{Data: []byte(up)}
		fsys[v+"_m.down.sql"] = &fstest.MapFile{Data: []byte("SELECT 1;\n")}
	}
	d, err := LoadFS(fsys)
	if err != nil {
		b.Fatal(err)
	}
	sum, _ := HashDir(d)
	fsys["atlas.sum"] = &fstest.MapFile{Data: sum}
	d, err = LoadFS(fsys)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkReview100On300 reviews 100 migrations on a 300-table schema. dev-ms/op is the
// part spent on the dev database (replay and catalog reads); the rest is parsing and
// checking.
func BenchmarkReview100On300(b *testing.B) {
	d := benchDir(b)
	ctx := context.Background()
	p := governance.Default()
	var dev, total time.Duration
	var findings int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := pgtest.DB(b, "", nil)
		b.StartTimer()
		rep, err := Review(ctx, db, d, Options{Policy: p, Since: "20260101000000", Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Reviewed) != 100 {
			b.Fatalf("reviewed %d versions, want 100", len(rep.Reviewed))
		}
		dev += rep.DevTime
		total += rep.Total
		findings = len(rep.Findings)
	}
	b.ReportMetric(float64(dev.Milliseconds())/float64(b.N), "dev-ms/op")
	b.ReportMetric(float64((total-dev).Milliseconds())/float64(b.N), "review-ms/op")
	b.ReportMetric(float64(findings), "findings")
}

// BenchmarkReplayOnly300 is the part of BenchmarkReview100On300 that replays the 300-table
// base and the 100 versions without reviewing them.
func BenchmarkReplayOnly300(b *testing.B) {
	d := benchDir(b)
	ctx := context.Background()
	last := d.Versions[len(d.Versions)-1].Version
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := pgtest.DB(b, "", nil)
		b.StartTimer()
		if _, err := Review(ctx, db, d, Options{Since: last}); err != nil {
			b.Fatal(err)
		}
	}
}
