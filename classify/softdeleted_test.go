package classify

import (
	"context"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// Tenant 1's rows carry e-mail addresses in innocently named columns; tenant 2's do not.
const softDeletedSQL = `
CREATE SCHEMA app;
CREATE TABLE app.tenants (id bigint PRIMARY KEY, label text, deleted_at timestamptz);
CREATE TABLE app.notes (id int PRIMARY KEY, tenant_id bigint REFERENCES app.tenants, memo text);
INSERT INTO app.tenants VALUES (1, 'owner.one@example.com', NULL), (2, 'Springfield Shop', NULL);
INSERT INTO app.notes
SELECT g, 1 + g % 2, CASE WHEN g % 2 = 0 THEN 'mail ann' || g || '@example.com' ELSE 'Widget Pro ' || g END
FROM generate_series(1, 40) g;
`

func TestSamplingLeavesOutSoftDeletedTenants(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "classify-soft-deleted", pgtest.SQLSetup(softDeletedSQL))
	p := governance.Default()
	p.Tenant.Table = "app.tenants"
	classOf := func(col string) Column {
		t.Helper()
		cat, err := Classify(ctx, db, p, Options{Schemas: []string{"app"}})
		if err != nil {
			t.Fatal(err)
		}
		c, ok := cat.Column(col)
		if !ok {
			t.Fatalf("%s missing", col)
		}
		return c
	}
	// While tenant 1 is live its e-mail addresses decide.
	if c := classOf("app.notes.memo"); c.Class != governance.Sensitive || c.Source != SourceSampling {
		t.Fatalf("live tenant: memo = %+v", c)
	}
	if c := classOf("app.tenants.label"); c.Class != governance.Sensitive {
		t.Fatalf("live tenant: label = %+v", c)
	}
	if _, err := db.Exec(ctx, `UPDATE app.tenants SET deleted_at = now() WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	// Soft-deleted: its values are not sampled, in its own tables or in the tenants table.
	memo := classOf("app.notes.memo")
	if memo.Class != governance.Operational || !strings.Contains(memo.Reason, "20 sampled values matched no sensitive-data detector") {
		t.Errorf("soft-deleted tenant sampled: memo = %+v", memo)
	}
	if c := classOf("app.tenants.label"); c.Class != governance.Operational {
		t.Errorf("soft-deleted tenant sampled: label = %+v", c)
	}
	cat, err := Classify(ctx, db, p, Options{Schemas: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	if tb, _ := cat.Table("app.notes"); !strings.HasSuffix(tb.SampleMethod, "soft-deleted tenants excluded") || tb.SampledRows != 20 {
		t.Errorf("notes sampled %d rows by %q", tb.SampledRows, tb.SampleMethod)
	}
}

// On the sample LSOS data (whose columns rules settle without sampling, so a table of
// free-text notes is added): tenant 2's notes quote e-mail addresses; once tenant 2 is
// soft-deleted they no longer decide the column's class, and the other tenants' notes
// are still sampled.
func TestSamplingLSOSSoftDeletedTenant(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "lsos", lsosSetup)
	if _, err := db.Exec(ctx, `CREATE TABLE side_notes (id int PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, memo text);
		INSERT INTO side_notes SELECT g, t.id, CASE WHEN t.id = 2 THEN 'write to reviewer' || g || '@example.com' ELSE 'Widget Pro ' || g END
		FROM tenants t, generate_series(1, 10) g0, LATERAL (SELECT t.id * 100 + g0 AS g) x`); err != nil {
		t.Fatal(err)
	}
	p := governance.Default()
	memo := func() (Column, Table) {
		t.Helper()
		cat, err := Classify(ctx, db, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := cat.Column("public.side_notes.memo")
		tb, _ := cat.Table("public.side_notes")
		return c, tb
	}
	if c, _ := memo(); c.Class != governance.Sensitive || c.Source != SourceSampling {
		t.Fatalf("tenant 2 live: side_notes.memo = %+v", c)
	}
	if _, err := db.Exec(ctx, `UPDATE tenants SET status = 'deleted', deleted_at = now() WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	c, tb := memo()
	if c.Class != governance.Operational || tb.SampledRows != 20 || !strings.HasSuffix(tb.SampleMethod, "soft-deleted tenants excluded") {
		t.Errorf("tenant 2 soft-deleted: side_notes.memo = %+v (sampled %d rows by %q)", c, tb.SampledRows, tb.SampleMethod)
	}
}
