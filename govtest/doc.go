// Package govtest is the public test kit: it gives each test a real PostgreSQL database
// and offers Require… assertions over the governance packages. A schema test suite
// next to a service's migrations:
//
//	func TestMain(m *testing.M) { govtest.Main(m) }
//
//	// schema builds the template once per test binary; each test gets a clone.
//	func schema(ctx context.Context, conn *pgx.Conn) error {
//		_, err := conn.Exec(ctx, schemaSQL)
//		return err
//	}
//
//	func TestMigrationsRoundTrip(t *testing.T) {
//		govtest.RequireRoundTrip(t, migrations) // an embed.FS of the migration directory
//	}
//
//	func TestSchema(t *testing.T) {
//		db := govtest.DBFrom(t, "schema", schema)
//		govtest.RequireNoFindings(t, db, nil, integrity.SchemaChecks()...)
//		govtest.RequireAllClassified(t, db, nil)
//		govtest.RequireClass(t, db, "users.email", governance.Sensitive)
//	}
//
// examples/schematest in the repository is a complete suite of this kind.
//
// # Databases
//
// [DB] and [URL] give a test a fresh, empty database; [DBFrom] and [URLFrom] a clone of a
// template that a [Setup] builds once per test binary under a key ([SQL] makes a Setup
// from SQL scripts). Each is dropped when the test ends. [Conn] opens a single
// connection.
//
// # Assertions
//
// [RequireNoFindings] runs integrity checks ([github.com/lsos/lsosgov/integrity]) and
// fails listing every finding grouped by check ([FormatFindings]);
// [RequireAllClassified], [RequireClass] and [RequireClassUnder] assert the data classes
// of [github.com/lsos/lsosgov/classify]; [RequireRoundTrip] runs
// [github.com/lsos/lsosgov/migrate.Test], every version up, down and up again. Each takes
// a testing.TB and fails it with a message that says what to fix.
//
// # Finding a server
//
// The kit uses, in order: $LSOS_TEST_DATABASE_URL ([EnvURL]: a role that may CREATE
// DATABASE); local server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH),
// started in a temp dir as the postgres OS user when the tests run as root, on a private
// unix socket with fsync off; or Docker via testcontainers-go when an engine answers a
// ping within two seconds. One cluster serves the whole test binary; every test gets a
// fresh database cloned from a template. When no server can be had the test fails,
// saying how to provide one. It never skips.
//
// # Cleaning up
//
// Call [Main] from TestMain so the cluster is stopped and its files removed when the
// tests end. Without it the server still dies with the test binary.
//
// # Outside go test
//
// [StartPostgres] finds or starts a server the same way for a program, such as
// examples/quickstart when no DATABASE_URL is given: [Server.CreateDatabase] gives it a
// database of its own and [Server.Close] stops the server and removes its files.
package govtest
