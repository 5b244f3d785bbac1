// Package lsosgov turns the LSOS migration and data-governance policy into code that
// services, test suites and internal tools call directly. A service calls [Startup]
// before it serves, with its migration directory embedded in the binary:
//
//	//go:embed migrations
//	var migrations embed.FS
//
//	func main() {
//		ctx := context.Background()
//		pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		sub, _ := fs.Sub(migrations, "migrations")
//		rep, err := lsosgov.Startup(ctx, pool, lsosgov.StartupConfig{
//			FS:             sub,
//			Apply:          true,                       // false: refuse to start while versions are pending
//			Checks:         integrity.SchemaChecks(),   // optional: one catalog read
//			Classification: lsosgov.ClassGate{Unclassified: true},
//		})
//		if err != nil {
//			log.Fatal(err) // a *lsosgov.StartupError naming the phase that failed
//		}
//		log.Printf("schema ready: %d versions applied now", len(rep.Applied))
//	}
//
// # Packages
//
//   - [github.com/lsos/lsosgov/governance]: the policy as typed data (classes, retention
//     floors, deprecation window, approvals, tenant column, the SDK's own schemas),
//     loading and validation, and the shared Finding type.
//   - [github.com/lsos/lsosgov/migrate]: versioned migrations with rollbacks and checksums,
//     a transactional executor under an advisory lock, round-trip tests, rehearsal,
//     Atlas-based planning and the policy review of every migration.
//   - [github.com/lsos/lsosgov/classify]: every column classified as operational,
//     sensitive, audit or artifact, from the policy, annotations, rules and bounded
//     value sampling.
//   - [github.com/lsos/lsosgov/integrity]: schema invariants and periodic data checks
//     (critical FKs, tenant-scoped uniques, orphans, duplicate snapshots, and more).
//   - [github.com/lsos/lsosgov/retention]: retention cutoffs, legal holds and staged tenant
//     offboarding.
//   - [github.com/lsos/lsosgov/archive]: monthly partition archival to object storage with
//     manifests, verification and retrieval.
//   - [github.com/lsos/lsosgov/govtest]: the public test kit: a real PostgreSQL per test
//     and Require… assertions.
//
// Every package takes a small database interface that *pgxpool.Pool, *pgx.Conn and
// pgx.Tx satisfy (this package's is [DB]) and a *[governance.Policy]; none reads flags
// or environment variables.
//
// # Policy
//
// [governance.Default] is the LSOS migration and data-governance policy as data; a
// policy file merged over it ([governance.Load]) raises floors and adds classes,
// relationships and snapshot keys. The README maps each clause of the policy to the code
// that enforces it and the test that proves it.
//
// # Users
//
// Services call [Startup] (or the packages directly) at startup; test suites use govtest;
// internal tools use examples/govctl, a CLI over the same API. examples/quickstart runs
// the whole flow once on an embedded PostgreSQL: go run ./examples/quickstart.
//
// # Startup
//
// [Startup] loads the directory and checks atlas.sum, checks the applied history (no
// dirty revision, no applied file changed or missing), then applies the pending versions
// under the migration advisory lock — ten replicas starting at once apply each version
// exactly once — or, with [StartupConfig].Apply off, fails with [ErrPending] listing them.
// Then it runs the selected schema-only integrity checks and the classification gate
// ([ClassGate]). With [StartupConfig].FailOnDrift it also compares the live schema with
// what the applied versions produce and fails with [ErrDrift] on any difference. A
// failure is a [*StartupError] whose Phase says which step failed and whose Findings list
// what a check found at or above [StartupConfig].FatalSeverity.
//
// When nothing is pending and no checks are selected, Startup costs one query (the
// revisions table); checks add one catalog read, the classification gate another.
// Data checks (orphans, duplicate snapshots) scan tables and belong on a schedule
// ([integrity.Run]), not at startup.
//
// # The SDK's own schemas
//
// The SDK keeps its bookkeeping in schemas of its own: the revisions tables (lsos_migrate
// by default), legal holds and offboarding state, the archive catalog, integrity runs.
// Which schemas those are is one predicate of the policy, [governance.Policy.IsSDKSchema]
// (the sdk.prefix, lsos_ by default, and the sdk.schemas list), and every check, catalog
// and gate leaves them out by it. [StartupConfig].Schema may name the revisions schema
// outside the prefix ("ops_migrate"): Startup then works on a copy of the policy that
// also lists that schema ([governance.Policy.WithSDKSchema]), so nothing is reported
// about the revisions tables either.
package lsosgov
