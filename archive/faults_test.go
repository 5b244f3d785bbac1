package archive

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/faults"
)

// TestCrashPointFromContext checks the hook other packages' crash tests use: a crash
// point on the context stops Run after the step, and a re-run without it finishes.
func TestCrashPointFromContext(t *testing.T) {
	db := sampleDB(t)
	store := fileStore(t)
	opts := Options{Partitions: []Partition{{Name: "public.ranking_snapshots_2024_12"}}, Now: func() time.Time { return fixedNow }}
	ctx := faults.WithCrashAfter(context.Background(), string(StepRecord))
	if _, err := Run(ctx, db, store, governance.Default(), opts); !errors.Is(err, ErrCrash) || !errors.Is(err, faults.ErrCrash) {
		t.Fatalf("Run with a crash point on the context: %v", err)
	}
	es, err := List(context.Background(), db)
	if err != nil || len(es) != 1 || es[0].State != "verified" {
		t.Fatalf("after the crash: %v %+v", err, es)
	}
	rep, err := Run(context.Background(), db, store, governance.Default(), opts)
	if err != nil || len(rep.Partitions) != 1 {
		t.Fatalf("re-run: %v %+v", err, rep)
	}
	bad := faults.WithCrashAfter(context.Background(), "nowhere")
	if _, err := Run(bad, db, store, governance.Default(), opts); err == nil {
		t.Fatal("an unknown crash point was accepted")
	}
}
