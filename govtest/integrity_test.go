package govtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/integrity"
)

var integritySampleNow = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)

func integritySample(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: integritySampleNow})
}

// integrityRecorder is a testing.TB that records a failure instead of ending the test.
type integrityRecorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *integrityRecorder) Helper() {}
func (r *integrityRecorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
}

func TestRequireNoFindingsPassesOnTheSample(t *testing.T) {
	db := govtest.DBFrom(t, "govtest-lsos-sample", integritySample)
	checks := integrity.All()
	for i, c := range checks {
		if _, ok := c.(integrity.MissingPartition); ok {
			checks[i] = integrity.MissingPartition{Now: func() time.Time { return integritySampleNow }}
		}
	}
	r := &integrityRecorder{TB: t}
	govtest.RequireNoFindings(r, db, nil, checks...)
	if r.failed {
		t.Fatalf("the sample must pass: %s", r.msg)
	}
}

func TestRequireNoFindingsListsFindings(t *testing.T) {
	db := govtest.DBFrom(t, "govtest-lsos-sample", integritySample)
	if _, err := db.Exec(context.Background(), `ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey;
		INSERT INTO keywords (tenant_id, campaign_id, phrase) VALUES (1, 999999, 'orphan');
		DROP INDEX reviews_tenant_location_idx`); err != nil {
		t.Fatal(err)
	}
	r := &integrityRecorder{TB: t}
	govtest.RequireNoFindings(r, db, nil, integrity.MissingFK{}, integrity.OrphanedRows{}, integrity.FKMissingIndex{})
	for _, s := range []string{
		"found 3 problem(s)",
		"missing-fk (1):\n    error   IN101 public.keywords.campaign_id\n",
		"orphaned-rows (1):\n    error   IN201 public.keywords.campaign_id ×1\n            1 row(s) reference no existing row",
		"fk-missing-index (1):\n    warning IN107 public.reviews.(tenant_id,location_id)\n",
	} {
		if !r.failed || !strings.Contains(r.msg, s) {
			t.Fatalf("failure message lacks %q:\n%s", s, r.msg)
		}
	}
}
