package retention

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/lsos/lsosgov/internal/dbx"
	"github.com/lsos/lsosgov/internal/sdkinstall"
)

//go:embed migrations/*.sql migrations/atlas.sum
var migrationFS embed.FS

// Schema is the schema that holds the package's tables (legal holds, offboarding state,
// deletion audit records) and the revisions of its migration directory. Every statement
// of the package names it through this constant.
const Schema = "lsos_retention"

// Migrations returns the package's migration directory in the migrate package's native
// format (<version>_<name>.up.sql and .down.sql, atlas.sum), as [Install] applies it.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // fixed at build time
	}
	return sub
}

var installer = sdkinstall.New("retention", Schema, Migrations(), legacyInstall)

// Install applies the package's migrations that db lacks with the migrate engine, under
// its advisory lock, recording them in lsos_retention.revisions. It is idempotent and
// safe to call from many replicas at once; when nothing is pending it costs two light queries.
// An install made by an earlier SDK (lsos_retention.schema_migrations) is carried over:
// its versions are baselined, its data kept.
//
// Installing needs a *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn (the migrator holds a
// session lock); through a transaction, Install only checks that the schema is up to
// date.
func Install(ctx context.Context, db TxDB) error {
	if err := installer.Install(ctx, db); err != nil {
		return fmt.Errorf("retention: install: %w", err)
	}
	return nil
}

// legacyVersions maps the versions the earlier installer recorded (its files were
// numbered 0001, 0002, 0003 before they became this directory's first versions) to
// the versions of the migration directory that hold the same statements.
var legacyVersions = map[string]string{
	"0001": "20261120000000", // retention
	"0002": "20261120000100", // hold_table_schema
	"0003": "20261120000200", // archive_purge
}

// legacyInstall reads lsos_retention.schema_migrations, written by the installer of
// earlier SDKs, and returns the version to baseline at, with a note that keeps each
// file's time of application.
func legacyInstall(ctx context.Context, db dbx.DB) (version, note string, err error) {
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass('`+Schema+`.schema_migrations') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return "", "", err
	}
	rows, err := db.Query(ctx, `SELECT version, applied_at FROM `+Schema+`.schema_migrations ORDER BY version`)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	var applied []string
	for rows.Next() {
		var v string
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return "", "", err
		}
		nv, ok := legacyVersions[v]
		if !ok {
			return "", "", fmt.Errorf(Schema+".schema_migrations has version %q, which this SDK does not know; upgrade the SDK", v)
		}
		if nv > version {
			version = nv
		}
		applied = append(applied, v+" at "+at.UTC().Format(time.RFC3339))
	}
	if err := rows.Err(); err != nil {
		return "", "", err
	}
	if version == "" {
		return "", "", nil
	}
	return version, "carried over from " + Schema + ".schema_migrations (" + strings.Join(applied, ", ") + ")", nil
}

// installed reports whether Install has run on db.
func installed(ctx context.Context, db DB) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `SELECT to_regclass('`+Schema+`.legal_holds') IS NOT NULL`).Scan(&ok)
	return ok, err
}
