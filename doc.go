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
// Services call the packages at startup; test suites use govtest; internal tools use
// examples/govctl, a CLI over the same API.
package lsosgov
