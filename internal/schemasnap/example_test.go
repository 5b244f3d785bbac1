package schemasnap_test

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/internal/schemasnap"
)

// Snapshot a schema before and after a change and print what changed.
func ExampleDiff() {
	ctx := context.Background()
	srv, err := pgtest.Shared()
	if err != nil {
		fmt.Println(err)
		return
	}
	name := srv.NewDatabaseName("example")
	url, err := srv.CreateDatabase(ctx, name, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.DropDatabase(ctx, name)
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	db.Exec(ctx, `CREATE TABLE t (id int)`)
	before, _ := schemasnap.Take(ctx, db)
	db.Exec(ctx, `CREATE VIEW v AS SELECT id FROM t`)
	after, _ := schemasnap.Take(ctx, db)
	fmt.Println("equal:", schemasnap.Diff(before, before) == "")
	fmt.Println("views after:", schemasnap.Names(after.Views))
	fmt.Println("diff mentions the view:", schemasnap.Diff(before, after) != "")
	// Output:
	// equal: true
	// views after: [public.v]
	// diff mentions the view: true
}
