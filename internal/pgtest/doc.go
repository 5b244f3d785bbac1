// Package pgtest starts and hands out real PostgreSQL databases: for the test kit
// (package govtest), for in-package tests of this module, and for the embedded default of
// examples/quickstart.
//
// A server is found in this order: LSOS_TEST_DATABASE_URL; local server binaries
// (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH) started in a temp dir as an
// unprivileged OS user when the process is root, on a private unix socket with fsync off;
// Docker via testcontainers-go when an engine answers a ping within two seconds. One
// cluster serves a whole process; each caller gets a fresh database cloned from a
// template.
package pgtest
