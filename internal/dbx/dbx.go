// Package dbx holds the small database interface every package of the module takes.
package dbx

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is what *pgxpool.Pool, *pgx.Conn and pgx.Tx all satisfy: the queries a check or a
// catalog read needs, without tying callers to one connection type.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// TxStarter is a DB that can also begin a transaction (pool, conn or tx).
type TxStarter interface {
	DB
	Begin(ctx context.Context) (pgx.Tx, error)
}

var (
	_ TxStarter = (*pgxpool.Pool)(nil)
	_ TxStarter = (*pgx.Conn)(nil)
	_ TxStarter = (pgx.Tx)(nil)
)
