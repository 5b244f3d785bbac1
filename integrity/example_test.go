package integrity_test

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/integrity"
)

// A keyword table whose campaign reference no FK enforces: missing-fk names the
// relationship, orphaned-rows counts the keyword that points nowhere.
func Example() {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{}) // in a service: your pool
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	name, url, err := srv.CreateDatabase(ctx, "integrity example")
	if err != nil {
		panic(err)
	}
	defer srv.DropDatabase(ctx, name)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	_, err = pool.Exec(ctx, `
		CREATE TABLE tenants (id bigint PRIMARY KEY);
		CREATE TABLE campaigns (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, UNIQUE (tenant_id, id));
		CREATE TABLE keywords (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, campaign_id bigint NOT NULL);
		CREATE INDEX ON campaigns (tenant_id);
		INSERT INTO tenants VALUES (1);
		INSERT INTO campaigns VALUES (10, 1);
		INSERT INTO keywords VALUES (100, 1, 10), (101, 1, 11);`)
	if err != nil {
		panic(err)
	}

	checks, err := integrity.Select(governance.CheckMissingFK, governance.CheckOrphanedRows)
	if err != nil {
		panic(err)
	}
	rep, err := integrity.Run(ctx, pool, governance.Default(), integrity.Options{Checks: checks})
	if err != nil {
		panic(err)
	}
	for _, f := range rep.Findings {
		fmt.Println(f.Severity, f.Check, f.Object, f.Count)
	}
	fmt.Println("gate fails:", rep.Findings.HasErrors())
	// Output:
	// error missing-fk public.keywords.campaign_id 0
	// error orphaned-rows public.keywords.campaign_id 1
	// gate fails: true
}
