package retention

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Schema is the schema that holds the package's tables (legal holds, offboarding state,
// deletion audit records).
const Schema = "lsos_retention"

// Migrations returns the package's migration directory (<version>_<name>.sql files).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // fixed at build time
	}
	return sub
}

// Install applies the package's migrations that db lacks, in version order, in one
// transaction under an advisory lock, recording each in lsos_retention.schema_migrations.
// It is idempotent and safe to call from many replicas at once.
func Install(ctx context.Context, db TxDB) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("retention: install: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('lsos_retention.install'))`); err != nil {
		return fmt.Errorf("retention: install: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS lsos_retention;
		CREATE TABLE IF NOT EXISTS lsos_retention.schema_migrations (
			version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("retention: install: %w (the role needs CREATE on the database)", err)
	}
	names, err := fs.Glob(Migrations(), "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		version := strings.SplitN(n, "_", 2)[0]
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM lsos_retention.schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
			return fmt.Errorf("retention: install: %w", err)
		}
		if done {
			continue
		}
		b, err := fs.ReadFile(Migrations(), n)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(b)); err != nil {
			return fmt.Errorf("retention: install %s: %w", n, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lsos_retention.schema_migrations (version) VALUES ($1)`, version); err != nil {
			return fmt.Errorf("retention: install %s: %w", n, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("retention: install: %w", err)
	}
	return nil
}

// installed reports whether Install has run on db.
func installed(ctx context.Context, db DB) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `SELECT to_regclass('lsos_retention.legal_holds') IS NOT NULL`).Scan(&ok)
	return ok, err
}
