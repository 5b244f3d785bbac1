package pgtest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// One cluster per process, started on first use.
var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	sharedMu   sync.Mutex
)

// Shared returns the process-wide server, starting it on first use.
func Shared() (*Server, error) {
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		s, err := Start(ctx, Options{})
		sharedMu.Lock()
		shared, sharedErr = s, err
		sharedMu.Unlock()
	})
	return shared, sharedErr
}

// StopShared stops the process-wide server if one was started.
func StopShared() {
	sharedMu.Lock()
	s := shared
	shared = nil
	sharedMu.Unlock()
	if s != nil {
		_ = s.Stop()
	}
}

// Main runs a package's tests and then stops the shared server and removes its files:
// call it from TestMain. Without it the server still dies with the test binary (parent
// death signal), and its files are swept by the next run.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// Setup prepares a template database once per process.
type Setup func(ctx context.Context, conn *pgx.Conn) error

// URL returns the URL of a fresh database for t, cloned from the template that setup
// builds (empty when setup is nil). The test fails, saying how to provide a server,
// when none can be started. The database is dropped when the test ends.
func URL(t testing.TB, key string, setup Setup) string {
	t.Helper()
	s, err := Shared()
	if err != nil {
		t.Fatalf("%v", err)
	}
	ctx := context.Background()
	tmpl := ""
	if setup != nil {
		if tmpl, err = s.Template(ctx, key, setup); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	name := s.NewDatabaseName(t.Name())
	u, err := s.CreateDatabase(ctx, name, tmpl)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { _ = s.DropDatabase(context.Background(), name) })
	return u
}

// DB returns a pool on a fresh database for t (see URL); it is closed when t ends.
func DB(t testing.TB, key string, setup Setup) *pgxpool.Pool {
	t.Helper()
	u := URL(t, key, setup)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// SQLSetup returns a Setup that runs the given SQL scripts in order.
func SQLSetup(scripts ...string) Setup {
	return func(ctx context.Context, conn *pgx.Conn) error {
		for _, s := range scripts {
			if _, err := conn.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}
}
