package parquetio_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// Export a query to a bucket, then read it back.
func Example() {
	ctx := context.Background()
	srv, err := pgtest.Shared()
	if err != nil {
		log.Fatal(err)
	}
	name := srv.NewDatabaseName("parquetio-example")
	url, err := srv.CreateDatabase(ctx, name, "")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.DropDatabase(ctx, name)
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	bucket, err := parquetio.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer bucket.Close()
	res, err := parquetio.Export(ctx, db,
		`SELECT g AS id, 'row '||g AS label, date '2025-01-01' + g AS day FROM generate_series(1, $1::int) g`,
		[]any{1000}, bucket, "demo/rows.parquet", parquetio.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows:", res.Rows)
	for _, c := range res.Columns {
		fmt.Printf("%s %s %s min=%s max=%s\n", c.Name, c.Type, c.Kind, c.Min, c.Max)
	}
	if err := parquetio.Verify(ctx, bucket, res.Key, res.SHA256, res.Rows); err != nil {
		log.Fatal(err)
	}
	r, err := parquetio.Open(ctx, bucket, res.Key)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	r.Next()
	v, _ := r.Values()
	label, _ := parquetio.FormatText(v[1])
	day, _ := parquetio.FormatText(v[2])
	fmt.Println("first:", v[0], label, day)
	// Output:
	// rows: 1000
	// id integer int32 min=1 max=1000
	// label text string min= max=
	// day date date min=2025-01-02 max=2027-09-28
	// first: 1 row 1 2025-01-02
}
