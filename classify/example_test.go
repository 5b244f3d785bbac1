package classify_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
)

// A migration review classifies the columns a migration adds without a database.
func ExampleClassifyColumn() {
	p := governance.Default()
	for _, c := range []struct{ table, column, typ, comment string }{
		{"users", "recovery_email", "text", ""},
		{"users", "nickname", "text", "Shown to other users. lsos:class=sensitive"},
		{"report_files", "object_key", "text", ""},
		{"widgets", "notes", "text", ""},
	} {
		class, source, reason, settled := classify.ClassifyColumn(p, c.table, c.column, c.typ, c.comment)
		fmt.Printf("%s.%s: %s (%s, settled=%v): %s\n", c.table, c.column, class, source, settled, reason)
	}
	// Output:
	// users.recovery_email: sensitive (rule, settled=true): column name says it holds e-mail addresses
	// users.nickname: sensitive (annotation, settled=true): column comment carries lsos:class=sensitive
	// report_files.object_key: artifact (rule, settled=true): column name says it locates a stored file (object key or URL)
	// widgets.notes: operational (default, settled=false): no policy class, annotation or rule applies; policy default operational, confirm by review
}

// Classify reads a database and samples values where names say nothing: here a column
// called "notes" that holds e-mail addresses. The test kit starts the server.
func ExampleClassify() {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{}) // in a service: your own database
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	name, url, err := srv.CreateDatabase(ctx, "example_classify")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.DropDatabase(ctx, name)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `
		CREATE TABLE widgets (id bigint PRIMARY KEY, notes text, label text);
		INSERT INTO widgets SELECT g, 'buyer' || g || '@example.com', 'Widget ' || g FROM generate_series(1, 40) g`); err != nil {
		log.Fatal(err)
	}
	cat, err := classify.Classify(ctx, conn, governance.Default(), classify.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cat.Columns {
		fmt.Printf("%s.%s: %s by %s: %s\n", c.Table, c.Column, c.Class, c.Source, c.Reason)
	}
	for _, f := range cat.Findings(governance.Default()) {
		fmt.Println(f.Check, f.Object)
	}
	// Output:
	// public.widgets.id: operational by rule: column is an identifier or reference
	// public.widgets.notes: sensitive by sampling: 40/40 sampled values look like e-mail addresses
	// public.widgets.label: operational by default: no policy class, annotation or rule applies; policy default operational, confirm by review; 40 sampled values matched no sensitive-data detector
	// unclassified-column public.widgets.label
}
