package govtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// Setup prepares a template database; it runs once per test binary per key.
type Setup = pgtest.Setup

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
	return pgtest.DB(t, key, setup)
}

// URLFrom is DBFrom returning a URL.
func URLFrom(t testing.TB, key string, setup Setup) string {
	t.Helper()
	return pgtest.URL(t, key, setup)
}

// SQL returns a Setup that runs SQL scripts in order.
func SQL(scripts ...string) Setup { return pgtest.SQLSetup(scripts...) }

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
