package lint_test

import (
	"context"
	"fmt"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/lint"
)

// Plan the versions that take a directory to a desired schema: the index on the
// existing table is built CONCURRENTLY in a no-transaction version of its own.
func ExamplePlan() {
	ctx := context.Background()
	base := "CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);\n"
	fsys := fstest.MapFS{
		"20260101000000_base.up.sql":   {Data: []byte(base)},
		"20260101000000_base.down.sql": {Data: []byte("DROP TABLE tenants;\n")},
	}
	sum, _ := migrate.SumFS(fsys)
	fsys["atlas.sum"] = &fstest.MapFile{Data: sum}
	dir, err := migrate.LoadFS(fsys)
	if err != nil {
		panic(err)
	}

	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{}) // any empty scratch database will do
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	_, url, err := srv.CreateDatabase(ctx, "example")
	if err != nil {
		panic(err)
	}
	dev, err := pgxConnect(url)
	if err != nil {
		panic(err)
	}
	defer dev.Close(ctx)

	desired := base + "CREATE INDEX tenants_name_idx ON tenants (name);\n"
	res, err := lint.Plan(ctx, dev, dir, []string{desired}, lint.PlanOptions{
		Name: "tenant_name", Version: "20260201000000",
		Now: func() time.Time { return time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	for _, f := range res.Files {
		fmt.Println(f.UpName(), "no-transaction:", f.NoTransaction)
	}
	// Output:
	// 20260201000000_tenant_name_indexes.up.sql no-transaction: true
}
