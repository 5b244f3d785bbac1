// Package reliability holds the reliability and security tests of the module: a
// crash harness that SIGKILLs child processes at chosen points of a migration, of
// concurrent lsosgov.Startup calls, an archive run and a tenant offboarding and checks
// the invariants after a re-run;
// concurrency across processes; injected faults (terminated backends, failing and
// full object stores); fuzz targets and hostile identifiers; the documented
// least-privilege roles (read-only, DDL, archive) and secret redaction; and a tenant-isolation property test.
//
// # Running
//
// The package has no API: it is its tests. Run them with
//
//	go test -race ./internal/reliability/
//
// RELIABILITY.md at the repository root lists each guarantee with the test that
// proves it and the figures of a run.
package reliability
