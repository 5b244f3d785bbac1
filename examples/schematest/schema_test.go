package schematest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/integrity"
)

func TestMain(m *testing.M) { govtest.Main(m) }

// now pins the clock: the sample data's span and the missing-partition check follow it.
var now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// sample builds the template database once per test binary: the schema and two years of
// data. Each test gets its own clone.
func sample(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: now})
}

// checks are every integrity check, with missing-partition on the pinned clock.
func checks() []integrity.Check {
	cs := integrity.All()
	for i, c := range cs {
		if _, ok := c.(integrity.MissingPartition); ok {
			cs[i] = integrity.MissingPartition{Now: func() time.Time { return now }}
		}
	}
	return cs
}

func TestMigrationsRoundTrip(t *testing.T) {
	govtest.RequireRoundTrip(t, lsos.Migrations())
}

func TestSchemaHasNoIntegrityFindings(t *testing.T) {
	db := govtest.DBFrom(t, "schematest-sample", sample)
	govtest.RequireNoFindings(t, db, nil, checks()...)
}

func TestEveryColumnIsClassified(t *testing.T) {
	db := govtest.DBFrom(t, "schematest-sample", sample)
	cat := govtest.RequireAllClassified(t, db, nil)
	if len(cat.Columns) == 0 {
		t.Fatal("no column was classified")
	}
}

func TestSensitiveAndAuditColumns(t *testing.T) {
	db := govtest.DBFrom(t, "schematest-sample", sample)
	for ref, want := range map[string]governance.Class{
		"users.email":             governance.Sensitive,
		"users.password_hash":     governance.Sensitive,
		"auth_tokens.token_hash":  governance.Sensitive,
		"audit_log.action":        governance.Audit,
		"report_files.object_key": governance.Artifact,
		"campaigns.name":          governance.Operational,
	} {
		govtest.RequireClass(t, db, ref, want)
	}
}

// recorder is a testing.TB that records failures instead of failing the test, so a test
// can assert what a Require helper says about a broken schema.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg += fmt.Sprintf(format, args...)
}

// Fatalf records and stops the helper's goroutine, as testing.T's Fatalf does.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// capture runs a Require helper against a recorder on its own goroutine (Fatalf ends it).
func capture(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	if r.failed {
		t.Logf("what a team would see:\n%s", r.msg)
	}
	return r
}

func TestPlantedDefectMissingFKAndOrphan(t *testing.T) {
	ctx := context.Background()
	db := govtest.DBFrom(t, "schematest-sample", sample)
	// The defect: someone drops the keyword → campaign FK "for a bulk load", and a
	// keyword pointing at no campaign gets in.
	if _, err := db.Exec(ctx, `ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey;
		INSERT INTO keywords (tenant_id, campaign_id, phrase) VALUES (1, 424242, 'orphan')`); err != nil {
		t.Fatal(err)
	}
	r := capture(t, func(tb testing.TB) { govtest.RequireNoFindings(tb, db, nil, checks()...) })
	if !r.failed {
		t.Fatal("RequireNoFindings passed on a schema without the keywords → campaigns FK")
	}
	for _, want := range []string{
		"integrity checks found 2 problem(s)",
		"missing-fk (1):",
		"error   IN101 public.keywords.campaign_id",
		"orphaned-rows (1):",
		"error   IN201 public.keywords.campaign_id ×1",
	} {
		if !strings.Contains(r.msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, r.msg)
		}
	}
}

func TestPlantedDefectUnclassifiedColumn(t *testing.T) {
	ctx := context.Background()
	db := govtest.DBFrom(t, "schematest-sample", sample)
	// The defect: a migration adds a table with a free-text column nothing classifies.
	if _, err := db.Exec(ctx, `CREATE TABLE partner_notes (id bigint PRIMARY KEY, body text)`); err != nil {
		t.Fatal(err)
	}
	r := capture(t, func(tb testing.TB) { govtest.RequireAllClassified(tb, db, nil) })
	if !r.failed {
		t.Fatal("RequireAllClassified passed with an unclassified column")
	}
	for _, want := range []string{"1 unclassified column(s)", "public.partner_notes.body (text)", "COMMENT ON COLUMN", "lsos:class="} {
		if !strings.Contains(r.msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, r.msg)
		}
	}
	// The fix the message asks for.
	if _, err := db.Exec(ctx, `COMMENT ON COLUMN partner_notes.body IS 'lsos:class=operational'`); err != nil {
		t.Fatal(err)
	}
	if r := capture(t, func(tb testing.TB) { govtest.RequireAllClassified(tb, db, nil) }); r.failed {
		t.Fatalf("after annotating: %s", r.msg)
	}
}
