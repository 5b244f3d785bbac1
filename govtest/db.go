package govtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// Setup builds a template database: it gets a connection to it, runs once per test
// binary per key, and every [DBFrom] or [URLFrom] with that key clones the result.
// [SQL] makes one from SQL scripts.
type Setup func(ctx context.Context, conn *pgx.Conn) error

// Main runs the tests, then stops the shared cluster: func TestMain(m *testing.M) { govtest.Main(m) }.
func Main(m *testing.M) { pgtest.Main(m) }

// DB returns a pool on a fresh, empty database; it is closed and dropped when t ends.
func DB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgtest.DB(t, "", nil)
}

// URL returns the URL of a fresh, empty database (for code that opens its own
// connections, or for child processes); it is dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	return pgtest.URL(t, "", nil)
}

// DBFrom returns a pool on a fresh database cloned from the template that setup builds
// once per test binary under key.
func DBFrom(t testing.TB, key string, setup Setup) *pgxpool.Pool {
	t.Helper()
	return pgtest.DB(t, key, internalSetup(setup))
}

// URLFrom is DBFrom returning a URL.
func URLFrom(t testing.TB, key string, setup Setup) string {
	t.Helper()
	return pgtest.URL(t, key, internalSetup(setup))
}

// internalSetup converts a Setup for the harness; nil stays nil (an empty template).
func internalSetup(s Setup) pgtest.Setup {
	if s == nil {
		return nil
	}
	return pgtest.Setup(s)
}

// SQL returns a Setup that runs SQL scripts in order.
func SQL(scripts ...string) Setup { return Setup(pgtest.SQLSetup(scripts...)) }

// Conn opens a single connection to url, closed when t ends.
func Conn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("govtest: connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}
