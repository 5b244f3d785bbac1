package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"
)

// Entry is one catalog row.
type Entry struct {
	ID        string    `json:"id"`
	Table     string    `json:"table"`
	Partition string    `json:"partition"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Rows      int64     `json:"rows"`
	Bytes     int64     `json:"bytes"`
	SHA256    string    `json:"sha256"`
	Object    string    `json:"object"`
	State     string    `json:"state"`
	// ManifestSHA256 is the SHA-256 of the manifest's stored bytes, recorded with it;
	// empty for an archive recorded before manifests were hashed.
	ManifestSHA256 string   `json:"manifest_sha256,omitempty"`
	Manifest       Manifest `json:"-"`
	// manifestJSON holds the exact bytes ManifestSHA256 covers (nil when the catalog
	// holds only the jsonb copy).
	manifestJSON []byte
}

// Complete reports whether the partition left the database (dropped or kept detached).
func (e Entry) Complete() bool { return e.State == stateDropped || e.State == stateKept }

const entryCols = `id, parent, partition, coalesce(range_from, '-infinity'), coalesce(range_to, 'infinity'),
	coalesce(rows, 0), coalesce(bytes, 0), coalesce(sha256, ''), object, state, manifest, manifest_json, coalesce(manifest_sha256, '')`

func scanEntry(r pgx.CollectableRow) (Entry, error) {
	var e Entry
	var m []byte
	var exact *string
	var from, to time.Time
	if err := r.Scan(&e.ID, &e.Table, &e.Partition, &from, &to, &e.Rows, &e.Bytes, &e.SHA256, &e.Object, &e.State, &m, &exact, &e.ManifestSHA256); err != nil {
		return e, err
	}
	e.From, e.To = from.UTC(), to.UTC()
	if exact != nil {
		// The exact bytes the hash covers, not jsonb's rewrite of them.
		e.manifestJSON = []byte(*exact)
		m = e.manifestJSON
	}
	if err := json.Unmarshal(m, &e.Manifest); err != nil {
		return e, fmt.Errorf("archive: catalog manifest of %s: %w", e.ID, err)
	}
	return e, nil
}

// Get is For(nil).Get: the catalog of the default policy (lsos_archive).
func Get(ctx context.Context, db DB, id string) (Entry, error) { return For(nil).Get(ctx, db, id) }

// Get returns the catalog entry id (ErrNotFound when there is none).
func (b Bookkeeping) Get(ctx context.Context, db DB, id string) (Entry, error) {
	rows, err := db.Query(ctx, `SELECT `+entryCols+` FROM `+b.table("archives")+` WHERE id = $1`, id)
	if err != nil {
		return Entry{}, fmt.Errorf("archive: read catalog (run archive.Install first?): %w", err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEntry)
	if errors.Is(err, pgx.ErrNoRows) {
		return Entry{}, fmt.Errorf("%w: no archive has id %q; archive.List shows the ids", ErrNotFound, id)
	}
	return e, err
}

// List is For(nil).List: the catalog of the default policy (lsos_archive).
func List(ctx context.Context, db DB) ([]Entry, error) { return For(nil).List(ctx, db) }

// List returns every catalog entry, by table and range. Entries still in progress are
// included; see Entry.State.
func (b Bookkeeping) List(ctx context.Context, db DB) ([]Entry, error) {
	return query(ctx, db, `SELECT `+entryCols+` FROM `+b.table("archives")+` ORDER BY parent, range_from, partition`)
}

// FindOptions narrow [Find]. Zero fields match everything.
type FindOptions struct {
	Table    string    // parent, "schema.table" (or "table" for public)
	From, To time.Time // entries whose range overlaps [From, To)
	Tenant   string    // entries holding rows of this tenant id
}

// Find is For(nil).Find: the catalog of the default policy (lsos_archive).
func Find(ctx context.Context, db DB, f FindOptions) ([]Entry, error) {
	return For(nil).Find(ctx, db, f)
}

// Find returns the complete archives of a table overlapping a time range and holding a
// tenant's rows: what an audit or a historical report needs to restore.
func (b Bookkeeping) Find(ctx context.Context, db DB, f FindOptions) ([]Entry, error) {
	table := f.Table
	if table != "" {
		n, err := parseName(table)
		if err != nil {
			return nil, err
		}
		table = n.String()
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	return query(ctx, db, `SELECT `+entryCols+` FROM `+b.table("archives")+`
		WHERE state IN ('dropped', 'kept')
		  AND ($1 = '' OR parent = $1)
		  AND ($2::timestamptz IS NULL OR range_to IS NULL OR range_to > $2)
		  AND ($3::timestamptz IS NULL OR range_from IS NULL OR range_from < $3)
		  AND ($4 = '' OR $4 = ANY(tenants))
		ORDER BY parent, range_from, partition`, table, from, to, f.Tenant)
}

func query(ctx context.Context, db DB, sql string, args ...any) ([]Entry, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("archive: read catalog (run archive.Install first?): %w", err)
	}
	out, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("archive: read catalog: %w", err)
	}
	return out, nil
}

// upsertManifest writes m into the catalog with state.
func (b Bookkeeping) upsertManifest(ctx context.Context, db DB, m *Manifest, state string, now time.Time) error {
	return b.recordState(ctx, db, m, state, now, nil)
}

// eventRow is a row of the event log, the audit record of a step.
type eventRow struct {
	Step   Step
	Detail string
	Actor  string
	At     time.Time
}

// recordState writes m into the catalog with state and, when ev is set, appends ev to
// the event log in the same statement: a step is recorded done exactly when its audit
// event is, whatever crashes in between. (A step whose work cannot share a transaction
// with the record, such as DETACH … CONCURRENTLY, is still at its previous state after
// a crash, so the re-run finds the work done, records the state and writes the event.)
//
// The manifest is stored twice: as jsonb (for queries) and as the exact bytes written to
// the store (manifest_json) with their SHA-256 (manifest_sha256), which [Restore]
// checks before it uses anything from the manifest.
func (b Bookkeeping) recordState(ctx context.Context, db DB, m *Manifest, state string, now time.Time, ev *eventRow) error {
	raw, sum, err := encodeManifest(m)
	if err != nil {
		return err
	}
	return b.recordManifest(ctx, db, m, raw, &sum, state, now, ev)
}

// recordManifest is recordState with the manifest's bytes raw (as stored) and their
// SHA-256 given; sum is nil for a manifest without one.
func (b Bookkeeping) recordManifest(ctx context.Context, db DB, m *Manifest, raw []byte, sum *string, state string, now time.Time, ev *eventRow) error {
	tenants := m.tenantIDs()
	var from, to *time.Time
	if !m.From.IsZero() {
		from = &m.From
	}
	if !m.To.IsZero() {
		to = &m.To
	}
	var rows, bytes *int64
	var sha *string
	if m.SHA256 != "" {
		rows, bytes, sha = &m.Rows, &m.Bytes, &m.SHA256
	}
	upsert := `
		INSERT INTO ` + b.table("archives") + ` (id, parent, partition, range_from, range_to, bounds, rows, bytes, sha256,
			object, manifest_object, tenants, state, manifest, policy_version, archived_by, archived_at, updated_at,
			manifest_json, manifest_sha256)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (id) DO UPDATE SET rows = EXCLUDED.rows, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256,
			tenants = EXCLUDED.tenants, state = EXCLUDED.state, manifest = EXCLUDED.manifest, updated_at = EXCLUDED.updated_at,
			manifest_json = EXCLUDED.manifest_json, manifest_sha256 = EXCLUDED.manifest_sha256`
	var exact *string
	if sum != nil {
		exact = new(string)
		*exact = string(raw)
	}
	args := []any{m.ID, m.Table, m.Partition, from, to, m.Bounds, rows, bytes, sha, m.Object, manifestKey(m.Object),
		tenants, state, raw, m.PolicyVersion, m.ArchivedBy, m.ArchivedAt, now, exact, sum}
	sql := upsert
	if ev != nil {
		// One statement is one transaction on any DB (pool, connection or transaction).
		sql = `WITH up AS (` + upsert + ` RETURNING id, partition)
			INSERT INTO ` + b.table("events") + ` (archive_id, partition, step, detail, actor, at)
			SELECT id, partition, $21::text, $22::text, $23::text, $24::timestamptz FROM up`
		args = append(args, string(ev.Step), ev.Detail, ev.Actor, ev.At)
	}
	// The statement is an idempotent upsert, so a deadlock (PostgreSQL cancels one
	// side; here another worker's DETACH … CONCURRENTLY, which waits for every older
	// snapshot, can close the cycle) is simply run again.
	for attempt := 0; ; attempt++ {
		_, err := db.Exec(ctx, sql, args...)
		if err == nil {
			return nil
		}
		if !isDeadlock(err) || attempt == 4 {
			return fmt.Errorf("record catalog entry: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(20*(attempt+1)) * time.Millisecond):
		}
	}
}

// RebuildOption changes how [RebuildCatalog] treats the manifests it reads.
type RebuildOption func(*rebuildOptions)

type rebuildOptions struct {
	trustUnhashed bool
}

// TrustUnhashedManifests makes [RebuildCatalog] accept manifests that have no SHA-256
// beside them (written before this SDK hashed manifests). Check such manifests first:
// nothing vouches for their bytes. They are recorded without a hash, so [Restore] warns
// when it uses one, and still checks every value it uses (column types, bounds, index
// definitions) as it does for any manifest.
func TrustUnhashedManifests() RebuildOption {
	return func(o *rebuildOptions) { o.trustUnhashed = true }
}

// RebuildCatalog is For(nil).RebuildCatalog: the catalog of the default policy
// (lsos_archive).
func RebuildCatalog(ctx context.Context, db TxDB, store *blob.Bucket, prefix string, opts ...RebuildOption) (int, error) {
	return For(nil).RebuildCatalog(ctx, db, store, prefix, opts...)
}

// RebuildCatalog re-creates catalog entries from the manifests under prefix in store
// (after the catalog was lost or restored from an older backup). Existing entries with
// the same id are overwritten from their manifest. It returns the number of manifests
// read.
//
// Every manifest is checked before any is recorded: one whose bytes do not match the
// SHA-256 in its metadata is refused with a [*ManifestError] ([ErrManifestTampered]),
// and so is one without a SHA-256 ([ErrManifestUnhashed]) unless
// [TrustUnhashedManifests] is given; then nothing is recorded. The catalog keeps the
// exact bytes and their hash, which [Restore] and [Verify] check again.
func (b Bookkeeping) RebuildCatalog(ctx context.Context, db TxDB, store *blob.Bucket, prefix string, opts ...RebuildOption) (int, error) {
	var o rebuildOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := b.Install(ctx, db); err != nil {
		return 0, err
	}
	ms, err := readManifests(ctx, store, prefix)
	if err != nil {
		return 0, err
	}
	for i := range ms {
		if err := ms[i].check(ms[i].m.ID, "", o.trustUnhashed); err != nil {
			return 0, err
		}
	}
	for i := range ms {
		m := &ms[i].m
		state := m.State
		if state == "" {
			state = stateRecorded
		}
		var sum *string
		if ms[i].recorded != "" {
			sum = &ms[i].recorded
		}
		if err := b.recordManifest(ctx, db, m, ms[i].bytes, sum, state, m.ArchivedAt, nil); err != nil {
			return i, fmt.Errorf("archive: rebuild %s: %w", m.ID, err)
		}
	}
	return len(ms), nil
}
