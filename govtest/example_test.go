package govtest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/integrity"
)

// exampleT stands in for the *testing.T of a test so that these examples run and show
// what a failure says. In a test, pass t: its Fatalf stops the test, this one only
// prints.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()          {}
func (t *exampleT) Name() string     { return "Example" }
func (t *exampleT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, args ...any) {
	fmt.Printf("FAIL "+format+"\n", args...)
}

// done runs the cleanups, as the end of a test does.
func (t *exampleT) done() {
	for _, f := range slices.Backward(t.cleanups) {
		f()
	}
}

// sampleSchema builds the template of the examples: the sample LSOS schema with its
// partitions for March 2026.
func sampleSchema(ctx context.Context, conn *pgx.Conn) error {
	if err := lsos.Apply(ctx, conn); err != nil {
		return err
	}
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return lsos.EnsurePartitions(ctx, conn, month, month.AddDate(0, 2, 0))
}

// A schema test: the sample schema passes every integrity check; after a migration
// drops the FK of a critical relationship, RequireNoFindings fails naming it.
func ExampleRequireNoFindings() {
	t := &exampleT{} // in a test: func TestSchema(t *testing.T) { … }
	defer t.done()
	db := govtest.DBFrom(t, "example-sample", sampleSchema)
	now := func() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }

	// Every schema check (missing-partition on a fixed clock), the data checks too.
	checks := integrity.All()
	for i, c := range checks {
		if _, ok := c.(integrity.MissingPartition); ok {
			checks[i] = integrity.MissingPartition{Now: now}
		}
	}
	govtest.RequireNoFindings(t, db, nil, checks...)
	fmt.Println("the sample schema passes")

	if _, err := db.Exec(context.Background(), `ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey`); err != nil {
		panic(err)
	}
	govtest.RequireNoFindings(t, db, nil, integrity.MissingFK{})
	// Output:
	// the sample schema passes
	// FAIL govtest: integrity checks found 1 problem(s):
	//   missing-fk (1):
	//     error   IN101 public.keywords.campaign_id
	//             policy relationship public.keywords (tenant_id, campaign_id) → public.campaigns (tenant_id, id) has no foreign key; add one with ALTER TABLE "public"."keywords" ADD FOREIGN KEY ("tenant_id", "campaign_id") REFERENCES "public"."campaigns" ("tenant_id", "id") NOT VALID, then VALIDATE CONSTRAINT
}

// A classification test: every column of the sample schema has a data class; a new
// table whose columns no rule can settle fails RequireAllClassified, which lists them
// with the fix; a policy class settles them.
func ExampleRequireAllClassified() {
	t := &exampleT{}
	defer t.done()
	db := govtest.DBFrom(t, "example-sample", sampleSchema)

	cat := govtest.RequireAllClassified(t, db, nil)
	fmt.Println(len(cat.Columns) > 0, "columns classified")

	if _, err := db.Exec(context.Background(), `CREATE TABLE widgets (label text, colour text)`); err != nil {
		panic(err)
	}
	govtest.RequireAllClassified(t, db, nil)

	p := governance.Default()
	p.Classes.Tables["widgets"] = governance.Operational
	govtest.RequireAllClassified(t, db, p)
	govtest.RequireClassUnder(t, db, p, "widgets.label", governance.Operational)
	fmt.Println("settled by the policy")
	// Output:
	// true columns classified
	// FAIL govtest: 2 unclassified column(s); add each to the policy's classes.columns or COMMENT ON COLUMN … 'lsos:class=<class>':
	//   public.widgets.label (text): no policy class, annotation or rule applies; policy default operational, confirm by review; the table is empty, so sampling found nothing to test
	//   public.widgets.colour (text): no policy class, annotation or rule applies; policy default operational, confirm by review; the table is empty, so sampling found nothing to test
	// settled by the policy
}

// A command that wants a PostgreSQL of its own outside go test, as examples/quickstart
// does when DATABASE_URL is unset: the server at $LSOS_TEST_DATABASE_URL, else local
// server binaries in a temp dir, else Docker.
func ExampleStartPostgres() {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{})
	if err != nil {
		panic(err) // the error says how to provide a server
	}
	defer srv.Close()
	name, url, err := srv.CreateDatabase(ctx, "example")
	if err != nil {
		panic(err)
	}
	defer srv.DropDatabase(ctx, name) // Close drops nothing on an $LSOS_TEST_DATABASE_URL server

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		panic(err)
	}
	defer conn.Close(ctx)
	var enc string
	if err := conn.QueryRow(ctx, `SHOW server_encoding`).Scan(&enc); err != nil {
		panic(err)
	}
	fmt.Println("connected; encoding", enc)
	// Output:
	// connected; encoding UTF8
}
