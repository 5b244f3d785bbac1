package governance

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// replacingDoc replaces all three lists; relationships with none at all.
const replacingDoc = `
replace_defaults: [snapshots, relationships, retention]
snapshots:
  - table: crawl_outputs
    key: [tenant_id, url, crawled_on]
retention:
  - category: snapshots
    tables: [crawl_outputs]
    keep: 13 months
`

func TestParseReplaceDefaults(t *testing.T) {
	p, err := Parse([]byte(replacingDoc))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]SnapshotKey{{Table: "crawl_outputs", Key: []string{"tenant_id", "url", "crawled_on"}}}, p.Snapshots); d != "" {
		t.Errorf("snapshots: the file's list is the whole list (-want +got):\n%s", d)
	}
	if p.Relationships == nil || len(p.Relationships) != 0 {
		t.Errorf("relationships = %#v; want an empty, non-nil list", p.Relationships)
	}
	if d := cmp.Diff([]RetentionRule{{Category: CategorySnapshots, Tables: []string{"crawl_outputs"}, Keep: Months(13)}}, p.Retention); d != "" {
		t.Errorf("retention: the default rules must be gone (-want +got):\n%s", d)
	}
	if _, ok := p.RetentionFor("audit_log"); ok {
		t.Error("audit_log keeps its default rule after replace_defaults: [retention]")
	}
	// The lists not named still merge over the default.
	q, err := Parse([]byte("replace_defaults: [relationships]\nsnapshots:\n  - table: review_snapshots\n    key: [tenant_id, review_id]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Snapshots) != 1+len(Default().Snapshots) || len(q.Relationships) != 0 || len(q.Retention) != len(Default().Retention) {
		t.Errorf("snapshots %v, relationships %v, retention %v: only relationships should be replaced", q.Snapshots, q.Relationships, q.Retention)
	}
	// What YAML() and JSON() write reads back to the same policy: the marker travels
	// with the effective policy, or the defaults would come back.
	for name, enc := range map[string]func() ([]byte, error){"json": p.JSON, "yaml": p.YAML} {
		b, err := enc()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "replace_defaults") {
			t.Errorf("%s output lacks replace_defaults:\n%s", name, b)
		}
		r, err := Parse(b)
		if err != nil {
			t.Fatalf("%s round trip: %v\n%s", name, err, b)
		}
		if d := cmp.Diff(p, r, cmpopts.IgnoreUnexported(Policy{}), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, d)
		}
	}
	// The default policy writes no marker.
	if b, _ := Default().YAML(); strings.Contains(string(b), "replace_defaults") {
		t.Errorf("Default().YAML() writes replace_defaults:\n%s", b)
	}
}

func TestReplaceDefaultsInvalidIsPolicyErrorWithPosition(t *testing.T) {
	for name, tc := range map[string]struct {
		doc       string
		line, col int
		says      string
	}{
		"unknown list": {"tenant:\n  column: tenant_id\nreplace_defaults:\n  - snapshots\n  - classes\n", 5, 5, `unknown list "classes"`},
		"named twice":  {"replace_defaults: [retention, retention]\n", 1, 31, `"retention" twice`},
		"a scalar":     {"snapshots: []\nreplace_defaults: all\n", 2, 19, "must be a list"},
		"a boolean":    {"replace_defaults: true\n", 1, 19, "must be a list"},
	} {
		_, err := Parse([]byte(tc.doc))
		var pe *PolicyError
		if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: err = %v; want *PolicyError", name, err)
			continue
		}
		if len(pe.Problems) != 1 {
			t.Errorf("%s: problems = %+v; want one", name, pe.Problems)
			continue
		}
		pr := pe.Problems[0]
		if pr.Line != tc.line || pr.Column != tc.col || !strings.Contains(pr.Message, tc.says) ||
			!strings.Contains(pr.Message, "snapshots, relationships, retention") && tc.says != `"retention" twice` {
			t.Errorf("%s: problem = %+v; want %d:%d saying %q and naming the allowed lists", name, pr, tc.line, tc.col, tc.says)
		}
	}
	// Validate checks a policy built in code too.
	p := Default()
	p.ReplaceDefaults = []string{"data_classes"}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "replace_defaults[0]: replace_defaults names unknown list") {
		t.Errorf("Validate = %v", err)
	}
}

func TestDefaultEntriesAreToldApart(t *testing.T) {
	crawl := Default().Snapshots[1]
	rel := Default().Relationships[0]

	// The built-in policy: every list entry is a default.
	def := Default()
	if !def.IsDefaultSnapshot(crawl) || !def.IsDefaultRelationship(rel) || !def.IsDefaultRetention("public.crawl_outputs") {
		t.Error("Default(): its own entries must be defaults")
	}
	if def.FromFile("snapshots[1]") {
		t.Error("Default() came from no file")
	}

	// A file that names other entries leaves the defaults inherited.
	p, err := Parse([]byte("snapshots:\n  - table: review_snapshots\n    key: [tenant_id, review_id]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsDefaultSnapshot(crawl) || !p.IsDefaultRelationship(rel) || !p.IsDefaultRetention("crawl_outputs") {
		t.Error("entries the file did not name must stay defaults")
	}
	if p.IsDefaultSnapshot(p.Snapshots[0]) || !p.FromFile("snapshots[0]") || p.FromFile("snapshots[1]") {
		t.Errorf("the file's own entry is not a default: %v", p.Snapshots)
	}

	// A file that restates a default entry word for word makes it its own.
	p, err = Parse([]byte(`
snapshots:
  - table: crawl_outputs
    key: [tenant_id, location_id, url, crawled_on]
relationships:
  - from: keywords.campaign_id
    to: campaigns.id
retention:
  - category: snapshots
    tables: [crawl_outputs]
    keep: 13 months
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.IsDefaultSnapshot(crawl) || p.IsDefaultRelationship(rel) || p.IsDefaultRetention("crawl_outputs") {
		t.Error("entries the file names are not defaults, even when they equal one")
	}
	if !p.IsDefaultRetention("ranking_snapshots") || !p.IsDefaultRelationship(Default().Relationships[1]) {
		t.Error("the other default entries stay defaults")
	}

	// A program that changes an entry states it.
	q := Default()
	q.Snapshots[1].Key = []string{"tenant_id", "url"}
	q.Retention[0].Keep = Months(24)
	if q.IsDefaultSnapshot(q.Snapshots[1]) || q.IsDefaultRetention("crawl_outputs") || q.IsDefaultRetention("no_such_table") {
		t.Error("changed entries and unknown tables are not defaults")
	}
}
