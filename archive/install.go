package archive

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/lsos/lsosgov/internal/sdkinstall"
)

//go:embed migrations/*.sql migrations/atlas.sum
var migrationFS embed.FS

// Schema is the schema holding the archive catalog, its event log and the revisions of
// its migration directory. Every statement of the package names it through this
// constant.
const Schema = "lsos_archive"

// Migrations returns the catalog's migration directory in the migrate package's native
// format (<version>_<name>.up.sql and .down.sql, atlas.sum), as [Install] applies it: one
// row per archived partition (its lifecycle state and manifest) and an append-only event
// log of every step.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // fixed at build time
	}
	return sub
}

var installer = sdkinstall.New("archive", Schema, Migrations(), nil)

// Install creates or upgrades the catalog with the migrate engine, under its advisory
// lock, recording the versions in lsos_archive.revisions: idempotent and safe from many
// replicas at once, two light queries when nothing is pending. A catalog created by an earlier
// SDK is adopted as it is. Installing needs a *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn;
// through a transaction, Install only checks that the catalog is up to date.
func Install(ctx context.Context, db TxDB) error {
	if err := installer.Install(ctx, db); err != nil {
		return fmt.Errorf("archive: install catalog: %w", err)
	}
	return nil
}
