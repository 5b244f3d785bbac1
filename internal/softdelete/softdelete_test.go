package softdelete

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestDiscoverAndLive(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "softdelete", pgtest.SQLSetup(`
		CREATE SCHEMA b;
		CREATE TABLE b.tenants (id int PRIMARY KEY, deleted_at timestamptz);
		CREATE TABLE b.rows (tenant_id text, v int);
		INSERT INTO b.tenants VALUES (1, NULL), (2, now()), (3, NULL);
		INSERT INTO b.rows VALUES ('1', 1), ('2', 2), ('3', 3), (NULL, 4);
		CREATE TABLE plain (id int);
		CREATE SCHEMA a_sdk;
		CREATE TABLE a_sdk.tenants (id int PRIMARY KEY, deleted_at timestamptz);`))
	tenants := func(table string) *governance.Policy {
		p := governance.Default()
		p.Tenant.Table = table
		p.SDK.Schemas = []string{"a_sdk"}
		return p
	}
	if m, err := Discover(ctx, db, tenants("nosuch")); err != nil || m != nil {
		t.Fatalf("no tenants table: %+v, %v", m, err)
	}
	if m, err := Discover(ctx, db, tenants("plain")); err != nil || m != nil {
		t.Fatalf("a table without a primary key: %+v, %v", m, err)
	}
	if _, err := Discover(ctx, db, tenants(`bad"name`)); err == nil {
		t.Fatal("an unparsable table name must be an error")
	}
	// a_sdk sorts first, but it is one of the SDK's schemas (policy sdk.schemas).
	m, err := Discover(ctx, db, tenants("tenants"))
	if err != nil || m == nil || !m.DeletedAt || m.Tenants.String() != "b.tenants" || m.Key != "id" || m.KeyType != "integer" {
		t.Fatalf("Discover = %+v, %v", m, err)
	}
	ids, err := m.IDs(ctx, db)
	if err != nil || len(ids) != 1 || !ids["2"] {
		t.Fatalf("IDs = %v, %v", ids, err)
	}
	// A text tenant column against an integer key compares as text; NULL tenants are live.
	rows, err := db.Query(ctx, `SELECT x.v FROM b.rows x WHERE `+m.Live(`x."tenant_id"`, "text")+` ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || !slices.Equal(got, []int32{1, 3, 4}) {
		t.Fatalf("live rows %v, %v", got, err)
	}
	var nilMarker *Marker
	if nilMarker.Live("x", "int") != "true" || nilMarker.Source() != "none" {
		t.Error("a nil marker filters nothing")
	}
}
