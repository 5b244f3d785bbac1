package retention_test

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/retention"
)

// Applications read live tenants' data through the lsos_active views; a soft-deleted
// tenant disappears from them at once.
func ExampleInstallActiveViews() {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{}) // in a service: your database
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	_, url, err := srv.CreateDatabase(ctx, "retention-views-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	if _, err := db.Exec(ctx, `
		CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL, status text NOT NULL DEFAULT 'active', deleted_at timestamptz);
		CREATE TABLE reviews (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, body text);
		INSERT INTO tenants (id, name) VALUES (1, 'Acme'), (2, 'Globex');
		INSERT INTO reviews SELECT g, 1 + g % 2, 'review ' || g FROM generate_series(1, 10) g;`); err != nil {
		fmt.Println(err)
		return
	}
	p := governance.Default()
	views, err := retention.InstallActiveViews(ctx, db, p, retention.ActiveViewOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range views.Views {
		fmt.Println(v.View, "reads", v.Table)
	}
	ob, err := retention.NewOffboarder(db, p, retention.OffboardConfig{Actor: "ops@example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := ob.SoftDelete(ctx, "2"); err != nil {
		fmt.Println(err)
		return
	}
	var all, live int
	_ = db.QueryRow(ctx, `SELECT (SELECT count(*) FROM reviews), (SELECT count(*) FROM lsos_active.reviews)`).Scan(&all, &live)
	fmt.Printf("reviews: %d in the table, %d of live tenants\n", all, live)
	// Output:
	// lsos_active.reviews reads public.reviews
	// lsos_active.tenants reads public.tenants
	// reviews: 10 in the table, 5 of live tenants
}
