package archive

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/retention"
)

// TestEveryReportedStepIsInTheEventLog checks, from inside the Progress hook (the first
// moment a step is reported, where a crash is worst), that the catalog state the step
// reached and its audit event were committed together: no crash can leave a step done
// in the catalog without its event.
func TestEveryReportedStepIsInTheEventLog(t *testing.T) {
	db := sampleDB(t)
	store := fileStore(t)
	var checked []string
	progress := func(e Event) {
		if e.Step == StepSkip || e.Detail == "exporting" {
			return
		}
		var state string
		var events int64
		if err := db.QueryRow(context.Background(), `SELECT a.state, (SELECT count(*) FROM lsos_archive.events e WHERE e.archive_id = a.id AND e.step = $2)
			FROM lsos_archive.archives a WHERE a.id = $1`, e.ID, string(e.Step)).Scan(&state, &events); err != nil {
			t.Errorf("step %s: %v", e.Step, err)
			return
		}
		if state != e.Detail || events != 1 {
			t.Errorf("when step %s is reported: catalog state %q, %d %s events; want state %q and 1 event", e.Step, state, events, e.Step, e.Detail)
		}
		checked = append(checked, string(e.Step))
	}
	rep, err := run(t, db, store, Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2025_03"}}, Progress: progress})
	if err != nil {
		t.Fatalf("%v (%+v)", err, rep)
	}
	if got := strings.Join(checked, ","); got != "export,verify,record,detach,drop" {
		t.Fatalf("steps checked: %s", got)
	}
}

// TestRetentionHoldsBlockDropOfMixedCaseAndDetachedPartitions uses the default hold
// check (package retention) with real holds: a hold on a partition whose name has
// upper-case letters blocks its drop (matched by exact name, not a case-folded re-parse),
// and a hold on the parent blocks the drop of a partition already detached from it.
func TestRetentionHoldsBlockDropOfMixedCaseAndDetachedPartitions(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	if err := retention.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `ALTER TABLE ranking_snapshots_2025_05 RENAME TO "RS_2025_05"`); err != nil {
		t.Fatal(err)
	}
	h, err := retention.AddHold(ctx, db, retention.HoldSpec{Table: `public."RS_2025_05"`, Reason: "litigation", By: "legal", From: fixedNow.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := run(t, db, store, Options{Partitions: []Partition{{Name: `public."RS_2025_05"`}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Partitions[0]; r.State != stateDetached || !strings.Contains(r.Skipped, fmt.Sprintf("legal hold [%d]", h.ID)) {
		t.Fatalf("mixed-case partition under hold %d: %+v", h.ID, r)
	}
	if n := count(t, db, `SELECT count(*) FROM "RS_2025_05"`); n != rep.Partitions[0].Rows || n == 0 {
		t.Fatalf("held partition has %d rows; archived %d", n, rep.Partitions[0].Rows)
	}

	ph, err := retention.AddHold(ctx, db, retention.HoldSpec{Table: "public.ranking_snapshots", Reason: "audit", By: "legal", From: fixedNow.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = run(t, db, store, Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2025_06"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Partitions[0]; r.State != stateDetached || !strings.Contains(r.Skipped, fmt.Sprint(ph.ID)) {
		t.Fatalf("partition of a held parent: %+v; want detached, kept for hold %d", r, ph.ID)
	}
	if n := count(t, db, `SELECT count(*) FROM ranking_snapshots_2025_06`); n == 0 {
		t.Fatal("partition of a held parent was emptied")
	}
}
