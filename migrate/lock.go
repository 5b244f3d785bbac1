package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// lock takes the session-level advisory lock on conn, polling so that the wait is
// bounded by wait and by ctx. A session lock (not a transaction lock) is needed because
// no-transaction files run outside any transaction.
func lock(ctx context.Context, conn *pgx.Conn, key int64, wait time.Duration, onWait func()) error {
	deadline := time.Now().Add(wait)
	delay := 20 * time.Millisecond
	waited := false
	for {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
			return fmt.Errorf("migrate: take the migration lock: %w", err)
		}
		if ok {
			return nil
		}
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s: another migrator (see pg_locks where locktype = 'advisory') is still running; retry, or raise Config.LockWait", ErrLockTimeout, wait)
		}
		t := time.NewTimer(min(delay, time.Until(deadline)+time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("migrate: waiting for the migration lock: %w", ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

func unlock(ctx context.Context, conn *pgx.Conn, key int64) error {
	var ok bool
	return conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, key).Scan(&ok)
}
