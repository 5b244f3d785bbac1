package lint_test

import (
	"context"
	"fmt"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/lint"
)

// A directory whose second version builds an index the blocking way.
func ExampleReview() {
	fsys := fstest.MapFS{
		"20260101000000_base.up.sql":    {Data: []byte("CREATE TABLE tenants (id bigint PRIMARY KEY);\nCREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), title text NOT NULL, UNIQUE (tenant_id, id));\n")},
		"20260101000000_base.down.sql":  {Data: []byte("DROP TABLE projects, tenants;\n")},
		"20260201000000_index.up.sql":   {Data: []byte("-- lsos:approved-by backend-owner, platform-owner\nCREATE INDEX projects_title_idx ON projects (title);\n")},
		"20260201000000_index.down.sql": {Data: []byte("DROP INDEX projects_title_idx;\n")},
	}
	d, err := migrate.Inspect(fsys, "")
	if err != nil {
		panic(err)
	}
	sum, _ := migrate.SumFS(d.FS())
	fsys["atlas.sum"] = &fstest.MapFile{Data: sum}
	d, _ = migrate.Inspect(fsys, "")

	srv, err := govtest.StartPostgres(context.Background(), govtest.PostgresOptions{}) // any empty scratch database will do
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	_, url, err := srv.CreateDatabase(context.Background(), "example")
	if err != nil {
		panic(err)
	}
	dev, err := pgxConnect(url)
	if err != nil {
		panic(err)
	}
	defer dev.Close(context.Background())

	rep, err := lint.Review(context.Background(), dev, d, lint.Options{
		Policy: governance.Default(),
		Since:  "20260101000000",
		Now:    func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	for _, f := range rep.Findings {
		fmt.Println(f.File, f.Line, f.Severity, f.Check, f.Code, f.Object)
	}
	// Output:
	// 20260201000000_index.up.sql 2 error lock-risk LR101 public.projects
	// 20260201000000_index.up.sql 2 info index-impact II101 public.projects
}
