package reliability

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/retention"
)

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// createRole creates a login role with a password and the given grants on the database
// behind admin, and returns a URL that logs in as it (user and password in the URL).
// The role is removed when the test ends. Roles are cluster-wide, so names are random.
func createRole(t *testing.T, admin *pgxpool.Pool, dbURL, prefix, password, attrs string, grants ...string) string {
	t.Helper()
	ctx := context.Background()
	role := prefix + "_" + randomHex(t, 4)
	q := sqlident.Quote(role)
	if _, err := admin.Exec(ctx, `CREATE ROLE `+q+` LOGIN `+attrs+` PASSWORD `+sqlident.QuoteLiteral(password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `DROP OWNED BY `+q+` CASCADE`)
		_, _ = admin.Exec(context.Background(), `DROP ROLE `+q)
	})
	for _, g := range grants {
		if _, err := admin.Exec(ctx, strings.ReplaceAll(g, "ROLE", q)); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	return u.String()
}

// TestReadOnlyRole runs each operation as a role with SELECT only (policy: classify and
// integrity need no more). Classify and every integrity check work; migrate Up, archive
// Run and retention Install fail with PostgreSQL's "permission denied" named in the
// error, and change nothing.
func TestReadOnlyRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	adminURL, admin := fresh(t)
	roURL := createRole(t, admin, adminURL, "rel_reader", "ro-"+randomHex(t, 8), "",
		`GRANT USAGE ON SCHEMA public TO ROLE`, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ROLE`, `REVOKE CREATE ON SCHEMA public FROM PUBLIC`)
	ro := poolFor(t, roURL)
	var who string
	if err := ro.QueryRow(ctx, `SELECT current_user`).Scan(&who); err != nil || !strings.HasPrefix(who, "rel_reader_") {
		t.Fatalf("connected as %q (%v)", who, err)
	}
	p := governance.Default()

	cat, err := classify.Classify(ctx, ro, p, classify.Options{})
	if err != nil {
		t.Fatalf("classify as read-only: %v", err)
	}
	if c, ok := cat.Column("public.users.email"); !ok || c.Class != governance.Sensitive {
		t.Fatalf("users.email as read-only: %+v %v", c, ok)
	}
	rep, err := integrity.Run(ctx, ro, p, integrity.Options{Now: func() time.Time { return fixedNow }})
	if err != nil || rep.Incomplete {
		t.Fatalf("integrity as read-only: %v %+v", err, rep)
	}
	if len(rep.Checks) != len(integrity.All()) {
		t.Fatalf("%d checks ran of %d", len(rep.Checks), len(integrity.All()))
	}

	denied := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("%s as read-only = %v; want an error saying permission denied", what, err)
		}
	}
	d, err := migrate.Load(noTxDir(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(ro, d, migrate.Config{LockWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Up(ctx)
	denied("migrate Up", err)
	const part = "public.ranking_snapshots_2025_01"
	before := digestOf(t, admin, part, "")
	_, err = archive.Run(ctx, ro, openStore(t, t.TempDir()), p, archive.Options{Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: part}}})
	denied("archive Run", err)
	if !isPartition(t, admin, part) || digestOf(t, admin, part, "") != before || exists(t, admin, "items") {
		t.Fatal("a refused operation changed the database")
	}
	ob, err := retention.NewOffboarder(ro, p, retention.OffboardConfig{Actor: "ro", Now: func() time.Time { return offboardNow }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ob.SoftDelete(ctx, "3")
	if err == nil {
		t.Fatal("soft delete as read-only succeeded")
	}
	if n := count(t, admin, `SELECT count(*) FROM tenants WHERE status = 'deleted'`); n != 0 {
		t.Fatalf("%d tenants soft-deleted by a read-only role", n)
	}
	t.Logf("FIGURE read-only role: classify + %d integrity checks ok; migrate, archive, offboarding refused (%v)", len(rep.Checks), errors.Unwrap(err))
}
