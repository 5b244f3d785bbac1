package integrity

import (
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// defaultsMismatch has the tables the built-in snapshot key and relationship name, but
// not their columns: crawl_outputs has no location_id, keywords no campaign_id.
const defaultsMismatch = `
CREATE TABLE tenants (id bigint PRIMARY KEY);
CREATE TABLE crawl_outputs (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, url text NOT NULL, crawled_on date NOT NULL);
CREATE TABLE keywords (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, phrase text NOT NULL);`

func mustParse(t *testing.T, doc string) *governance.Policy {
	t.Helper()
	p, err := governance.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A built-in default entry that does not fit the schema is info, whatever the
// severities say; the same entry named in the policy file is a warning; a file that
// replaces the defaults hears nothing of them.
func TestDefaultPolicyEntriesMissingFromSchemaAreInfo(t *testing.T) {
	db := pgtest.DB(t, "defaults-mismatch", pgtest.SQLSetup(defaultsMismatch))
	checks := []Check{DuplicateSnapshots{}, MissingFK{}}
	const (
		snapObj = "public.crawl_outputs"
		relObj  = "public.keywords.campaign_id"
	)

	def := governance.Default()
	fs := runChecks(t, db, def, checks...)
	s := wantWith(t, fs, governance.CheckDuplicateSnapshots, snapObj, "built-in default snapshot key")
	r := wantWith(t, fs, governance.CheckMissingFK, relObj, "built-in default relationship")
	for _, f := range []governance.Finding{s, r} {
		if f.Severity != governance.SeverityInfo || !strings.Contains(f.Message, "replace_defaults") {
			t.Errorf("default entry: %s; want info that names replace_defaults", f)
		}
	}
	if len(fs) != 2 {
		t.Errorf("want only the two default entries reported; got:\n%s", render(fs))
	}

	// Raising the checks' severity does not make a default entry more than info.
	loud := mustParse(t, "severities: {duplicate-snapshots: error, missing-fk: error}\n")
	for _, f := range runChecks(t, db, loud, checks...) {
		if f.Severity != governance.SeverityInfo {
			t.Errorf("raised severities: %s; want info", f)
		}
	}

	// The same entries, named in the policy file: the user's claim, so a warning.
	named := mustParse(t, `
snapshots:
  - table: crawl_outputs
    key: [tenant_id, location_id, url, crawled_on]
relationships:
  - from: keywords.campaign_id
    to: campaigns.id
`)
	fs = runChecks(t, db, named, checks...)
	s = wantWith(t, fs, governance.CheckDuplicateSnapshots, snapObj, "fix snapshots in the policy")
	r = wantWith(t, fs, governance.CheckMissingFK, relObj, "policy relationship keywords.campaign_id")
	for _, f := range []governance.Finding{s, r} {
		if f.Severity != governance.SeverityWarning {
			t.Errorf("entry named in the file: %s; want a warning", f)
		}
	}

	// replace_defaults drops them: nothing to report.
	replaced := mustParse(t, `
replace_defaults: [snapshots, relationships]
snapshots:
  - table: crawl_outputs
    key: [tenant_id, url, crawled_on]
`)
	if fs := runChecks(t, db, replaced, checks...); len(fs) != 0 {
		t.Errorf("after replace_defaults: got:\n%s", render(fs))
	}
}
