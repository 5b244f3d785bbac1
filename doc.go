// Package lsosgov turns the LSOS migration and data-governance policy into code that
// services, test suites and internal tools call directly.
//
// # Packages
//
//   - [github.com/lsos/lsosgov/governance]: the policy as typed data (classes, retention
//     floors, deprecation window, approvals, tenant column), loading and validation, and
//     the shared Finding type.
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
// # Policy
//
// The governing text is MIGRATION_AND_DATA_GOVERNANCE.md; [governance.Default] is that
// policy as data, and the README maps each of its clauses to the code that enforces it
// and the test that proves it.
//
// # Users
//
// Services call [Startup] (or the packages directly) at startup; test suites use govtest;
// internal tools use examples/govctl, a CLI over the same API. examples/quickstart runs
// the whole flow once on an embedded PostgreSQL: go run ./examples/quickstart.
//
// # Startup
//
// [Startup] is what a service runs before serving, with the migration directory embedded
// in its binary:
//
//	//go:embed migrations
//	var migrations embed.FS
//
//	sub, _ := fs.Sub(migrations, "migrations")
//	rep, err := lsosgov.Startup(ctx, pool, lsosgov.StartupConfig{
//		FS:     sub,
//		Apply:  true,                     // or false: refuse to start while versions are pending
//		Checks: integrity.SchemaChecks(), // optional: one catalog read
//		Classification: lsosgov.ClassGate{Unclassified: true},
//		Logger: logger,
//	})
//
// It loads the directory and checks atlas.sum, checks the applied history (no dirty
// revision, no applied file changed or missing), then applies the pending versions under
// the migration advisory lock — ten replicas starting at once apply each version exactly
// once — or, with Apply off, fails with [ErrPending] listing them. Then it runs the
// selected schema-only integrity checks and the classification gate. A failure is a
// [*StartupError] whose Phase says which step failed and whose Findings list what a
// check found at or above [StartupConfig.FatalSeverity].
//
// When nothing is pending and no checks are selected, Startup costs one query (the
// revisions table); checks add one catalog read, the classification gate another.
// Data checks (orphans, duplicate snapshots) scan tables and belong on a schedule
// (integrity.Run), not at startup.
package lsosgov
