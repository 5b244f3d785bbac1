package integrity

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// readOnly runs fn in a read-only transaction with statement_timeout and lock_timeout
// set locally, so a data check takes no lock beyond ACCESS SHARE, writes nothing, and
// never runs past its bound. On a pool or connection it begins a READ ONLY transaction;
// inside a caller's transaction it uses a savepoint (the settings end with it); on any
// other DB it runs fn directly, bounded by the context.
func readOnly(ctx context.Context, db DB, timeout time.Duration, fn func(q DB) error) (err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	var tx pgx.Tx
	switch d := db.(type) {
	case interface {
		BeginTx(context.Context, pgx.TxOptions) (pgx.Tx, error)
	}:
		tx, err = d.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	case interface {
		Begin(context.Context) (pgx.Tx, error)
	}:
		if tx, err = d.Begin(ctx); err == nil {
			_, err = tx.Exec(ctx, `SET TRANSACTION READ ONLY`)
		}
	default:
		return fn(db)
	}
	if err != nil {
		if tx != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
		return err
	}
	// Nothing to commit: the transaction only read.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	ms := timeout.Milliseconds()
	if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)`,
		strconv.FormatInt(max(ms, 1), 10), strconv.FormatInt(max(min(ms, 10_000), 1), 10)); err != nil {
		return err
	}
	return fn(tx)
}

// parallelism is how many units may run at once on db: only a pool serves concurrent
// queries.
func parallelism(db DB, limit int) int {
	if _, ok := db.(*pgxpool.Pool); ok {
		return max(limit, 1)
	}
	return 1
}

// forEach runs units with at most n at a time and joins their errors. Units not yet
// started when ctx ends are not run.
func forEach(ctx context.Context, n int, units []func(context.Context) error) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, n)
	)
	for _, u := range units {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return errors.Join(append(errs, ctx.Err())...)
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := u(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
