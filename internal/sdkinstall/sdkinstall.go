// Package sdkinstall installs the SDK's own schemas (lsos_retention, lsos_archive,
// lsos_integrity with the default sdk.prefix) with the project's migrate engine: each is
// a migration directory in the native format (<version>_<name>.up.sql and .down.sql,
// atlas.sum) whose revisions are recorded in a revisions table of the component's own
// schema, applied under the migrator's advisory lock, so that an install is idempotent
// and safe from many replicas at once. It is the one owner of those objects: package
// retention, archive and integrity install through it and nothing else creates their
// tables.
//
// # The schema follows the policy
//
// A component is installed in the schema its caller names, the policy's
// SDKSchema(part) ("ops_retention" with sdk.prefix ops_). The shipped files name the
// component's default schema ("lsos_retention"): that name is the directory's
// placeholder. For another schema the installer renders each file before running it,
// replacing every standalone occurrence of the placeholder (not part of a longer
// identifier such as lsos_integrity_runs) with the target schema as a quoted identifier
// (sqlident.Quote). A target schema must be a plain lower-case identifier
// ([a-z_][a-z0-9_]*, at most 63 bytes, the shape governance.Validate requires of
// sdk.prefix), so its quoted form is also safe inside the few string literals that
// name it ('"ops_retention".deletions'::regclass, a format() template in a DO block).
//
// Why a rendered placeholder rather than unqualified names under a search_path: the
// files stay byte for byte what earlier SDKs shipped and applied, so their atlas.sum
// and the checksums recorded in every existing install's revisions table stay valid
// (an edited file would be a history error for every database installed before), the
// default policy runs exactly the statements it always ran, and no statement's meaning
// depends on a session setting a pooled connection might carry or lose. The checksum
// recorded for a rendered file is the shipped file's, whatever the schema: the history
// checks compare what was shipped, and a later SDK sees the same checksums under every
// prefix.
package sdkinstall

import (
	"bytes"
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

// ErrInstalledElsewhere is returned when a component is to be installed in a schema
// other than its default (the policy's sdk.prefix is not lsos_) while the default
// schema already holds its tables: installing would start an empty copy and leave
// legal holds, offboarding state, archive entries or saved reports behind, unseen.
var ErrInstalledElsewhere = errors.New("the SDK's tables are installed under the default sdk.prefix")

// ErrBadSchema is returned for a target schema that is not a plain lower-case
// identifier.
var ErrBadSchema = errors.New("the SDK schema must be lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 bytes")

// Legacy reads an install made before the component was a migration directory, in
// schema, and returns the newest version of the directory it is equivalent to ("" when
// there is none) and a note recorded with the baseline. It runs under the migrator's
// lock.
type Legacy func(ctx context.Context, db dbx.DB, schema string) (version, note string, err error)

// Component is one of the SDK's schemas with its migration directory.
type Component struct {
	name   string // "retention"
	schema string // "lsos_retention": the default schema, and the placeholder of the files
	fsys   fs.FS
	legacy Legacy

	once sync.Once
	dir  *migrate.Dir
	err  error

	mu       sync.Mutex
	rendered map[string]*migrate.Dir // by target schema
}

// New returns the component name, whose objects live in schema with the default
// sdk.prefix, with the migration directory fsys (which names schema). legacy may be
// nil.
func New(name, schema string, fsys fs.FS, legacy Legacy) *Component {
	return &Component{name: name, schema: schema, fsys: fsys, legacy: legacy}
}

// Name is the component's name ("retention").
func (c *Component) Name() string { return c.name }

// Schema is the component's default schema, which its files name.
func (c *Component) Schema() string { return c.schema }

// Dir loads the component's migration directory once, as shipped (for the default
// schema).
func (c *Component) Dir() (*migrate.Dir, error) {
	c.once.Do(func() {
		c.dir, c.err = migrate.LoadFS(c.fsys)
		if c.err != nil {
			c.err = fmt.Errorf("load the %s migrations (a build problem): %w", c.name, c.err)
		}
	})
	return c.dir, c.err
}

// CheckSchema reports whether schema can hold a component: a plain lower-case
// identifier ([ErrBadSchema] otherwise).
func CheckSchema(schema string) error {
	if schema == "" || len(schema) > sqlident.MaxLen {
		return fmt.Errorf("%w: %q", ErrBadSchema, schema)
	}
	for i := 0; i < len(schema); i++ {
		b := schema[i]
		if !(b >= 'a' && b <= 'z' || b == '_' || i > 0 && b >= '0' && b <= '9') {
			return fmt.Errorf("%w: %q", ErrBadSchema, schema)
		}
	}
	return nil
}

// DirFor returns the directory as it runs in schema: the shipped directory for the
// default schema, else every file rendered for schema (see the package documentation),
// with the shipped files' checksums.
func (c *Component) DirFor(schema string) (*migrate.Dir, error) {
	dir, err := c.Dir()
	if err != nil || schema == c.schema {
		return dir, err
	}
	if err := CheckSchema(schema); err != nil {
		return nil, fmt.Errorf("install %s: %w", c.name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.rendered[schema]; ok {
		return d, nil
	}
	to := []byte(sqlident.Quote(schema))
	out := &migrate.Dir{Versions: make([]*migrate.Version, len(dir.Versions))}
	for i, v := range dir.Versions {
		out.Versions[i] = &migrate.Version{Version: v.Version, Name: v.Name, Time: v.Time,
			Up: renderFile(v.Up, c.schema, to), Down: renderFile(v.Down, c.schema, to), Directives: v.Directives}
	}
	if c.rendered == nil {
		c.rendered = map[string]*migrate.Dir{}
	}
	c.rendered[schema] = out
	return out, nil
}

// renderFile returns f with the placeholder replaced by to in its text; the checksum
// stays the shipped file's.
func renderFile(f *migrate.File, placeholder string, to []byte) *migrate.File {
	if f == nil {
		return nil
	}
	return &migrate.File{Name: f.Name, Bytes: Render(f.Bytes, placeholder, to), Checksum: f.Checksum, Directives: f.Directives}
}

// Render replaces every standalone occurrence of the identifier placeholder in src with
// to: an occurrence preceded or followed by an identifier character (a letter, digit,
// underscore, dollar sign or non-ASCII byte) is part of another name and stays. The
// placeholder written as a quoted identifier ("lsos_retention") is replaced with its
// quotes.
func Render(src []byte, placeholder string, to []byte) []byte {
	var out bytes.Buffer
	p := []byte(placeholder)
	for {
		i := bytes.Index(src, p)
		if i < 0 {
			out.Write(src)
			return out.Bytes()
		}
		j := i + len(p)
		switch {
		case i > 0 && src[i-1] == '"' && j < len(src) && src[j] == '"':
			out.Write(src[:i-1])
			out.Write(to)
			j++
		case (i == 0 || !identByte(src[i-1])) && (j == len(src) || !identByte(src[j])):
			out.Write(src[:i])
			out.Write(to)
		default:
			out.Write(src[:j])
		}
		src = src[j:]
	}
}

func identByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '$' || b >= 0x80
}

// Install applies the component's pending migrations in schema (the policy's
// SDKSchema of the component; "" is the default schema). When every version is applied
// it costs two light queries; otherwise db must be a *pgxpool.Pool, *pgxpool.Conn or
// *pgx.Conn, which the migrator needs for its session lock.
func (c *Component) Install(ctx context.Context, db dbx.DB, schema string) error {
	if schema == "" {
		schema = c.schema
	}
	dir, err := c.DirFor(schema)
	if err != nil {
		return err
	}
	if ok, err := c.upToDate(ctx, db, dir, schema); err != nil {
		return err
	} else if ok {
		return nil
	}
	switch db.(type) {
	case *pgxpool.Pool, *pgxpool.Conn, *pgx.Conn:
	default:
		return fmt.Errorf("%w: install schema %s first with a pool or a connection (not %T)", ErrNeedsSession, schema, db)
	}
	if err := c.notElsewhere(ctx, db, schema); err != nil {
		return err
	}
	m, err := migrate.NewMigrator(db, dir, migrate.Config{Schema: schema})
	if err != nil {
		return err
	}
	if c.legacy != nil {
		if err := c.carryOver(ctx, db, m, schema); err != nil {
			return err
		}
	}
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("install schema %s: %w", schema, err)
	}
	return nil
}

// notElsewhere refuses a first install in schema (not the default) while the default
// schema holds tables: an install made under the default sdk.prefix, whose data the
// new schema would not see.
func (c *Component) notElsewhere(ctx context.Context, db dbx.DB, schema string) error {
	if schema == c.schema {
		return nil
	}
	n, err := c.revisions(ctx, db, schema)
	if err != nil || n > 0 {
		return err
	}
	var held bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p'))`, c.schema).Scan(&held); err != nil {
		return fmt.Errorf("install schema %s: %w", schema, err)
	}
	if held {
		return fmt.Errorf("install schema %s: %w: %s already holds the %s tables; move them (ALTER SCHEMA %s RENAME TO %s) or keep the default sdk.prefix, so that nothing recorded there is left behind unseen",
			schema, ErrInstalledElsewhere, c.schema, c.name, sqlident.Quote(c.schema), sqlident.Quote(schema))
	}
	return nil
}

// carryOver baselines a legacy install: when the revisions table has no row and legacy
// finds an equivalent version, every version up to it is recorded as applied without
// running it. A replica that loses the race finds the rows written and goes on.
func (c *Component) carryOver(ctx context.Context, db dbx.DB, m *migrate.Migrator, schema string) error {
	n, err := c.revisions(ctx, db, schema)
	if err != nil || n > 0 {
		return err
	}
	version, note, err := c.legacy(ctx, db, schema)
	if err != nil {
		return fmt.Errorf("install schema %s: read the earlier install: %w", schema, err)
	}
	if version == "" {
		return nil
	}
	if _, err := m.Baseline(ctx, version, note); err != nil {
		if n, rerr := c.revisions(ctx, db, schema); rerr == nil && n > 0 {
			return nil // another replica baselined it meanwhile
		}
		return fmt.Errorf("install schema %s: baseline the earlier install at %s: %w", schema, version, err)
	}
	return nil
}

// revisions counts the rows of the component's revisions table (0 when it is missing).
func (c *Component) revisions(ctx context.Context, db dbx.DB, schema string) (int, error) {
	table := sqlident.Name{Schema: schema, Name: "revisions"}
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
func (c *Component) upToDate(ctx context.Context, db dbx.DB, dir *migrate.Dir, schema string) (bool, error) {
	table := sqlident.Name{Schema: schema, Name: "revisions"}
	var readable bool
	if err := db.QueryRow(ctx, `SELECT CASE WHEN to_regclass($1) IS NULL THEN false ELSE has_table_privilege($1, 'SELECT') END`,
		table.Quoted()).Scan(&readable); err != nil {
		return false, fmt.Errorf("install schema %s: %w", schema, err)
	}
	if !readable {
		return false, nil
	}
	rows, err := db.Query(ctx, `SELECT version, checksum, state = 'applied' FROM `+table.Quoted()+` ORDER BY version`)
	if err != nil {
		return false, fmt.Errorf("install schema %s: read revisions: %w", schema, err)
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

// Integrity is the schema of saved integrity reports (integrity.SaveRun); its files
// name lsos_integrity, its table lsos_integrity_runs under every prefix.
var Integrity = New("integrity", "lsos_integrity", sub(integrityFS, "integrity"), nil)

func sub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // fixed at build time
	}
	return s
}
