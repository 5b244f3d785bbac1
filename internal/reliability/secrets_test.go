package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/retention"
)

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestNoSecretInLogsErrorsReportsOrManifests connects with a URL that carries a
// password and runs classify (with sampling), integrity (with orphan samples on a table
// keyed by an e-mail), archive (reports, manifests, catalog), migrate (including a
// failing statement whose PostgreSQL DETAIL would quote a duplicated e-mail) and a
// whole tenant offboarding, all logging at debug level. No log line, error, JSON
// report or manifest contains the password or any sensitive value of the database
// (every e-mail, password hash and token hash).
func TestNoSecretInLogsErrorsReportsOrManifests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	adminURL, admin := fresh(t)
	password := "pw-" + randomHex(t, 12)
	dbURL := createRole(t, admin, adminURL, "rel_secret", password, "SUPERUSER")
	if !strings.Contains(dbURL, password) {
		t.Fatal("the URL does not carry the password: the test would prove nothing")
	}
	db := poolFor(t, dbURL)
	// An orphan-prone table keyed by an e-mail, and a cross-tenant duplicate e-mail.
	if _, err := admin.Exec(ctx, `
CREATE TABLE contacts (tenant_id bigint NOT NULL REFERENCES tenants (id), email text NOT NULL, user_id bigint, PRIMARY KEY (tenant_id, email));
INSERT INTO contacts SELECT tenant_id, 'contact.' || id || '@customer-mail.example', id + 1000000 FROM users;
INSERT INTO users (tenant_id, email, password_hash) SELECT 2, email, password_hash FROM users WHERE tenant_id = 1 LIMIT 1;`); err != nil {
		t.Fatal(err)
	}
	secrets := []string{password}
	rows, err := admin.Query(ctx, `SELECT email FROM users UNION SELECT password_hash FROM users UNION SELECT token_hash FROM auth_tokens UNION SELECT email FROM contacts`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if len(s) >= 6 {
			secrets = append(secrets, s)
		}
	}
	if rows.Err() != nil || len(secrets) < 20 {
		t.Fatalf("%d secrets collected (%v): too few to prove anything", len(secrets), rows.Err())
	}

	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var outputs []string
	out := func(what string, v any, err error) {
		js, jerr := json.Marshal(v)
		if jerr != nil {
			t.Fatalf("%s: %v", what, jerr)
		}
		outputs = append(outputs, what+": "+string(js))
		if err != nil {
			outputs = append(outputs, what+" error: "+err.Error())
		}
	}
	p := governance.Default()

	cat, err := classify.Classify(ctx, db, p, classify.Options{Logger: log})
	out("classify", cat, err)
	if c, ok := cat.Column("public.contacts.email"); !ok || c.Class != governance.Sensitive {
		t.Fatalf("contacts.email: %+v %v", c, ok)
	}
	out("classify findings", cat.Findings(p), nil)
	rep, err := integrity.Run(ctx, db, p, integrity.Options{Logger: log, Now: func() time.Time { return fixedNow }})
	out("integrity", rep, err)
	orphans := 0
	for _, f := range rep.Findings {
		if f.Check == governance.CheckOrphanedRows && strings.Contains(f.Object, "contacts") {
			orphans++
		}
	}
	if orphans == 0 {
		t.Fatalf("no orphan finding on contacts: the sample-key path was not exercised (%+v)", rep.Findings)
	}

	storeDir := t.TempDir()
	store := openStore(t, storeDir)
	arep, err := archive.Run(ctx, db, store, p, archive.Options{Logger: log, Now: func() time.Time { return fixedNow },
		Partitions: []archive.Partition{{Name: "public.ranking_snapshots_2025_01"}, {Name: "public.crawl_outputs_2025_01"}}})
	out("archive report", arep, err)
	ms, err := archive.ReadManifests(ctx, store, "")
	out("archive manifests", ms, err)
	if len(ms) != 2 {
		t.Fatalf("%d manifests", len(ms))
	}
	es, err := archive.List(ctx, db)
	for _, e := range es {
		out("archive catalog manifest", e.Manifest, nil)
	}
	out("archive list", es, err)

	dir := noTxDir(t)
	if err := os.WriteFile(filepath.Join(dir, "20260104000000_unique_email.up.sql"), []byte("CREATE UNIQUE INDEX users_email_global ON users (email);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "20260104000000_unique_email.down.sql"), []byte("DROP INDEX users_email_global;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := migrate.Hash(dir); err != nil {
		t.Fatal(err)
	}
	d, err := migrate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(db, d, migrate.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Up(ctx)
	if err == nil {
		t.Fatal("the unique index over a duplicated e-mail was created")
	}
	out("migrate up", res, err)
	st, err := m.Status(ctx)
	out("migrate status", st, err)

	now := offboardNow
	ob, err := retention.NewOffboarder(db, p, retention.OffboardConfig{Actor: "ops", Logger: log, Now: func() time.Time { return now }, BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	s1, err := ob.SoftDelete(ctx, "2")
	out("soft delete", s1, err)
	exp, err := ob.Export(ctx, "2", store, "offboarding")
	out("export", exp, err)
	now = now.AddDate(0, 0, 31)
	plan, err := ob.Plan(ctx, "2")
	out("plan", plan, err)
	del, err := ob.HardDelete(ctx, "2")
	out("hard delete", del, err)
	for _, mf := range exp.Manifests {
		rm, err := retention.ReadManifest(ctx, store, mf.Object)
		out("offboarding manifest", rm, err)
	}
	recs, err := retention.AuditRecords(ctx, db, "")
	out("audit records", recs, err)

	all := logs.String() + "\n" + strings.Join(outputs, "\n")
	if !strings.Contains(logs.String(), "archive") || len(logs.String()) < 500 {
		t.Fatalf("only %d bytes of logs captured: the loggers were not exercised", len(logs.String()))
	}
	leaks := 0
	for _, s := range secrets {
		if i := strings.Index(all, s); i >= 0 {
			leaks++
			if leaks <= 5 {
				lo, hi := max(0, i-200), min(len(all), i+len(s)+50)
				t.Errorf("secret %q leaked: …%s…", s, all[lo:hi])
			}
		}
	}
	if leaks > 0 {
		t.Fatalf("%d of %d secrets leaked", leaks, len(secrets))
	}
	t.Logf("FIGURE secrets: %d secret values (password + e-mails, password and token hashes) checked against %d bytes of logs, errors, reports and manifests", len(secrets), len(all))
}
