package lsos

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB is what Apply, LoadSample and EnsurePartitions need: a *pgxpool.Pool, *pgx.Conn or
// pgx.Tx.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

//go:embed migrations/*.sql migrations/atlas.sum
var migrations embed.FS

// Migrations returns the migration directory: <version>_<name>.up.sql and .down.sql files
// and atlas.sum at its root.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// Tables lists the sample schema's tables, parents before children.
var Tables = []string{
	"tenants", "users", "auth_tokens", "locations", "campaigns", "keywords",
	"ranking_snapshots", "crawl_outputs", "reviews", "audit_log", "report_files",
	"delivery_log", "branding_assets", "report_summaries",
}

// PartitionedTables lists the monthly-partitioned snapshot tables and their time column.
var PartitionedTables = map[string]string{
	"ranking_snapshots": "captured_on",
	"crawl_outputs":     "crawled_on",
}

// Apply runs every forward migration in version order, without the migration engine's
// bookkeeping. Tests of packages other than migrate use it to get the sample schema.
func Apply(ctx context.Context, db DB) error {
	names, err := fs.Glob(Migrations(), "*.up.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(Migrations(), n)
		if err != nil {
			return err
		}
		// Each no-transaction file holds a single statement, so one Exec runs it outside
		// an implicit transaction block.
		if _, err := db.Exec(ctx, string(b)); err != nil {
			return fmt.Errorf("lsos: apply %s: %w", n, err)
		}
	}
	return nil
}

// Versions returns the migration versions in order.
func Versions() []string {
	names, _ := fs.Glob(Migrations(), "*.up.sql")
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.SplitN(n, "_", 2)[0]
	}
	return out
}
