// Package sdkinstall installs the SDK's own schemas (lsos_retention, lsos_archive,
// lsos_integrity) with the project's migrate engine: each is a migration directory in
// the native format (<version>_<name>.up.sql and .down.sql, atlas.sum) whose revisions
// are recorded in a revisions table of the component's own schema, applied under the
// migrator's advisory lock, so that an install is idempotent and safe from many
// replicas at once. It is the one owner of those objects: package retention, archive
// and integrity install through it and nothing else creates their tables.
package sdkinstall

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/internal/dbx"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/migrate"
)

// ErrNeedsSession is returned when a component is missing or behind and the handle
// cannot run the migrator (a transaction, or a type other than a pool or connection).
var ErrNeedsSession = errors.New("the SDK schema is not installed or not up to date, and it cannot be installed through a transaction")

// Legacy reads an install made before the component was a migration directory and
// returns the newest version of the directory it is equivalent to ("" when there is
// none) and a note recorded with the baseline. It runs under the migrator's lock.
type Legacy func(ctx context.Context, db dbx.DB) (version, note string, err error)

// Component is one of the SDK's schemas with its migration directory.
type Component struct {
	name   string // "retention"
	schema string // "lsos_retention": the component's tables and its revisions
	fsys   fs.FS
	legacy Legacy

	once sync.Once
	dir  *migrate.Dir
	err  error
}

// New returns the component name, whose objects live in schema, with the migration
// directory fsys. legacy may be nil.
func New(name, schema string, fsys fs.FS, legacy Legacy) *Component {
	return &Component{name: name, schema: schema, fsys: fsys, legacy: legacy}
}

// Name is the component's name ("retention").
func (c *Component) Name() string { return c.name }

// Schema is the component's schema, which holds its tables and its revisions.
func (c *Component) Schema() string { return c.schema }

// Dir loads the component's migration directory once.
func (c *Component) Dir() (*migrate.Dir, error) {
	c.once.Do(func() {
		c.dir, c.err = migrate.LoadFS(c.fsys)
		if c.err != nil {
			c.err = fmt.Errorf("load the %s migrations (a build problem): %w", c.name, c.err)
		}
	})
	return c.dir, c.err
}

// Install applies the component's pending migrations. When every version is applied
// it costs two light queries; otherwise db must be a *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn,
// which the migrator needs for its session lock.
func (c *Component) Install(ctx context.Context, db dbx.DB) error {
	dir, err := c.Dir()
	if err != nil {
		return err
	}
	if ok, err := c.upToDate(ctx, db, dir); err != nil {
		return err
	} else if ok {
		return nil
	}
	switch db.(type) {
	case *pgxpool.Pool, *pgxpool.Conn, *pgx.Conn:
	default:
		return fmt.Errorf("%w: install schema %s first with a pool or a connection (not %T)", ErrNeedsSession, c.schema, db)
	}
	m, err := migrate.NewMigrator(db, dir, migrate.Config{Schema: c.schema})
	if err != nil {
		return err
	}
	if c.legacy != nil {
		if err := c.carryOver(ctx, db, m); err != nil {
			return err
		}
	}
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("install schema %s: %w", c.schema, err)
	}
	return nil
}

// carryOver baselines a legacy install: when the revisions table has no row and legacy
// finds an equivalent version, every version up to it is recorded as applied without
// running it. A replica that loses the race finds the rows written and goes on.
func (c *Component) carryOver(ctx context.Context, db dbx.DB, m *migrate.Migrator) error {
	n, err := c.revisions(ctx, db)
	if err != nil || n > 0 {
		return err
	}
	version, note, err := c.legacy(ctx, db)
	if err != nil {
		return fmt.Errorf("install schema %s: read the earlier install: %w", c.schema, err)
	}
	if version == "" {
		return nil
	}
	if _, err := m.Baseline(ctx, version, note); err != nil {
		if n, rerr := c.revisions(ctx, db); rerr == nil && n > 0 {
			return nil // another replica baselined it meanwhile
		}
		return fmt.Errorf("install schema %s: baseline the earlier install at %s: %w", c.schema, version, err)
	}
	return nil
}

// revisions counts the rows of the component's revisions table (0 when it is missing).
func (c *Component) revisions(ctx context.Context, db dbx.DB) (int, error) {
	table := sqlident.Name{Schema: c.schema, Name: "revisions"}
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table.Quoted()).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM `+table.Quoted()).Scan(&n)
	return n, err
}

// upToDate reports whether every version of dir is applied, clean and unchanged: two
// light queries, which work through a transaction too (neither can fail and abort it: a
// revisions table the role cannot read is "no", for the migrator to report precisely).
// A missing revisions table is "no".
func (c *Component) upToDate(ctx context.Context, db dbx.DB, dir *migrate.Dir) (bool, error) {
	table := sqlident.Name{Schema: c.schema, Name: "revisions"}
	var readable bool
	if err := db.QueryRow(ctx, `SELECT CASE WHEN to_regclass($1) IS NULL THEN false ELSE has_table_privilege($1, 'SELECT') END`,
		table.Quoted()).Scan(&readable); err != nil {
		return false, fmt.Errorf("install schema %s: %w", c.schema, err)
	}
	if !readable {
		return false, nil
	}
	rows, err := db.Query(ctx, `SELECT version, checksum, state = 'applied' FROM `+table.Quoted()+` ORDER BY version`)
	if err != nil {
		return false, fmt.Errorf("install schema %s: read revisions: %w", c.schema, err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var version, sum string
		var clean bool
		if err := rows.Scan(&version, &sum, &clean); err != nil {
			return false, nil
		}
		if !clean || i >= len(dir.Versions) || dir.Versions[i].Version != version || dir.Versions[i].Up.Checksum != sum {
			return false, nil
		}
		i++
	}
	return rows.Err() == nil && i == len(dir.Versions), nil
}

//go:embed integrity/*.sql integrity/atlas.sum
var integrityFS embed.FS

// Integrity is the schema of saved integrity reports (integrity.SaveRun).
var Integrity = New("integrity", "lsos_integrity", sub(integrityFS, "integrity"), nil)

func sub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // fixed at build time
	}
	return s
}
