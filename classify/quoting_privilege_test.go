package classify

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestQuotedNamesAndTablesWithoutSelectPrivilege(t *testing.T) {
	url := pgtest.URL(t, "", nil)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	role := strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_")[:30] + "_ro"
	if _, err := admin.Exec(ctx, `
		CREATE SCHEMA "Sales Data";
		CREATE TABLE "Sales Data"."Odd ""Name""" ("E-Mail Notes" text, "Widget" text);
		INSERT INTO "Sales Data"."Odd ""Name""" SELECT 'x' || g || '@example.com', 'Widget ' || g FROM generate_series(1, 20) g;
		CREATE TABLE "Sales Data".locked (memo text);
		INSERT INTO "Sales Data".locked VALUES ('y@example.com');
		DROP ROLE IF EXISTS `+role+`;
		CREATE ROLE `+role+` LOGIN;
		GRANT USAGE ON SCHEMA "Sales Data" TO `+role+`;
		GRANT SELECT ON "Sales Data"."Odd ""Name""" TO `+role+`;`); err != nil {
		t.Fatal(err)
	}
	defer func() { // before admin closes: roles are cluster-wide
		if _, err := admin.Exec(context.Background(), `DROP OWNED BY `+role+`; DROP ROLE IF EXISTS `+role); err != nil {
			t.Errorf("drop role: %v", err)
		}
	}()
	p := governance.Default()
	admCat, err := Classify(ctx, admin, p, Options{Schemas: []string{"Sales Data"}})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := admCat.Column(`Sales Data.Odd "Name".E-Mail Notes`)
	if !ok || c.Class != sen {
		t.Fatalf("quoted names: %+v %v (catalog %+v)", c, ok, admCat.Columns)
	}
	// A role without SELECT on one table still gets a catalog; that table's unsettled
	// columns are reported rather than failing the run.
	roURL := strings.Replace(url, "://", "://"+role+"@", 1)
	if i := strings.Index(url, "@"); i >= 0 { // the admin URL already names a user: replace it
		roURL = url[:strings.Index(url, "://")+3] + role + url[i:]
	}
	ro, err := pgx.Connect(ctx, roURL)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	defer ro.Close(ctx)
	cat, err := Classify(ctx, ro, p, Options{Schemas: []string{"Sales Data"}})
	if err != nil {
		t.Fatal(err)
	}
	memo, _ := cat.Column("locked.memo")
	if memo.Settled || !strings.Contains(memo.Reason, "no SELECT privilege") {
		t.Errorf("locked.memo = %+v", memo)
	}
	if tb, _ := cat.Table("locked"); tb.SampleMethod != "none (permission denied)" {
		t.Errorf("locked table sample method %q", tb.SampleMethod)
	}

	if n, err := Annotate(ctx, admin, admCat); err != nil || n != 2 {
		t.Fatalf("Annotate on quoted names: %d, %v", n, err)
	}
	var comment string
	if err := admin.QueryRow(ctx, `SELECT col_description('"Sales Data"."Odd ""Name"""'::regclass, 1)`).Scan(&comment); err != nil || comment != "lsos:class=sensitive" {
		t.Errorf("comment = %q, %v", comment, err)
	}
}
