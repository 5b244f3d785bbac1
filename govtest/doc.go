// Package govtest is the public test kit: it gives each test a real PostgreSQL database
// and offers Require… assertions over the governance packages.
//
// # Finding a server
//
// The kit uses, in order: LSOS_TEST_DATABASE_URL (a role that may CREATE DATABASE);
// local server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH), started in
// a temp dir as the postgres OS user when the tests run as root, on a private unix socket
// with fsync off; or Docker via testcontainers-go when an engine answers a ping within two
// seconds. One cluster serves the whole test binary; every test gets a fresh database
// cloned from a template. When no server can be had the test fails, saying how to provide
// one. It never skips.
//
// # Cleaning up
//
// Call [Main] from TestMain so the cluster is stopped and its files removed when the
// tests end. Without it the server still dies with the test binary.
package govtest
