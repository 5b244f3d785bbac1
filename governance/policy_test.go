package governance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDefaultIsTheSeedPolicy(t *testing.T) {
	p := Default()
	if p.Tenant.Column != "tenant_id" || p.Tenant.Table != "tenants" {
		t.Errorf("tenant = %+v; want column tenant_id, table tenants", p.Tenant)
	}
	if p.DeprecationWindow != Duration(720*time.Hour) {
		t.Errorf("deprecation window = %s; want 720h", p.DeprecationWindow)
	}
	// §5: the four classes with the seed's examples.
	wantClasses := []DataClass{
		{Name: Operational, Description: "Operational data", Examples: []string{"campaigns", "rankings", "crawl outputs", "reviews"}},
		{Name: Sensitive, Description: "Sensitive data", Examples: []string{"user credentials", "email addresses", "auth tokens"}},
		{Name: Audit, Description: "Audit data", Examples: []string{"security and privileged action logs"}},
		{Name: Artifact, Description: "Artifact data", Examples: []string{"report files", "branding assets"}},
	}
	if d := cmp.Diff(wantClasses, p.DataClasses); d != "" {
		t.Errorf("data classes (-want +got):\n%s", d)
	}
	if p.Classes.Default != Operational {
		t.Errorf("default class = %q; want operational", p.Classes.Default)
	}
	// §6: retention floors.
	for cat, want := range map[Category]Keep{CategorySnapshots: Months(13), CategoryAudit: Months(24), CategoryDelivery: Months(12), CategorySummaries: Months(13)} {
		if got := p.Floor(cat); got != want {
			t.Errorf("floor %s = %s; want %s", cat, got, want)
		}
	}
	for table, want := range map[string]Keep{"ranking_snapshots": Months(13), "crawl_outputs": Months(13), "audit_log": Months(24), "delivery_log": Months(12), "report_summaries": Forever} {
		r, ok := p.RetentionFor(table)
		if !ok || r.Keep != want {
			t.Errorf("retention for %s = %+v (found %v); want keep %s", table, r, ok, want)
		}
	}
	// §10: approvals.
	if d := cmp.Diff([]Approver{ApproverBackendOwner, ApproverPlatformOwner}, p.Approvals.SchemaChange); d != "" {
		t.Errorf("schema change approvers (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Approver{ApproverSecurity}, p.Approvals.SensitiveChange); d != "" {
		t.Errorf("sensitive change approvers (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Approver{ApproverLegalCompliance}, p.Approvals.RetentionChange); d != "" {
		t.Errorf("retention change approvers (-want +got):\n%s", d)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
	// Each call is a fresh copy.
	p.Classes.Columns["x.y"] = Sensitive
	if len(Default().Classes.Columns) != 0 {
		t.Error("Default() shares maps between calls")
	}
}

func TestParseMergesOverDefault(t *testing.T) {
	p, err := Parse([]byte(`
version: "2026-11"
deprecation_window: 30 days
tenant:
  column: account_id
snapshots:
  - table: ranking_snapshots
    key: [account_id, keyword_id, captured_on]
  - table: review_snapshots
    key: [account_id, review_id, captured_on]
classes:
  columns: {users.email: sensitive}
  tables: {audit_log: audit}
retention:
  - category: audit
    tables: [audit_log]
    keep: 7 years
  - category: summaries
    tables: [report_summaries]
    keep: forever
    plans: {standard: 24 months}
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Tenant.Column != "account_id" || p.Tenant.Table != "tenants" {
		t.Errorf("tenant = %+v; want the file's column and the default table", p.Tenant)
	}
	if p.DeprecationWindow != Duration(30*24*time.Hour) {
		t.Errorf("deprecation window = %s", p.DeprecationWindow)
	}
	want := []SnapshotKey{
		{Table: "ranking_snapshots", Key: []string{"account_id", "keyword_id", "captured_on"}},
		{Table: "review_snapshots", Key: []string{"account_id", "review_id", "captured_on"}},
		{Table: "crawl_outputs", Key: []string{"tenant_id", "location_id", "url", "crawled_on"}},
	}
	if d := cmp.Diff(want, p.Snapshots); d != "" {
		t.Errorf("snapshots (-want +got):\n%s", d)
	}
	if len(p.Relationships) != len(Default().Relationships) {
		t.Errorf("relationships not in the file must keep the default: %v", p.Relationships)
	}
	if c, src, ok := p.ExplicitClass("public.users", "email"); !ok || c != Sensitive || src != "column" {
		t.Errorf("ExplicitClass(users.email) = %v %v %v", c, src, ok)
	}
	if k, _, _ := p.KeepFor("audit_log", ""); k != Years(7) {
		t.Errorf("audit keep = %s; want 7 years", k)
	}
	if k, _, _ := p.KeepFor("report_summaries", "standard"); k != Months(24) {
		t.Errorf("summaries keep for standard plan = %s; want 24 months", k)
	}
	if k, _, _ := p.KeepFor("report_summaries", "enterprise"); !k.Forever {
		t.Errorf("summaries keep for enterprise = %s; want forever", k)
	}
	// Default rules for tables the file did not name survive.
	if k, _, ok := p.KeepFor("delivery_log", ""); !ok || k != Months(12) {
		t.Errorf("delivery_log keep = %s (%v); want the default 12 months", k, ok)
	}
	if p.Floor(CategoryAudit) != Months(24) {
		t.Errorf("floor must not move with a keep")
	}
}

func TestParseJSON(t *testing.T) {
	p, err := Parse([]byte(`{"tenant": {"table": "accounts"}, "retention": [{"category": "delivery", "tables": ["delivery_log"], "keep": "18 months"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Tenant.Table != "accounts" || p.Tenant.Column != "tenant_id" {
		t.Errorf("tenant = %+v", p.Tenant)
	}
	if k, _, _ := p.KeepFor("delivery_log", ""); k != Months(18) {
		t.Errorf("delivery keep = %s", k)
	}
	// Round trip: what JSON() and YAML() write, Parse reads back to the same policy.
	for name, enc := range map[string]func() ([]byte, error){"json": p.JSON, "yaml": p.YAML} {
		b, err := enc()
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(b)
		if err != nil {
			t.Fatalf("%s round trip: %v\n%s", name, err, b)
		}
		if d := cmp.Diff(p, q, cmpopts.IgnoreUnexported(Policy{}), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, d)
		}
	}
}

func TestUnknownKeysRejectedWithPosition(t *testing.T) {
	_, err := Parse([]byte("tenant:\n  column: tenant_id\n  colum: x\nretention:\n  - category: audit\n    tables: [audit_log]\n    keep: 24 months\n    kept: 1\nfoo: bar\n"))
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v; want *PolicyError", err)
	}
	if !errors.Is(err, ErrInvalidPolicy) {
		t.Error("a PolicyError must match ErrInvalidPolicy")
	}
	want := []struct {
		line int
		key  string
	}{{3, `"colum"`}, {8, `"kept"`}, {9, `"foo"`}}
	if len(pe.Problems) != len(want) {
		t.Fatalf("problems = %v; want %d", pe.Problems, len(want))
	}
	for i, w := range want {
		p := pe.Problems[i]
		if p.Line != w.line || !strings.Contains(p.Message, "unknown key "+w.key) || !strings.Contains(p.Message, "allowed:") {
			t.Errorf("problem %d = %+v; want line %d naming %s and the allowed keys", i, p, w.line, w.key)
		}
	}
}

func TestValidateListsEveryViolation(t *testing.T) {
	_, err := Parse([]byte(`
deprecation_window: 0s
snapshots:
  - table: ranking_snapshots
    key: []
  - table: ranking_snapshots
    key: [a]
relationships:
  - from: keywords
    to: campaigns.id
  - from: keywords
    to: campaigns.id
classes:
  columns: {users.email: secret}
  tables: {audit_log: logs}
retention:
  - category: audit
    tables: [audit_log]
    keep: 12 months
  - category: snapshots
    tables: [ranking_snapshots, audit_log]
    keep: 13 months
  - category: archive
    tables: [x]
    keep: 1 year
`))
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v; want *PolicyError", err)
	}
	msg := pe.Error()
	for _, want := range []string{
		"deprecation window must be a positive duration",
		"names no column list",
		`duplicate snapshot key for table "ranking_snapshots"`,
		`relationship source "keywords" is not of the form table.column`,
		"duplicate relationship keywords → campaigns.id",
		`unknown data class "secret"`,
		`unknown data class "logs"`,
		"keeps 12 months, below the policy floor of 24 months",
		`table "audit_log" is covered by retention[0] and retention[1]`,
		`unknown retention category "archive"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("validation message lacks %q:\n%s", want, msg)
		}
	}
	// Positions point into the file.
	for _, p := range pe.Problems {
		if p.Line == 0 {
			t.Errorf("problem without a line: %+v", p)
		}
	}
}

func TestValidateFloorsAndApprovals(t *testing.T) {
	_, err := Parse([]byte(`
retention_floors: {audit: 12 months}
approvals:
  schema_change: [backend-owner]
  retention_change: []
offboarding: {export_window: -1h, batch_size: 0}
time_zone: Mars/Olympus
severities: {no-such-check: error}
migrations:
  maintenance_windows: ["Someday 02:00-04:00"]
`))
	if err == nil {
		t.Fatal("want validation errors")
	}
	for _, want := range []string{
		"may be raised but never lowered: the policy floor is 24 months, got 12 months",
		"requires platform-owner", "requires legal-compliance-review",
		"export window must be a positive duration", "batch size must be above zero",
		`unknown time zone "Mars/Olympus"`, `unknown check "no-such-check"`, "unknown day Someday",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validation message lacks %q:\n%s", want, err)
		}
	}
	// Raising a floor is allowed and then binds keeps.
	_, err = Parse([]byte("retention_floors: {delivery: 18 months}\n"))
	if err == nil || !strings.Contains(err.Error(), "below the policy floor of 18 months") {
		t.Errorf("raised floor not applied to the default delivery keep: %v", err)
	}
}

func TestBadInputNamesTheProblem(t *testing.T) {
	for name, doc := range map[string]string{
		"keep in hours":   "retention:\n  - category: delivery\n    tables: [d]\n    keep: 8760h\n",
		"not a mapping":   "- a\n- b\n",
		"broken yaml":     "tenant: [\n",
		"window as words": "deprecation_window: a while\n",
		"bad severity":    "severities: {lock-risk: fatal}\n",
	} {
		_, err := Parse([]byte(doc))
		if err == nil {
			t.Errorf("%s: Parse accepted %q", name, doc)
			continue
		}
		if !strings.Contains(err.Error(), ":") || len(err.Error()) < 10 {
			t.Errorf("%s: unhelpful error %q", name, err)
		}
	}
	if p, err := Parse(nil); err != nil || p.Tenant.Column != "tenant_id" {
		t.Errorf("empty document must give the default: %v", err)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := t.TempDir() + "/bad.yaml"
	writeFile(t, path, "retention:\n  - category: audit\n    tables: [audit_log]\n    keep: 12 months\n")
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":4:") || !strings.Contains(err.Error(), "floor of 24 months") {
		t.Fatalf("Load error = %v; want it to start with %s:4: and name the 24-month floor", err, path)
	}
	if _, err := Load(t.TempDir() + "/missing.yaml"); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

// The Atlas-sourced review checks are checks like any other: a policy file may set
// their severity.
func TestSeveritiesAcceptAtlasChecks(t *testing.T) {
	p, err := Parse([]byte("severities: {atlas-data-depend: error, atlas-condrop: info}\n"))
	if err != nil {
		t.Fatalf("policy with atlas-* severities: %v", err)
	}
	if got := p.SeverityFor(CheckAtlasDataDepend, SeverityWarning); got != SeverityError {
		t.Errorf("atlas-data-depend severity %v, want error", got)
	}
}
