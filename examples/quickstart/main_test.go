package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/govtest"
)

func TestMain(m *testing.M) { govtest.Main(m) }

var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func TestFlowArchivesAndRestores(t *testing.T) {
	ctx := context.Background()
	db := govtest.DB(t)
	store, err := openStore(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var steps bytes.Buffer
	rep, err := Flow(ctx, db, store, Options{Now: testNow, Progress: &progress{w: &steps, start: time.Now()}})
	if err != nil {
		t.Fatalf("flow: %v\nprogress:\n%s", err, steps.String())
	}

	if rep.Migrations.Versions == 0 || len(rep.Migrations.Applied) != rep.Migrations.Versions {
		t.Errorf("migrations: %+v", rep.Migrations)
	}
	if rep.Sample.Tenants != 3 || rep.Sample.Rows["ranking_snapshots"] == 0 {
		t.Errorf("sample: %+v", rep.Sample)
	}
	c := rep.Classification
	if c.Columns == 0 || len(c.Unclassified) != 0 {
		t.Errorf("classification: %d columns, unclassified %v", c.Columns, c.Unclassified)
	}
	for _, want := range []string{"public.users.email", "public.users.password_hash", "public.auth_tokens.token_hash"} {
		if !strings.Contains(strings.Join(c.Sensitive, " "), want) {
			t.Errorf("%s is not among the sensitive columns %v", want, c.Sensitive)
		}
	}
	if rep.Integrity.Checks == 0 || rep.Integrity.Errors != 0 {
		t.Errorf("integrity: %d checks, findings %v", rep.Integrity.Checks, rep.Integrity.Findings)
	}
	var snap *Cutoff
	for i, ct := range rep.Retention.Cutoffs {
		if ct.Table == "public.ranking_snapshots" {
			snap = &rep.Retention.Cutoffs[i]
		}
	}
	// 13 calendar months before 2026-03-15.
	if snap == nil || snap.Keep != "13 months" || !snap.Cutoff.Equal(time.Date(2025, 2, 15, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("ranking_snapshots cutoff: %+v", snap)
	}

	a := rep.Archive
	if a.Archived == 0 || a.Archived != a.Eligible || a.Rows == 0 || len(a.Partitions) != a.Archived {
		t.Fatalf("archive: %+v", a)
	}
	// Every archived month is before the cutoff month (2025-02); the rest stay.
	for _, p := range a.Partitions {
		if p >= "public.ranking_snapshots_2025_02" && strings.HasPrefix(p, "public.ranking") {
			t.Errorf("partition %s archived, but its month is not past the 13-month cutoff", p)
		}
	}
	var left int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = ANY($1)`, a.Partitions).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d archived partitions still exist (err %v)", left, err)
	}

	rs := rep.Restore
	e, err := archive.Get(ctx, db, rs.ArchiveID)
	if err != nil {
		t.Fatal(err)
	}
	if rs.RestoredRows == 0 || rs.RestoredRows != e.Rows || rs.ArchivedRows != e.Rows || !rs.Verified {
		t.Fatalf("restore: %+v, archive entry holds %d rows", rs, e.Rows)
	}
	var month int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM public.restored_ranking_snapshots_2024_03 WHERE captured_on >= '2024-03-01' AND captured_on < '2024-04-01'`).Scan(&month); err != nil {
		t.Fatal(err)
	}
	if rs.Partition != "public.ranking_snapshots_2024_03" || int64(month) != rs.RestoredRows {
		t.Errorf("restored %s: %d rows in March 2024, report says %d", rs.Partition, month, rs.RestoredRows)
	}
	if !strings.Contains(steps.String(), "rows archived") {
		t.Errorf("no archive progress was shown:\n%s", steps.String())
	}
}

func TestRunJSONOnDatabaseURL(t *testing.T) {
	url := govtest.URL(t)
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--format", "json", "--now", testNow.Format(time.RFC3339), "--store", "file://" + t.TempDir()}, env, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out.String())
	}
	if rep.Database != "DATABASE_URL" || rep.Archive.Archived == 0 || rep.Restore.RestoredRows != rep.Restore.ArchivedRows || !rep.Now.Equal(testNow) {
		t.Errorf("report: database %q archive %+v restore %+v now %s", rep.Database, rep.Archive, rep.Restore, rep.Now)
	}
	if !strings.Contains(errOut.String(), "applying the sample LSOS migrations") {
		t.Errorf("progress missing from stderr:\n%s", errOut.String())
	}

	// A second run on the same database refuses, saying what to do.
	err = run(context.Background(), []string{"--now", testNow.Format(time.RFC3339)}, env, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Fatalf("second run on a database with the sample: want a refusal, got %v", err)
	}
}

func TestRunEmbeddedText(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--now", testNow.Format(time.RFC3339)}, func(string) string { return "" }, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{
		"lsosgov quickstart on embedded",
		"integrity    9 checks: 0 errors",
		"; 0 unclassified",
		"public.ranking_snapshots         snapshots  keep 13 months  before 2025-02-15",
		"restore      public.ranking_snapshots_2024_03 → public.restored_ranking_snapshots_2024_03",
		"matches the archive",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "starting embedded PostgreSQL") {
		t.Errorf("progress missing from stderr:\n%s", errOut.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--format", "xml"}, {"--now", "yesterday"}, {"extra"}, {"--nope"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: want a usage error, got %v", args, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	got := redactURL("s3://user:secret@bucket?region=x&secret_access_key=abc")
	if strings.Contains(got, "secret") || strings.Contains(got, "abc") {
		t.Errorf("redactURL leaked a credential: %s", got)
	}
}
