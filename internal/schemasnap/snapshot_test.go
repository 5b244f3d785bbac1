package schemasnap

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func sample(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)})
}

func TestTakeSeesWhatAtlasDoesNot(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "lsos-sample", sample)
	before, err := Take(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := before.Tables["public.reviews"]; !ok {
		t.Fatalf("tables: %v", Names(before.Tables))
	}
	if got := before.Tables["public.ranking_snapshots"].PartitionKey; !strings.Contains(got, "captured_on") {
		t.Errorf("partition key %q", got)
	}
	if len(before.Partitions) == 0 || !strings.Contains(before.Partitions["public.ranking_snapshots_2026_01"], "PARTITION OF public.ranking_snapshots FOR VALUES FROM ('2026-01-01')") {
		t.Errorf("partitions: %v", before.Partitions["public.ranking_snapshots_2026_01"])
	}
	if before.Comments["column full_name of table users"] == "" {
		t.Errorf("comments: %v", before.Comments)
	}
	if Diff(before, before) != "" {
		t.Fatal("a snapshot differs from itself")
	}
	if _, err := db.Exec(ctx, `
CREATE VIEW active_tenants AS SELECT id, name FROM tenants WHERE deleted_at IS NULL;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER reviews_touch BEFORE UPDATE ON reviews FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE reviews ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reviews USING (tenant_id = current_setting('app.tenant')::bigint);
COMMENT ON VIEW active_tenants IS 'tenants not soft-deleted';
CREATE TYPE review_source AS ENUM ('google', 'yelp');
CREATE TABLE ranking_snapshots_extra PARTITION OF ranking_snapshots FOR VALUES FROM ('2030-01-01') TO ('2030-02-01');
CREATE INDEX reviews_body_idx ON reviews (body) WHERE body IS NOT NULL;`); err != nil {
		t.Fatal(err)
	}
	after, err := Take(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	d := Diff(before, after)
	for _, want := range []string{"public.active_tenants", "public.touch()", "public.reviews.reviews_touch", "tenant_isolation",
		`"public.reviews": "enabled"`, "view active_tenants", "public.review_source", "public.ranking_snapshots_extra", "reviews_body_idx", "body IS NOT NULL"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff does not mention %s:\n%s", want, d)
		}
	}
}
