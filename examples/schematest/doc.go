// Package schematest is a sample of the test suite an LSOS team keeps next to its
// migrations, written with the public test kit [github.com/lsos/lsosgov/govtest]:
// every migration rolls back cleanly
// ([github.com/lsos/lsosgov/govtest.RequireRoundTrip]), the schema breaks no integrity
// invariant ([github.com/lsos/lsosgov/govtest.RequireNoFindings]), every column has a
// data class ([github.com/lsos/lsosgov/govtest.RequireAllClassified],
// [github.com/lsos/lsosgov/govtest.RequireClass]). Its core, runnable with
// go test ./examples/schematest:
//
//	func TestMain(m *testing.M) { govtest.Main(m) }
//
//	func TestMigrationsRoundTrip(t *testing.T) {
//		govtest.RequireRoundTrip(t, lsos.Migrations())
//	}
//
//	func TestSchemaHasNoIntegrityFindings(t *testing.T) {
//		db := govtest.DBFrom(t, "schematest-sample", sample) // schema and data, built once
//		govtest.RequireNoFindings(t, db, nil, checks()...)
//	}
//
// # Reading a failure
//
// The planted-defect tests break the schema on purpose and capture what the Require
// helpers report, through a testing.TB that records instead of failing, so this suite
// stays green while showing the message a team would see. Run them with -v to print it.
//
// # Copying it
//
// Replace lsos.Migrations() with your own embed.FS and the sample loader with your own
// fixtures; keep TestMain calling govtest.Main so the test PostgreSQL is stopped.
package schematest
