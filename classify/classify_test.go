package classify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var fixedNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func lsosSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	if err := lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: fixedNow}); err != nil {
		return err
	}
	_, err := c.Exec(ctx, "ANALYZE")
	return err
}

const (
	op  = governance.Operational
	sen = governance.Sensitive
	aud = governance.Audit
	art = governance.Artifact
)

// reviewerClasses is the class a reviewer gives every column of the sample LSOS schema,
// with the reviewer's reasoning where it is not obvious:
//   - users: the e-mail, password hash, person's name and login IP are sensitive (§5
//     credentials and e-mail addresses); keys and timestamps are operational.
//   - auth_tokens: the whole table is auth tokens (§5 sensitive), so every column is.
//   - locations: the business's address and phone are contact data, treated as
//     sensitive; the rest is operational (§5).
//   - audit_log: security and privileged action log (§5 audit), except the actor's IP,
//     which is personal data and sensitive.
//   - delivery_log: a log of report deliveries, not of security or privileged actions,
//     so operational, except the recipient's e-mail address.
//   - report_files and branding_assets: artifact data (§5).
var reviewerClasses = map[string]map[string]governance.Class{
	"tenants":     {"id": op, "name": op, "plan": op, "status": op, "created_at": op, "deleted_at": op},
	"users":       {"id": op, "tenant_id": op, "email": sen, "password_hash": sen, "full_name": sen, "last_login_ip": sen, "created_at": op},
	"auth_tokens": {"id": sen, "tenant_id": sen, "user_id": sen, "token_hash": sen, "expires_at": sen, "created_at": sen},
	"locations": {"id": op, "tenant_id": op, "name": op, "address": sen, "phone": sen, "latitude": op, "longitude": op,
		"created_at": op},
	"campaigns": {"id": op, "tenant_id": op, "location_id": op, "name": op, "status": op, "starts_on": op, "budget": op,
		"created_at": op},
	"keywords": {"id": op, "tenant_id": op, "campaign_id": op, "phrase": op, "search_engine": op, "created_at": op},
	"ranking_snapshots": {"tenant_id": op, "keyword_id": op, "captured_on": op, "position": op, "url": op,
		"serp_features": op},
	"crawl_outputs": {"tenant_id": op, "location_id": op, "url": op, "crawled_on": op, "status_code": op, "title": op,
		"body_bytes": op, "content_hash": op},
	"reviews": {"id": op, "tenant_id": op, "location_id": op, "source": op, "external_id": op, "rating": op,
		"author_name": op, "body": op, "published_at": op},
	"audit_log": {"id": aud, "tenant_id": aud, "actor_user_id": aud, "action": aud, "target": aud, "ip_address": sen,
		"occurred_at": aud, "details": aud},
	"report_files": {"id": art, "tenant_id": art, "campaign_id": art, "object_key": art, "content_type": art,
		"size_bytes": art, "created_at": art},
	"delivery_log": {"id": op, "tenant_id": op, "report_file_id": op, "channel": op, "recipient_email": sen,
		"status": op, "sent_at": op},
	"branding_assets": {"id": art, "tenant_id": art, "kind": art, "object_url": art, "checksum": art, "created_at": art},
	"report_summaries": {"tenant_id": op, "campaign_id": op, "month": op, "avg_position": op,
		"keywords_tracked": op},
}

func TestSampleSchemaEveryColumnGetsTheReviewersClass(t *testing.T) {
	db := pgtest.DB(t, "lsos", lsosSetup)
	cat, err := Classify(context.Background(), db, governance.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]governance.Class{}
	for _, c := range cat.Columns {
		if !strings.HasPrefix(c.Table, "public.") {
			t.Errorf("table %q is not schema-qualified", c.Table)
		}
		tb := strings.TrimPrefix(c.Table, "public.")
		if got[tb] == nil {
			got[tb] = map[string]governance.Class{}
		}
		got[tb][c.Column] = c.Class
		if !c.Settled || c.Source == SourceDefault || c.Reason == "" {
			t.Errorf("%s: want a settled class with a reason, got settled=%v source=%s reason=%q", c.Object(), c.Settled, c.Source, c.Reason)
		}
	}
	if diff := cmp.Diff(reviewerClasses, got); diff != "" {
		t.Errorf("classes differ from the reviewer's (-want +got):\n%s", diff)
	}
	if len(got) != len(lsos.Tables) {
		t.Errorf("catalog has %d tables, want the %d sample tables (partitions folded into their parents)", len(got), len(lsos.Tables))
	}
	if f := cat.Findings(governance.Default()); len(f) != 0 {
		t.Errorf("want no unclassified-column findings on the sample schema, got %v", f)
	}
	// Sources the sample exercises.
	for ref, want := range map[string]Source{
		"users.email": SourceRule, "users.full_name": SourceAnnotation, "branding_assets.kind": SourceAnnotation,
		"audit_log.action": SourceRule,
	} {
		if c, _ := cat.Column(ref); c.Source != want {
			t.Errorf("%s: source %s, want %s", ref, c.Source, want)
		}
	}
	// Table-level view: retention infers audit tables from it.
	if got := cat.TablesOfClass(governance.Audit); !cmp.Equal(got, []string{"public.audit_log"}) {
		t.Errorf("audit tables = %v, want [public.audit_log]", got)
	}
	for name, want := range map[string]governance.Class{"delivery_log": op, "branding_assets": art, "report_files": art,
		"auth_tokens": sen, "users": op, "ranking_snapshots": op} {
		if tb, ok := cat.Table(name); !ok || tb.Class != want {
			t.Errorf("table %s class = %q, want %s", name, tb.Class, want)
		}
	}
	users, _ := cat.Table("public.users")
	if !cmp.Equal(users.SensitiveColumns, []string{"email", "password_hash", "full_name", "last_login_ip"}) {
		t.Errorf("users sensitive columns = %v", users.SensitiveColumns)
	}
	snap, _ := cat.Table("ranking_snapshots")
	if !snap.Partitioned || snap.EstimatedRows == 0 {
		t.Errorf("ranking_snapshots: partitioned=%v estimated rows=%d; want partitioned with the partitions' rows summed", snap.Partitioned, snap.EstimatedRows)
	}
}

func TestPolicyClassesOverrideAndTableClassYieldsToSensitiveFindings(t *testing.T) {
	db := pgtest.DB(t, "lsos", lsosSetup)
	p := governance.Default()
	p.Classes.Columns["users.email"] = governance.Operational         // an explicit column class beats every rule
	p.Classes.Tables["reviews"] = governance.Audit                    // a table class is the default for its columns…
	p.Classes.Columns["public.locations.phone"] = governance.Artifact // schema-qualified keys work too
	ctx := context.Background()
	// …but a detector that finds sensitive values in one of them still wins.
	if _, err := db.Exec(ctx, `UPDATE reviews SET author_name = 'reviewer' || id || '@mail.example.net'`); err != nil {
		t.Fatal(err)
	}
	cat, err := Classify(ctx, db, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(ref string, class governance.Class, src Source) {
		t.Helper()
		c, ok := cat.Column(ref)
		if !ok || c.Class != class || c.Source != src {
			t.Errorf("%s = %s/%s, want %s/%s (reason %q)", ref, c.Class, c.Source, class, src, c.Reason)
		}
	}
	check("users.email", op, SourcePolicy)
	check("locations.phone", art, SourcePolicy)
	check("reviews.body", aud, SourcePolicy)
	check("reviews.id", aud, SourcePolicy)
	check("reviews.author_name", sen, SourceSampling)
	if tb, _ := cat.Table("reviews"); tb.Class != aud || tb.Source != SourcePolicy {
		t.Errorf("reviews table = %s/%s, want audit/policy", tb.Class, tb.Source)
	}
}

func TestOptionsAreValidated(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	ctx := context.Background()
	for _, o := range []Options{{SampleSize: -1}, {SampleSize: MaxSampleSize + 1}, {SampleTimeout: -time.Second}} {
		_, err := Classify(ctx, db, governance.Default(), o)
		if err == nil || !strings.Contains(err.Error(), "classify:") {
			t.Errorf("Options %+v: want a classify: error, got %v", o, err)
		}
	}
	if _, err := Classify(ctx, db, nil, Options{}); err == nil {
		t.Error("nil policy: want an error")
	}
	cat, err := Classify(ctx, db, governance.Default(), Options{})
	if err != nil || len(cat.Columns) != 0 || len(cat.Tables) != 0 {
		t.Errorf("empty database: catalog %+v, err %v; want empty", cat, err)
	}
}
