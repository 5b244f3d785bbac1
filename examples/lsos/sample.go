package lsos

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
)

// SampleOptions size the sample data. The zero value gives the defaults.
type SampleOptions struct {
	// Now is the end of the data's time span (default: time.Now). Data starts Months
	// calendar months before the first day of Now's month.
	Now time.Time
	// Months of history (default 24).
	Months int
	// Tenants to create (default 3: plans standard, enterprise, standard).
	Tenants int
	// KeywordsPerCampaign (default 5; 2 campaigns per tenant).
	KeywordsPerCampaign int
	// SnapshotDays is how many days of each month get a ranking snapshot (default 4).
	SnapshotDays int
}

func (o *SampleOptions) defaults() {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Months <= 0 {
		o.Months = 24
	}
	if o.Tenants <= 0 {
		o.Tenants = 3
	}
	if o.KeywordsPerCampaign <= 0 {
		o.KeywordsPerCampaign = 5
	}
	if o.SnapshotDays <= 0 {
		o.SnapshotDays = 4
	}
	o.SnapshotDays = min(o.SnapshotDays, 28)
}

// Span returns the first day of the oldest month of sample data and the first day of the
// month after Now: the range covered by partitions.
func (o SampleOptions) Span() (from, to time.Time) {
	o.defaults()
	n := o.Now.UTC()
	cur := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, time.UTC)
	return cur.AddDate(0, -o.Months, 0), cur.AddDate(0, 1, 0)
}

// PartitionName is the name of the monthly partition of table for month m: table_YYYY_MM.
func PartitionName(table string, m time.Time) string {
	return fmt.Sprintf("%s_%04d_%02d", table, m.Year(), int(m.Month()))
}

// EnsurePartitions creates the monthly partitions of both snapshot tables for every
// month in [from, to) that lacks one.
func EnsurePartitions(ctx context.Context, db DB, from, to time.Time) error {
	for m := from; m.Before(to); m = m.AddDate(0, 1, 0) {
		for _, t := range []string{"ranking_snapshots", "crawl_outputs"} {
			q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
				quote(PartitionName(t, m)), quote(t), m.Format("2006-01-02"), m.AddDate(0, 1, 0).Format("2006-01-02"))
			if _, err := db.Exec(ctx, q); err != nil {
				return fmt.Errorf("lsos: create partition %s: %w", PartitionName(t, m), err)
			}
		}
	}
	return nil
}

// LoadSample inserts deterministic sample data spanning Months months before Now, with
// partitions from the oldest month through the month after Now. The schema must exist.
func LoadSample(ctx context.Context, db DB, o SampleOptions) error {
	o.defaults()
	from, to := o.Span()
	if err := EnsurePartitions(ctx, db, from, to.AddDate(0, 1, 0)); err != nil {
		return err
	}
	now := o.Now.UTC()
	args := pgx.NamedArgs{"tenants": o.Tenants, "keywords": o.KeywordsPerCampaign, "from": from,
		"now": now, "days": o.SnapshotDays, "months": o.Months}
	for _, step := range sampleSQL {
		if _, err := db.Exec(ctx, step.sql, args); err != nil {
			return fmt.Errorf("lsos: load sample %s: %w", step.name, err)
		}
	}
	return nil
}

// sampleSQL builds the data with set-based statements. Parameters: @tenants,
// @keywords per campaign, @from (first day of the oldest month), @now, @days (snapshot
// days per month), @months. Every value derives from ids, so two loads give the same data.
var sampleSQL = []struct{ name, sql string }{
	{"tenants", `INSERT INTO tenants (name, plan, created_at)
		SELECT 'Tenant ' || g, CASE WHEN g % 3 = 2 THEN 'enterprise' ELSE 'standard' END, @from::timestamptz
		FROM generate_series(1, @tenants::int) g`},
	{"users", `INSERT INTO users (tenant_id, email, password_hash, full_name, last_login_ip, created_at)
		SELECT t.id, 'user' || u || '@tenant' || t.id || '.example.com',
		       '$2b$12$' || substr(md5(t.id || '-' || u), 1, 22) || substr(md5(u || '-' || t.id), 1, 31),
		       'User ' || u || ' of ' || t.name, ('10.0.' || t.id || '.' || u)::inet, @from::timestamptz
		FROM tenants t, generate_series(1, 3) u`},
	{"auth_tokens", `INSERT INTO auth_tokens (tenant_id, user_id, token_hash, expires_at)
		SELECT u.tenant_id, u.id, encode(sha256(('tok' || u.id || '-' || k)::bytea), 'hex'), @now::timestamptz + interval '30 days'
		FROM users u, generate_series(1, 2) k`},
	{"locations", `INSERT INTO locations (tenant_id, name, address, phone, latitude, longitude)
		SELECT t.id, 'Shop ' || l, l || ' Market Street, Springfield', '+1-555-01' || lpad((t.id * 10 + l)::text, 2, '0'),
		       40 + t.id * 0.01 + l * 0.001, -73 - l * 0.001
		FROM tenants t, generate_series(1, 2) l`},
	{"campaigns", `INSERT INTO campaigns (tenant_id, location_id, name, starts_on, budget)
		SELECT l.tenant_id, l.id, 'Campaign for ' || l.name, @from::date, 500 + l.id
		FROM locations l`},
	{"keywords", `INSERT INTO keywords (tenant_id, campaign_id, phrase)
		SELECT c.tenant_id, c.id, 'keyword ' || k || ' near ' || c.id
		FROM campaigns c, generate_series(1, @keywords::int) k`},
	{"ranking_snapshots", `INSERT INTO ranking_snapshots (tenant_id, keyword_id, captured_on, position, url, serp_features)
		SELECT k.tenant_id, k.id, (m + ((d - 1) * 7 + (d - 1) / 4) % 28 * interval '1 day')::date,
		       1 + (k.id * 7 + d * 3 + extract(month FROM m)::int) % 30,
		       'https://shop' || k.campaign_id || '.example.com/',
		       jsonb_build_object('local_pack', (k.id + d) % 2 = 0, 'reviews', (k.id + d) % 5)
		FROM keywords k,
		     generate_series(@from::date, (@now::timestamptz - interval '1 day')::date, interval '1 month') m,
		     generate_series(1, @days::int) d
		WHERE (m + ((d - 1) * 7 + (d - 1) / 4) % 28 * interval '1 day')::date < @now::timestamptz::date
		ON CONFLICT DO NOTHING`},
	{"crawl_outputs", `INSERT INTO crawl_outputs (tenant_id, location_id, url, crawled_on, status_code, title, body_bytes, content_hash)
		SELECT l.tenant_id, l.id, 'https://shop' || l.id || '.example.com/' || p, (m + interval '2 days')::date,
		       CASE WHEN (l.id + p) % 7 = 0 THEN 404 ELSE 200 END, 'Shop ' || l.id || ' page ' || p,
		       1000 + l.id * 10 + p, sha256((l.id || '/' || p || '/' || m)::bytea)
		FROM locations l, generate_series(1, 2) p,
		     generate_series(@from::date, (@now::timestamptz - interval '3 days')::date, interval '1 month') m`},
	{"reviews", `INSERT INTO reviews (tenant_id, location_id, source, external_id, rating, author_name, body, published_at)
		SELECT l.tenant_id, l.id, 'google', 'g-' || l.id || '-' || r, 1 + (l.id + r) % 5, 'Reviewer ' || r,
		       'Visited shop ' || l.id || ', review ' || r, @from::timestamptz + (r * interval '9 days')
		FROM locations l, generate_series(1, @months::int * 3) r
		WHERE @from::timestamptz + (r * interval '9 days') < @now::timestamptz`},
	{"audit_log", `INSERT INTO audit_log (tenant_id, actor_user_id, action, target, ip_address, occurred_at, details)
		SELECT u.tenant_id, CASE WHEN w % 10 = 0 THEN NULL ELSE u.id END,
		       (ARRAY['login', 'export_report', 'change_role', 'rotate_token'])[1 + w % 4], 'campaign:' || u.tenant_id,
		       ('10.1.' || u.tenant_id || '.' || w % 200)::inet, @from::timestamptz + w * interval '1 week',
		       jsonb_build_object('seq', w)
		FROM users u, generate_series(0, @months::int * 4) w
		WHERE @from::timestamptz + w * interval '1 week' < @now::timestamptz`},
	{"report_files", `INSERT INTO report_files (tenant_id, campaign_id, object_key, content_type, size_bytes, created_at)
		SELECT c.tenant_id, c.id, 'reports/' || c.tenant_id || '/' || c.id || '/' || to_char(m, 'YYYY-MM') || '.pdf',
		       'application/pdf', 20000 + c.id * 100, m + interval '1 day'
		FROM campaigns c, generate_series(@from::date, (@now::timestamptz - interval '1 day')::date, interval '1 month') m`},
	{"delivery_log", `INSERT INTO delivery_log (tenant_id, report_file_id, channel, recipient_email, status, sent_at)
		SELECT f.tenant_id, f.id, 'email', 'client' || f.campaign_id || '@customer' || f.tenant_id || '.example.org',
		       CASE WHEN f.id % 9 = 0 THEN 'bounced' ELSE 'delivered' END, f.created_at + interval '2 hours'
		FROM report_files f`},
	{"branding_assets", `INSERT INTO branding_assets (tenant_id, kind, object_url, checksum)
		SELECT t.id, k, 'https://assets.example.com/' || t.id || '/' || k || '.png', md5(t.id || k)
		FROM tenants t, unnest(ARRAY['logo', 'favicon']) k`},
	{"report_summaries", `INSERT INTO report_summaries (tenant_id, campaign_id, month, avg_position, keywords_tracked)
		SELECT k.tenant_id, k.campaign_id, date_trunc('month', s.captured_on)::date, round(avg(s.position), 2), count(DISTINCT k.id)
		FROM ranking_snapshots s JOIN keywords k ON k.tenant_id = s.tenant_id AND k.id = s.keyword_id
		GROUP BY 1, 2, 3`},
}

// quote returns name as a quoted SQL identifier.
func quote(name string) string { return governance.QualifiedName{Name: name}.Quoted() }
