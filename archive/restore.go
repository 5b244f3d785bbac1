package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// Target says where [Restore] puts an archive's rows.
type Target struct {
	// Table is the table to create ("schema.table" or "table" for public). It must not
	// exist. Empty with Attach means the original partition name.
	Table string
	// Attach re-attaches the new table to the archive's parent with the original bounds
	// (indexes matching the parent's are created by the ATTACH).
	Attach bool
	// NoIndexes skips recreating the archived partition's indexes on a new table. By
	// default a restore into a new table (not Attach) builds every index the manifest
	// records, after the rows are loaded, renamed after the table (see [Restore]).
	NoIndexes bool
	// Logger receives warnings (nil: discard): a restore from a manifest recorded before
	// manifests were hashed is logged at warning level.
	Logger *slog.Logger
}

// Restore is For(nil).Restore: the catalog of the default policy (lsos_archive).
func Restore(ctx context.Context, db TxDB, store *blob.Bucket, id string, target Target) (int64, error) {
	return For(nil).Restore(ctx, db, store, id, target)
}

// Restore loads the archive id into a new table, checking the manifest against the
// SHA-256 the catalog recorded for it before using anything from it (a mismatch is a
// [*ManifestError], [ErrManifestTampered]; an archive recorded before manifests were
// hashed is restored with a warning to [Target.Logger]), the object's SHA-256 against
// the catalog before any row is loaded and the loaded row count afterwards; all of it
// runs in one transaction, so a failed restore leaves nothing behind. No manifest text
// is run as SQL: see the package documentation, "Manifest integrity". Columns stored with
// the text fallback are loaded into a temporary staging table and cast to their type.
//
// Into a new table, the partition's indexes recorded in the manifest are built after the
// load (unless [Target.NoIndexes]): each definition is rewritten for the table and given
// a name derived from it ("<table>_pkey" for "<partition>_pkey"), cut to 63 bytes with a
// hash when too long and suffixed _2, _3, … when the name is taken in the schema. With
// Attach, the ATTACH builds or adopts the parent's indexes instead, as for any partition.
func (b Bookkeeping) Restore(ctx context.Context, db TxDB, store *blob.Bucket, id string, target Target) (int64, error) {
	e, err := b.Get(ctx, db, id)
	if err != nil {
		return 0, err
	}
	// Nothing from the manifest is used before it matches the hash recorded with it.
	legacy, err := checkCatalogManifest(&e)
	if err != nil {
		return 0, err
	}
	if legacy {
		logger(target.Logger).WarnContext(ctx, "archive: restoring from a manifest recorded before manifests were hashed; no SHA-256 covers it (its column types, bounds and index definitions are still checked)",
			"id", id, "manifest", manifestKey(e.Object))
	}
	m := e.Manifest
	if m.SHA256 == "" {
		return 0, fmt.Errorf("archive: %s was never uploaded (state %s); re-run archive.Run first", id, e.State)
	}
	var tn governance.QualifiedName
	if target.Table == "" {
		if !target.Attach {
			return 0, fmt.Errorf("archive: Restore needs Target.Table (or Attach to reuse the partition name)")
		}
		// The exact name the partition had, not a re-parse of its plain text.
		if tn, err = exactName(m.PartitionName, m.Partition); err != nil {
			return 0, invalidManifest(&m, "partition_name", err)
		}
	} else if tn, err = parseName(target.Table); err != nil {
		return 0, err
	}
	// Checks that need no database, before anything is read or run.
	var parent governance.QualifiedName
	var bounds string
	if target.Attach {
		if parent, err = exactName(m.TableName, m.Table); err != nil {
			return 0, invalidManifest(&m, "table_name", err)
		}
		if bounds, err = attachBounds(&m); err != nil {
			return 0, err
		}
	}
	if !target.Attach && !target.NoIndexes {
		if err := checkIndexDefs(&m); err != nil {
			return 0, err
		}
	}
	r, err := parquetio.Open(ctx, store, m.Object)
	if err != nil {
		return 0, fmt.Errorf("archive: restore %s: %w", id, asVerify(err))
	}
	defer r.Close()
	if r.SHA256 != m.SHA256 {
		return 0, fmt.Errorf("%w: object %s has sha256 %s, the catalog %s; nothing was restored", ErrVerify, m.Object, r.SHA256, m.SHA256)
	}
	if len(r.Columns()) != len(m.Columns) {
		return 0, fmt.Errorf("%w: object has %d columns, the manifest %d", ErrVerify, len(r.Columns()), len(m.Columns))
	}
	for i, c := range r.Columns() {
		if c.Name != m.Columns[i].Name {
			return 0, fmt.Errorf("%w: column %d is %q in the object, %q in the manifest", ErrVerify, i+1, c.Name, m.Columns[i].Name)
		}
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	// Column types as the server spells them, resolved from bind parameters: the
	// manifest's type text itself never reaches SQL.
	cols, err := resolveColumns(ctx, tx, &m)
	if err != nil {
		return 0, err
	}
	if err := execOne(ctx, tx, tableDDL(tn, cols)); err != nil {
		return 0, fmt.Errorf("archive: create %s: %w", tn, err)
	}
	names := make([]string, len(m.Columns))
	staged := false
	for i, c := range r.Columns() {
		names[i] = c.Name
		staged = staged || c.Kind == parquetio.KindText
	}
	into := tn
	if staged {
		into = governance.QualifiedName{Name: "lsos_archive_restore_stage"}
		stage := slices.Clone(cols)
		for i, c := range r.Columns() {
			if c.Kind == parquetio.KindText {
				stage[i].Type = "text"
			}
		}
		if err := execOne(ctx, tx, strings.Replace(tableDDL(into, stage), "CREATE TABLE", "CREATE TEMP TABLE", 1)+" ON COMMIT DROP"); err != nil {
			return 0, fmt.Errorf("archive: staging table: %w", err)
		}
	}
	n, err := tx.CopyFrom(ctx, identifier(into), names, &copySource{r: r})
	if err != nil {
		return 0, fmt.Errorf("archive: load %s: %w", tn, err)
	}
	if staged {
		sel := make([]string, len(cols))
		for i, c := range cols {
			sel[i] = sqlident.Quote(c.Name)
			if r.Columns()[i].Kind == parquetio.KindText {
				sel[i] += "::" + c.Type
			}
		}
		if err := execOne(ctx, tx, `INSERT INTO `+tn.Quoted()+` SELECT `+strings.Join(sel, ", ")+` FROM `+into.Quoted()); err != nil {
			return 0, fmt.Errorf("archive: cast staged columns into %s: %w", tn, err)
		}
	}
	if n != m.Rows || r.Read() != r.NumRows() {
		return 0, fmt.Errorf("%w: loaded %d rows, the archive has %d; nothing was restored", ErrVerify, n, m.Rows)
	}
	if !target.Attach && !target.NoIndexes {
		if err := createIndexes(ctx, tx, &m, tn); err != nil {
			return 0, err
		}
	}
	if target.Attach {
		if err := execOne(ctx, tx, `ALTER TABLE `+parent.Quoted()+` ATTACH PARTITION `+tn.Quoted()+` `+bounds); err != nil {
			return 0, fmt.Errorf("archive: attach %s to %s: %w", tn, parent, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+b.table("events")+` (archive_id, partition, step, detail, actor, at) VALUES ($1, $2, 'restore', $3, current_user, now())`,
		id, m.Partition, "restored into "+tn.String()); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return n, nil
}

func columnDefs(cs []ColumnManifest) []ColumnDef {
	out := make([]ColumnDef, len(cs))
	for i, c := range cs {
		out[i] = c.ColumnDef
	}
	return out
}

type copySource struct{ r *parquetio.Reader }

func (c *copySource) Next() bool             { return c.r.Next() }
func (c *copySource) Values() ([]any, error) { return c.r.Values() }
func (c *copySource) Err() error             { return c.r.Err() }

// Open is For(nil).Open: the catalog of the default policy (lsos_archive).
func Open(ctx context.Context, db DB, store *blob.Bucket, id string) (*Reader, error) {
	return For(nil).Open(ctx, db, store, id)
}

// Open returns a reader over the rows of archive id after checking the object's SHA-256
// against the catalog: for read-only tools (CSV export for an audit, reports). Close it.
func (b Bookkeeping) Open(ctx context.Context, db DB, store *blob.Bucket, id string) (*Reader, error) {
	e, err := b.Get(ctx, db, id)
	if err != nil {
		return nil, err
	}
	r, err := parquetio.Open(ctx, store, e.Object)
	if err != nil {
		return nil, fmt.Errorf("archive: open %s: %w", id, asVerify(err))
	}
	if r.SHA256 != e.SHA256 || r.NumRows() != e.Rows {
		r.Close()
		return nil, fmt.Errorf("%w: object %s does not match the catalog (sha256 %s vs %s, %d vs %d rows)", ErrVerify, e.Object, r.SHA256, e.SHA256, r.NumRows(), e.Rows)
	}
	return newReader(r), nil
}

func identifier(n governance.QualifiedName) pgx.Identifier {
	if n.Schema == "" {
		return pgx.Identifier{n.Name}
	}
	return pgx.Identifier{n.Schema, n.Name}
}

// asVerify marks parquetio verification failures with this package's ErrVerify, and
// store failures as a *StoreError.
func asVerify(err error) error {
	if se := asStoreError(err); se != nil {
		return se // the store could not be read: not a verdict on the archive
	}
	if errors.Is(err, parquetio.ErrVerify) && !errors.Is(err, ErrVerify) {
		return fmt.Errorf("%w: %w", ErrVerify, err)
	}
	return err
}
