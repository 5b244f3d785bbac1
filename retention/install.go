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
	"github.com/lsos/lsosgov/internal/sqlident"
)

//go:embed migrations/*.sql migrations/atlas.sum
var migrationFS embed.FS

// Schema is the schema that holds the package's tables (legal holds, offboarding state,
// deletion audit records) and the revisions of its migration directory with the default
// sdk.prefix. The schema in use is the policy's: [Bookkeeping.Schema],
// p.SDKSchema("retention"), which is Schema unless the policy sets another sdk.prefix.
// The shipped migration files ([Migrations]) name Schema; the installer renders them for
// another schema.
const Schema = "lsos_retention"

// Migrations returns the package's migration directory in the migrate package's native
// format (<version>_<name>.up.sql and .down.sql, atlas.sum), as [Install] applies it
// with the default sdk.prefix (the files name [Schema]; under another prefix
// [Bookkeeping.Install] runs them with that schema in its place).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // fixed at build time
	}
	return sub
}

var installer = sdkinstall.New("retention", Schema, Migrations(), legacyInstall)

// Install is For(nil).Install: it installs the schema lsos_retention of the default
// policy. See [Bookkeeping.Install].
func Install(ctx context.Context, db TxDB) error { return For(nil).Install(ctx, db) }

// Install applies the package's migrations that db lacks with the migrate engine, under
// its advisory lock, in the policy's schema (b.Schema(): lsos_retention by default),
// recording them in its revisions table. It is idempotent and safe to call from many
// replicas at once; when nothing is pending it costs two light queries. An install made
// by an earlier SDK (schema_migrations in the same schema) is carried over: its versions
// are baselined, its data kept.
//
// Under a policy whose sdk.prefix is not the default, the first install refuses while
// lsos_retention already holds the tables (made under the default prefix): the legal
// holds and offboarding state recorded there would be left behind, unseen. Rename the
// schema (ALTER SCHEMA lsos_retention RENAME TO ops_retention) or keep the prefix.
//
// Installing needs a *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn (the migrator holds a
// session lock); through a transaction, Install only checks that the schema is up to
// date.
func (b Bookkeeping) Install(ctx context.Context, db TxDB) error {
	if err := installer.Install(ctx, db, b.Schema()); err != nil {
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

// legacyInstall reads schema.schema_migrations (lsos_retention.schema_migrations),
// written by the installer of earlier SDKs, and returns the version to baseline at, with
// a note that keeps each file's time of application.
func legacyInstall(ctx context.Context, db dbx.DB, schema string) (version, note string, err error) {
	table := sqlident.Name{Schema: schema, Name: "schema_migrations"}
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table.Quoted()).Scan(&exists); err != nil || !exists {
		return "", "", err
	}
	rows, err := db.Query(ctx, `SELECT version, applied_at FROM `+table.Quoted()+` ORDER BY version`)
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
			return "", "", fmt.Errorf("%s has version %q, which this SDK does not know; upgrade the SDK", table, v)
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
	return version, "carried over from " + table.String() + " (" + strings.Join(applied, ", ") + ")", nil
}

// installed reports whether Install has run on db for b's schema.
func (b Bookkeeping) installed(ctx context.Context, db DB) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, b.table("legal_holds")).Scan(&ok)
	return ok, err
}
