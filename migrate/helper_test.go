package migrate

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Child-process mode: the test binary re-executes itself with these variables to act as
// a separate migrator process (the standard Go helper-process pattern).
const (
	envHelperURL = "LSOS_MIGRATE_HELPER_URL"
	envHelperDir = "LSOS_MIGRATE_HELPER_DIR"
)

// TestHelperProcess is not a test: run as a child process (the parent sets the
// environment and -test.run=^TestHelperProcess$), it loads a directory and calls Up,
// exiting 0 on success and 1 on error.
func TestHelperProcess(t *testing.T) {
	url, dir := os.Getenv(envHelperURL), os.Getenv(envHelperDir)
	if url == "" || dir == "" {
		return // run as a normal test: nothing to do
	}
	err := func() error {
		ctx := context.Background()
		d, err := Load(dir)
		if err != nil {
			return err
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return err
		}
		defer pool.Close()
		m, err := NewMigrator(pool, d, Config{})
		if err != nil {
			return err
		}
		res, err := m.Up(ctx)
		fmt.Printf("applied %d\n", len(res))
		return err
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
