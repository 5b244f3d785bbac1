package archive

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the database handle reads take: *pgxpool.Pool, *pgx.Conn and pgx.Tx all
// satisfy it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// TxDB is a DB that can also begin a transaction; calls that commit in steps take it.
type TxDB interface {
	DB
	Begin(ctx context.Context) (pgx.Tx, error)
}

var (
	_ TxDB = (*pgxpool.Pool)(nil)
	_ TxDB = (*pgxpool.Conn)(nil)
	_ TxDB = (*pgx.Conn)(nil)
	_ TxDB = (pgx.Tx)(nil)
)
