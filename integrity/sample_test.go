package integrity

import (
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
)

func TestSampleSchemaPassesAllChecks(t *testing.T) {
	db := sampleDB(t)
	fs := runChecks(t, db, governance.Default())
	if len(fs) != 0 {
		t.Fatalf("the sample schema should pass every check, got:\n%s", render(fs))
	}
}

// TestSamplePlantedDefects plants each defect in a copy of the sample and asserts the
// finding it must produce.
func TestSamplePlantedDefects(t *testing.T) {
	cases := []struct {
		name    string
		plant   []string
		check   string
		object  string
		count   int64
		code    string
		message string // substring
	}{
		{name: "missing-fk policy relationship",
			plant: []string{`ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey`},
			check: governance.CheckMissingFK, object: "public.keywords.campaign_id", code: CodeMissingFK, message: "policy relationship"},
		{name: "missing-fk inferred relationship",
			plant: []string{`ALTER TABLE reviews DROP CONSTRAINT reviews_tenant_id_location_id_fkey`},
			check: governance.CheckMissingFK, object: "public.reviews.location_id", code: CodeMissingFK, message: "inferred relationship public.reviews (tenant_id, location_id)"},
		{name: "orphaned-rows without FK",
			plant: []string{`ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey`,
				`ALTER TABLE keywords ALTER COLUMN campaign_id DROP NOT NULL`,
				`INSERT INTO keywords (tenant_id, campaign_id, phrase) VALUES (1, 999999, 'a'), (1, 999998, 'b'), (2, NULL::bigint, 'c')`},
			check: governance.CheckOrphanedRows, object: "public.keywords.campaign_id", count: 2, code: CodeOrphanedRows, message: "first keys (id)"},
		{name: "orphaned-rows across tenants",
			// A keyword pointing at another tenant's campaign is an orphan of (tenant_id, campaign_id).
			plant: []string{`ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey`,
				`INSERT INTO keywords (tenant_id, campaign_id, phrase) SELECT 2, id, 'cross' FROM campaigns WHERE tenant_id = 1 LIMIT 1`},
			check: governance.CheckOrphanedRows, object: "public.keywords.campaign_id", count: 1, code: CodeOrphanedRows},
		{name: "orphaned-rows behind NOT VALID FK",
			plant: []string{`ALTER TABLE report_summaries DROP CONSTRAINT report_summaries_tenant_id_campaign_id_fkey`,
				`INSERT INTO report_summaries (tenant_id, campaign_id, month, keywords_tracked) VALUES (3, 424242, '2026-01-01', 1)`,
				`ALTER TABLE report_summaries ADD FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) NOT VALID`},
			check: governance.CheckOrphanedRows, object: "public.report_summaries.campaign_id", count: 1, code: CodeOrphanedRows,
			message: "first keys (tenant_id, campaign_id, month): (3, 424242, 2026-01-01)"},
		{name: "soft-deleted tenant",
			plant: []string{`UPDATE tenants SET deleted_at = now() WHERE id = 2`},
			check: governance.CheckOrphanedRows, object: "public.users.tenant_id", count: 3, code: CodeSoftDeletedParent},
		{name: "duplicate snapshots without the primary key",
			plant: []string{`ALTER TABLE ranking_snapshots DROP CONSTRAINT ranking_snapshots_pkey`,
				`INSERT INTO ranking_snapshots SELECT * FROM ranking_snapshots WHERE captured_on >= '2026-02-01' AND captured_on < '2026-03-01' AND keyword_id IN (1, 2)`},
			check: governance.CheckDuplicateSnapshots, object: "public.ranking_snapshots_2026_02", count: 8, code: CodeDuplicateSnapshots,
			message: "8 value(s) of the snapshot key (tenant_id, keyword_id, captured_on)"},
		{name: "unscoped-unique",
			plant: []string{`CREATE UNIQUE INDEX reviews_external_id_uq ON reviews (external_id)`},
			check: governance.CheckUnscopedUnique, object: "public.reviews.external_id", code: CodeUnscopedUnique, message: "reviews_external_id_uq"},
		{name: "tenant column nullable",
			plant: []string{`ALTER TABLE branding_assets ALTER COLUMN tenant_id DROP NOT NULL`},
			check: governance.CheckTenantIsolation, object: "public.branding_assets.tenant_id", code: CodeTenantNullable},
		{name: "tenant column missing",
			plant: []string{`CREATE TABLE notes (id bigint PRIMARY KEY, body text)`},
			check: governance.CheckTenantIsolation, object: "public.notes", code: CodeTenantColumnMissing},
		{name: "tenant table without FK to root",
			plant: []string{`ALTER TABLE branding_assets DROP CONSTRAINT branding_assets_tenant_id_fkey`},
			check: governance.CheckTenantIsolation, object: "public.branding_assets.tenant_id", code: CodeTenantNoRootFK},
		{name: "FK not carrying the tenant column",
			plant: []string{`ALTER TABLE reviews ADD COLUMN campaign_id bigint REFERENCES campaigns (id)`},
			check: governance.CheckTenantIsolation, object: "public.reviews.campaign_id", code: CodeTenantFKUnscoped},
		{name: "fk-missing-index",
			plant: []string{`DROP INDEX reviews_tenant_location_idx`},
			check: governance.CheckFKMissingIndex, object: "public.reviews.(tenant_id,location_id)", code: CodeFKMissingIndex},
		{name: "not-valid-constraint",
			plant: []string{`ALTER TABLE reviews ADD CONSTRAINT reviews_body_len CHECK (length(body) < 100000) NOT VALID`},
			check: governance.CheckNotValidConstraint, object: "public.reviews", code: CodeNotValidConstraint, message: "reviews_body_len"},
		{name: "missing-partition next month",
			plant: []string{`DROP TABLE ranking_snapshots_2026_04`},
			check: governance.CheckMissingPartition, object: "public.ranking_snapshots", code: CodeMissingPartition, message: "next month 2026-04"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := sampleDB(t, tc.plant...)
			fs := runChecks(t, db, governance.Default())
			f := want(t, fs, tc.check, tc.object)
			if f.Count != tc.count || f.Code != tc.code || !strings.Contains(f.Message, tc.message) {
				t.Fatalf("finding %s: want count %d, code %s, message containing %q", f, tc.count, tc.code, tc.message)
			}
		})
	}
}

// A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index; the duplicates that
// made it fail are then reported against its key.
func TestSampleInvalidUniqueIndex(t *testing.T) {
	db := sampleDB(t)
	if _, err := db.Exec(t.Context(), `CREATE UNIQUE INDEX CONCURRENTLY reviews_rating_uq ON reviews (tenant_id, rating)`); err == nil {
		t.Fatal("building a unique index over duplicate ratings should fail")
	}
	fs := runChecks(t, db, governance.Default())
	f := want(t, fs, governance.CheckInvalidIndex, "public.reviews")
	if !strings.Contains(f.Message, "reviews_rating_uq") || f.Severity != governance.SeverityError {
		t.Fatalf("invalid-index finding: %s", f)
	}
	d := want(t, fs, governance.CheckDuplicateSnapshots, "public.reviews")
	var keys, surplus int64
	if err := db.QueryRow(t.Context(), `SELECT count(*), coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM reviews GROUP BY tenant_id, rating HAVING count(*) > 1) d`).Scan(&keys, &surplus); err != nil {
		t.Fatal(err)
	}
	if d.Count != surplus || !strings.Contains(d.Message, "unique index reviews_rating_uq") {
		t.Fatalf("duplicates behind the invalid index: got %s, want %d surplus rows (%d keys)", d, surplus, keys)
	}
}
