package archive

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sdkinstall"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/retention"
)

//go:embed migrations/*.sql migrations/atlas.sum
var migrationFS embed.FS

// Schema is the schema holding the archive catalog, its event log and the revisions of
// its migration directory with the default sdk.prefix. The schema in use is the
// policy's: [Bookkeeping.Schema], p.SDKSchema("archive"), which is Schema unless the
// policy sets another sdk.prefix. The shipped migration files ([Migrations]) name
// Schema; the installer renders them for another schema.
const Schema = "lsos_archive"

// schemaPart names the package's SDK schema: p.SDKSchema(schemaPart) is Schema with the
// default sdk.prefix.
const schemaPart = "archive"

// lockSpace is the first key of the per-partition advisory locks of Run and PurgeTenant.
// It names a lock, not an object: the same under every sdk.prefix, so that SDKs
// configured with different prefixes in one database still exclude each other on a
// partition (the partition is the application's, whoever catalogs it).
const lockSpace = Schema

// Bookkeeping is the archive catalog (one row per archived partition) and its event log
// in the schema a policy names for them: the policy's sdk.prefix followed by "archive"
// ([governance.Policy.SDKSchema]), [Schema] (lsos_archive) with the default prefix,
// "ops_archive" with sdk.prefix ops_. The legal holds and purge audit records it reads
// and writes are package retention's, in the same policy's retention schema.
//
// [Run] and [PurgeTenant] take a policy (PurgeOptions.Policy) and use its schemas; the
// functions that take none are Bookkeeping's methods, and the package-level functions of
// the same names ([Install], [Get], [List], [Find], [RebuildCatalog], [Restore], [Open],
// [Verify], [RecordPurgeSkipped]) are those of For(nil), the default policy. The zero
// Bookkeeping is For(nil) too.
//
//	cat := archive.For(policy)
//	entries, err := cat.List(ctx, pool)                       // ops_archive.archives with sdk.prefix ops_
//	n, err := cat.Restore(ctx, pool, store, entries[0].ID, archive.Target{Table: "audit.snap_2024_01"})
type Bookkeeping struct {
	policy *governance.Policy
}

// For returns the bookkeeping of policy p (nil: governance.Default()).
func For(p *governance.Policy) Bookkeeping { return Bookkeeping{policy: p} }

// Schema returns the schema of the catalog: p.SDKSchema("archive").
func (b Bookkeeping) Schema() string { return b.policy.SDKSchema(schemaPart) }

// table returns the quoted, schema-qualified name of one of the catalog's tables.
func (b Bookkeeping) table(name string) string {
	return sqlident.Name{Schema: b.Schema(), Name: name}.Quoted()
}

// retentionTable returns the quoted, schema-qualified name of one of package
// retention's tables under b's policy (legal_holds, offboarding, deletions).
func (b Bookkeeping) retentionTable(name string) string {
	return sqlident.Name{Schema: b.retention().Schema(), Name: name}.Quoted()
}

// retention returns package retention's bookkeeping under the same policy.
func (b Bookkeeping) retention() retention.Bookkeeping { return retention.For(b.policy) }

// holds returns the default HoldFunc under b's policy.
func (b Bookkeeping) holds() HoldFunc { return retentionHolds(b.retention()) }

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

// Install is For(nil).Install: the schema lsos_archive of the default policy.
func Install(ctx context.Context, db TxDB) error { return For(nil).Install(ctx, db) }

// Install creates or upgrades the catalog in b.Schema() with the migrate engine, under
// its advisory lock, recording the versions in the schema's revisions table: idempotent
// and safe from many replicas at once, two light queries when nothing is pending. A
// catalog created by an earlier SDK is adopted as it is. Under a policy whose sdk.prefix
// is not the default, the first install refuses while lsos_archive already holds the
// catalog (made under the default prefix): rename the schema or keep the prefix.
// Installing needs a *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn; through a transaction,
// Install only checks that the catalog is up to date.
func (b Bookkeeping) Install(ctx context.Context, db TxDB) error {
	if err := installer.Install(ctx, db, b.Schema()); err != nil {
		return fmt.Errorf("archive: install catalog: %w", err)
	}
	return nil
}
