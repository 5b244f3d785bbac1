package lint_test

import (
	"context"
	"testing"
	"time"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/lint"
)

func TestReviewSampleDirectory(t *testing.T) {
	ctx := context.Background()
	dir, err := migrate.LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := lint.Review(ctx, pgtest.DB(t, "", nil), dir, lint.Options{Policy: governance.Default(),
		Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Reviewed) != len(dir.Versions) {
		t.Fatalf("reviewed %d of %d versions", len(rep.Reviewed), len(dir.Versions))
	}
	if fs := rep.Findings.ByCheck(governance.CheckLockRisk); len(fs) != 0 {
		t.Errorf("the sample builds its late index CONCURRENTLY; lock-risk: %v", fs)
	}
	// No approvals are recorded in the sample, so every version lacks its sign-offs.
	if got := len(rep.Findings.ByCheck(governance.CheckMissingApproval)); got != len(dir.Versions) {
		t.Errorf("missing-approval findings = %d, want %d", got, len(dir.Versions))
	}
}
