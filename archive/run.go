package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/faults"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// detachedSchemaPart names the SDK schema that receives kept partitions by default:
// policy.SDKSchema(detachedSchemaPart) is "lsos_archive_detached".
const detachedSchemaPart = "archive_detached"

// Step is a lifecycle step.
type Step string

// The lifecycle steps, in order.
const (
	StepExport Step = "export" // the object is uploaded (committed in the store)
	StepVerify Step = "verify" // the object was re-read and matches the source
	StepRecord Step = "record" // the manifest is in the store and the catalog
	StepDetach Step = "detach" // the partition is detached from its parent
	StepDrop   Step = "drop"   // the detached table is dropped (or moved, KeepDetached)
	StepSkip   Step = "skip"   // nothing to do (already archived, locked, dry run, held)
)

// Catalog states: the step a partition completed.
const (
	statePending  = "pending"
	stateUploaded = "uploaded"
	stateVerified = "verified"
	stateRecorded = "recorded"
	stateDetached = "detached"
	stateDropped  = "dropped"
	stateKept     = "kept"
)

// Event reports progress.
type Event struct {
	Partition string
	ID        string
	Step      Step
	Rows      int64
	Detail    string
	At        time.Time
}

// HoldFunc returns the ids of legal holds that forbid removing the partition holding rows
// of tenants at now. partition is the quoted, schema-qualified name as SQL spells it
// (`"public"."Snap_2024_02"`): parse it with SQL rules (quoted parts are exact), never as
// plain text. An error stops the drop (a hold that cannot be checked blocks). The
// default, set by [Run], asks package retention.
type HoldFunc func(ctx context.Context, db DB, partition string, tenants []string, now time.Time) ([]string, error)

// Options configure [Run].
type Options struct {
	// Tables are the partitioned parents to archive ("schema.table" or "table" for
	// public); their eligible partitions come from retention. Ignored when Partitions is set.
	Tables []string
	// Partitions, when set, is the explicit list to archive (retention is not asked).
	Partitions []Partition
	// Prefix of object keys (default "lsos-archive").
	Prefix string
	// Now is the clock (default time.Now); it decides eligibility and holds.
	Now func() time.Time
	// DryRun lists what would be archived and changes nothing.
	DryRun bool
	// KeepDetached moves the detached partition into DetachedSchema instead of dropping it.
	// Its foreign keys are dropped first (a brief SHARE ROW EXCLUSIVE lock on each
	// referenced table), so the copy never blocks a tenant's hard delete; PurgeTenant
	// removes a purged tenant's rows from it with its archive.
	KeepDetached bool
	// DetachedSchema receives kept partitions (default: the policy's SDK schema
	// "archive_detached", lsos_archive_detached with the default sdk.prefix). It must be
	// one of the SDK's schemas ([governance.Policy.IsSDKSchema]), so that checks and
	// catalogs never take a kept copy for an application table.
	DetachedSchema string
	// Actor is recorded as who archived (default: the database's current_user).
	Actor string
	// Holds decides legal holds before a drop (default: package retention's holds in the
	// run's policy's retention schema, retention.For(policy).HoldsBlockingName).
	Holds HoldFunc
	// Export tunes the Parquet writer.
	Export ExportOptions
	// VerifyRows makes the verify step re-read the object and decode every row before the
	// detach. By default the object is read back whole and must hash to exactly the bytes
	// the export wrote, with a footer that parses and counts the exported rows: the
	// stored bytes are the writer's own, so decoding them again costs a second pass over
	// the data and proves nothing more about the store. [Verify] always decodes.
	VerifyRows bool
	// Store bounds and retries the requests to the object store and sweeps what
	// interrupted uploads left behind (see [StoreOptions]; the zero value gives the
	// defaults). A store failure stops the run: a permanent one at once, a transient one
	// after its attempts; the partition stays attached and intact.
	Store StoreOptions
	// Logger receives structured logs (nil: discard). Progress receives events.
	Logger   *slog.Logger
	Progress func(Event)
	// crashAfter stops the run right after the named step's work, before its completion
	// is recorded: the worst moment for a crash. Set by this package's tests
	// (export_test.go) and, for other packages' tests, through internal/faults.
	crashAfter Step
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Tables) == 0 && len(o.Partitions) == 0 {
		return o, errors.New("archive: nothing to archive: set Options.Tables (e.g. public.ranking_snapshots) or Options.Partitions")
	}
	if o.Prefix == "" {
		o.Prefix = "lsos-archive"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := sqlident.Check(o.DetachedSchema); err != nil {
		return o, fmt.Errorf("archive: DetachedSchema: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	if o.Store, err = o.Store.withDefaults(); err != nil {
		return o, err
	}
	switch o.crashAfter {
	case "", StepExport, StepVerify, StepRecord, StepDetach, StepDrop:
	default:
		return o, fmt.Errorf("archive: crash point %q is not a step (export, verify, record, detach, drop)", o.crashAfter)
	}
	return o, nil
}

// Report is the outcome of a run, one line per partition considered.
type Report struct {
	Partitions []PartitionResult `json:"partitions"`
	// Warnings are configuration problems that did not stop the run, such as a
	// pg_partman retention that detaches partitions in place (see the package doc).
	Warnings []string `json:"warnings,omitempty"`
}

// PartitionResult is what happened to one partition.
type PartitionResult struct {
	Partition string `json:"partition"`
	ID        string `json:"id,omitempty"`
	// State is the catalog state reached ("dropped", "kept", …) or "" when skipped.
	State string `json:"state,omitempty"`
	Rows  int64  `json:"rows"`
	// Skipped says why nothing was done ("already archived", "locked by another worker",
	// "dry run", "legal hold …").
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Archived returns the rows archived by partitions that completed in this run.
func (r *Report) Archived() (parts int, rows int64) {
	for _, p := range r.Partitions {
		if p.Skipped == "" && p.Error == "" && (p.State == stateDropped || p.State == stateKept) {
			parts++
			rows += p.Rows
		}
	}
	return parts, rows
}

// Run archives each eligible partition: export → upload → verify → record manifest →
// DETACH PARTITION CONCURRENTLY → drop (or keep detached). Each step is recorded in the
// catalog before the next starts, so a re-run after a crash resumes where it stopped; a
// per-partition advisory lock lets several workers run at once, each partition being
// archived by one of them. db must be a pool or a connection (not a transaction).
// A partition whose step fails is left at its last completed step and the run goes on
// with the others; the returned error joins the failures.
func Run(ctx context.Context, db TxDB, store *blob.Bucket, policy *governance.Policy, opts Options) (*Report, error) {
	if opts.crashAfter == "" {
		opts.crashAfter = Step(faults.CrashAfter(ctx))
	}
	if policy == nil {
		policy = governance.Default()
	}
	if opts.DetachedSchema == "" {
		opts.DetachedSchema = policy.SDKSchema(detachedSchemaPart)
	} else if !policy.IsSDKSchema(opts.DetachedSchema) {
		return nil, fmt.Errorf("archive: DetachedSchema %q is not one of the SDK's schemas; name it with the policy's sdk.prefix or list it in sdk.schemas, so that checks and catalogs leave the kept copies alone", opts.DetachedSchema)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	bk := For(policy)
	defaultHolds := opts.Holds == nil
	if defaultHolds {
		opts.Holds = bk.holds()
	}
	if _, ok := db.(pgx.Tx); ok {
		return nil, ErrInTransaction
	}
	if !opts.DryRun {
		if err := bk.Install(ctx, db); err != nil {
			return nil, err
		}
	}
	if opts.Actor == "" {
		if err := db.QueryRow(ctx, `SELECT current_user`).Scan(&opts.Actor); err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
	}
	r := &runner{db: db, store: store, policy: policy, bk: bk, defaultHolds: defaultHolds, opts: opts, gated: map[string]error{}, partman: map[string]*PartmanConfig{}}
	rep := &Report{}
	var errs []error
	defer func() { rep.Warnings = r.warnings }()
	parts := opts.Partitions
	if len(parts) == 0 {
		// A parent whose pg_partman retention races archiving is refused before
		// eligibility is even asked; the others go on.
		var tables []string
		for _, t := range opts.Tables {
			n, err := parseName(t)
			if err != nil {
				return nil, err
			}
			if err := r.partmanGate(ctx, n); err != nil {
				errs = append(errs, err)
				continue
			}
			tables = append(tables, t)
		}
		if len(tables) > 0 {
			if parts, err = eligible(ctx, db, policy, tables, opts.Now()); err != nil {
				return nil, err
			}
		}
	}
	if !opts.DryRun && len(parts) > 0 {
		r.sweep(ctx)
	}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		res, err := r.one(ctx, p)
		if err != nil {
			res.Error = err.Error()
			errs = append(errs, err)
			// The store is shared by every partition: when it fails (permanently, or
			// transiently after every attempt) the others would fail the same way.
			if errors.Is(err, errCrash) || errors.Is(err, ErrStore) {
				rep.Partitions = append(rep.Partitions, res)
				return rep, errors.Join(errs...)
			}
		}
		rep.Partitions = append(rep.Partitions, res)
	}
	return rep, errors.Join(errs...)
}

type runner struct {
	db     TxDB
	store  *blob.Bucket
	policy *governance.Policy
	bk     Bookkeeping // the catalog of policy
	// defaultHolds is true when opts.Holds is the default (package retention's holds).
	defaultHolds bool
	opts         Options
	// gated caches the pg_partman check of each parent (nil: may be archived); partman
	// holds the configuration of the parents pg_partman manages.
	gated    map[string]error
	partman  map[string]*PartmanConfig
	warnings []string
}

// withConn runs fn on one connection: the advisory lock is session-scoped, so the same
// connection must take it, do the work and release it.
func (r *runner) withConn(ctx context.Context, fn func(DB) error) error {
	return onOneConn[DB](ctx, r.db, fn)
}

// onOneConn runs fn on one connection of db: a pool lends one for the call; any other
// DB (a connection, a transaction) already is one.
func onOneConn[D DB](ctx context.Context, db D, fn func(D) error) error {
	if p, ok := any(db).(*pgxpool.Pool); ok {
		c, err := p.Acquire(ctx)
		if err != nil {
			return err
		}
		defer c.Release()
		conn, ok := any(c).(D)
		if !ok {
			return fmt.Errorf("archive: a pooled connection does not implement %T", db)
		}
		return fn(conn)
	}
	return fn(db)
}

// advance records that m reached state through step together with the step's event
// (one statement: the catalog never says a step is done without its audit record), then
// reports the event to the logger and Progress.
func (r *runner) advance(ctx context.Context, db DB, m *Manifest, state string, e Event) error {
	e.At = r.opts.Now()
	if err := r.bk.recordState(ctx, db, m, state, e.At, &eventRow{Step: e.Step, Detail: e.Detail, Actor: r.opts.Actor, At: e.At}); err != nil {
		return err
	}
	r.report(ctx, e)
	return nil
}

func (r *runner) report(ctx context.Context, e Event) {
	r.opts.Logger.InfoContext(ctx, "archive", "partition", e.Partition, "id", e.ID, "step", string(e.Step), "rows", e.Rows, "detail", e.Detail)
	if r.opts.Progress != nil {
		r.opts.Progress(e)
	}
}

// event reports e and, when record is set, appends it to the event log. It is for
// events that change no catalog state (skips, retries); state changes go through
// advance.
func (r *runner) event(ctx context.Context, db DB, e Event, record bool) {
	e.At = r.opts.Now()
	r.opts.Logger.InfoContext(ctx, "archive", "partition", e.Partition, "id", e.ID, "step", string(e.Step), "rows", e.Rows, "detail", e.Detail)
	if r.opts.Progress != nil {
		r.opts.Progress(e)
	}
	if record && !r.opts.DryRun {
		// The event log is the audit record of destructive steps; a failure to write it is
		// logged, and the step itself is already recorded in the catalog state.
		if _, err := db.Exec(ctx, `INSERT INTO `+r.bk.table("events")+` (archive_id, partition, step, detail, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
			e.ID, e.Partition, string(e.Step), e.Detail, r.opts.Actor, e.At); err != nil {
			r.opts.Logger.ErrorContext(ctx, "archive: write event", "id", e.ID, "err", err)
		}
	}
}

func (r *runner) one(ctx context.Context, p Partition) (res PartitionResult, err error) {
	name, err := parseName(p.Name)
	if err != nil {
		return PartitionResult{Partition: p.Name}, err
	}
	res = PartitionResult{Partition: name.String()}
	err = r.withConn(ctx, func(conn DB) error {
		if !r.opts.DryRun {
			var got bool
			if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('`+lockSpace+`'), hashtext($1))`, name.String()).Scan(&got); err != nil {
				return err
			}
			if !got {
				res.Skipped = "locked by another worker"
				r.event(ctx, conn, Event{Partition: name.String(), Step: StepSkip, Detail: res.Skipped}, false)
				return nil
			}
			defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('`+lockSpace+`'), hashtext($1))`, name.String())
		}
		return r.lifecycle(ctx, conn, name, &res)
	})
	return res, err
}

// lifecycle finds or creates the catalog entry of a partition and advances it to its
// final state, one recorded step at a time.
func (r *runner) lifecycle(ctx context.Context, db DB, name governance.QualifiedName, res *PartitionResult) error {
	oid, err := relOID(ctx, db, name)
	if err != nil {
		return err
	}
	if oid != 0 {
		if parent, _, attached, err := parentOf(ctx, db, oid); err != nil {
			return err
		} else if attached {
			if err := r.partmanGate(ctx, parent); err != nil {
				return err
			}
		}
	}
	var e Entry
	found := false
	if oid != 0 {
		e, err = r.bk.Get(ctx, db, archiveID(name, oid))
		if err == nil {
			found = true
		} else if !errors.Is(err, ErrNotFound) && !r.opts.DryRun {
			return err
		}
	} else {
		// The relation is gone: either a previous run dropped it (its entry may still be
		// at "detached" if the run crashed right after the drop) or someone else did.
		entries, err := query(ctx, db, `SELECT `+entryCols+` FROM `+r.bk.table("archives")+` WHERE partition = $1 ORDER BY archived_at DESC LIMIT 1`, name.String())
		if err != nil && !r.opts.DryRun {
			return err
		}
		if len(entries) == 0 {
			res.Skipped = "partition does not exist"
			r.event(ctx, db, Event{Partition: name.String(), Step: StepSkip, Detail: res.Skipped}, false)
			return nil
		}
		e, found = entries[0], true
	}
	if found && e.Complete() {
		res.ID, res.State, res.Rows, res.Skipped = e.ID, e.State, e.Rows, "already archived"
		r.event(ctx, db, Event{Partition: name.String(), ID: e.ID, Step: StepSkip, Detail: res.Skipped}, false)
		return nil
	}
	if r.opts.DryRun {
		var n int64
		if oid != 0 {
			if err := db.QueryRow(ctx, `SELECT count(*) FROM `+name.Quoted()).Scan(&n); err != nil {
				return err
			}
		}
		res.Rows, res.Skipped = n, "dry run: would archive"
		if found {
			res.ID, res.State, res.Skipped = e.ID, e.State, "dry run: would resume after "+e.State
		}
		r.event(ctx, db, Event{Partition: name.String(), ID: res.ID, Step: StepSkip, Rows: n, Detail: res.Skipped}, false)
		return nil
	}
	// A role that could export but not detach or drop is refused before the first step.
	if err := r.checkPrivileges(ctx, db, name, oid); err != nil {
		return err
	}
	if found {
		// A resumed run takes its manifest from the catalog: check it against the hash
		// recorded with it before using any of it.
		if _, err := checkCatalogManifest(&e); err != nil {
			return err
		}
	}
	if !found {
		m, err := r.newManifest(ctx, db, name, oid)
		if err != nil {
			return &StepError{Partition: name.String(), Step: StepExport, Err: err}
		}
		if err := r.bk.upsertManifest(ctx, db, m, statePending, r.opts.Now()); err != nil {
			return err
		}
		e = Entry{ID: m.ID, Table: m.Table, Partition: m.Partition, Object: m.Object, State: statePending, Manifest: *m}
	}
	res.ID = e.ID
	m := &e.Manifest
	state := e.State
	exportedNow := false
	retries := 0
	for {
		res.State, res.Rows = state, m.Rows
		var next string
		var step Step
		var err error
		switch state {
		case statePending:
			step, next = StepExport, stateUploaded
			err = r.storeStep(ctx, db, m, step, "upload", func(ctx context.Context) error { return r.export(ctx, db, name, m) })
			exportedNow = err == nil
		case stateUploaded:
			step, next = StepVerify, stateVerified
			err = r.storeStep(ctx, db, m, step, "read", func(ctx context.Context) error { return r.verify(ctx, db, name, m) })
			if errors.Is(err, ErrVerify) && !exportedNow {
				// An object left by an earlier run does not match (truncated, replaced):
				// export again once, rather than failing forever.
				state = statePending
				if err := r.advance(ctx, db, m, state, Event{Partition: m.Partition, ID: m.ID, Step: StepVerify, Detail: "object from an earlier run failed verification; exporting again: " + err.Error()}); err != nil {
					return err
				}
				continue
			}
		case stateVerified:
			step, next = StepRecord, stateRecorded
			m.State = stateRecorded
			err = r.writeManifest(ctx, db, m, step)
		case stateRecorded:
			step, next = StepDetach, stateDetached
			err = r.detach(ctx, db, name, m)
		case stateDetached:
			step = StepDrop
			var held string
			next, held, err = r.drop(ctx, db, name, m)
			if err == nil && held != "" {
				res.Skipped = held
				r.event(ctx, db, Event{Partition: m.Partition, ID: m.ID, Step: StepSkip, Detail: held}, true)
				return nil
			}
		default:
			return nil
		}
		if err != nil && isDeadlock(err) && retries < 3 {
			// Another session's locks crossed ours; every step is idempotent (an interrupted
			// DETACH … CONCURRENTLY is finished with FINALIZE), so try the step again.
			retries++
			r.event(ctx, db, Event{Partition: m.Partition, ID: m.ID, Step: step, Detail: "deadlock, retrying: " + err.Error()}, true)
			continue
		}
		if err != nil {
			if state == statePending && errors.Is(err, ErrStore) {
				// Nothing was committed in the store: leave no pending entry (listed
				// with 0 rows) behind. The re-run starts afresh.
				if _, derr := db.Exec(context.WithoutCancel(ctx), `DELETE FROM `+r.bk.table("archives")+` WHERE id = $1 AND state = $2`, m.ID, statePending); derr != nil {
					r.opts.Logger.ErrorContext(ctx, "archive: remove pending entry", "id", m.ID, "err", derr)
				}
				res.ID, res.State = "", ""
			}
			if errors.Is(err, errReexport) {
				// The rows changed since the export: start again from the export.
				if uerr := r.advance(ctx, db, m, statePending, Event{Partition: m.Partition, ID: m.ID, Step: step, Detail: err.Error()}); uerr != nil {
					return uerr
				}
				return &StepError{Partition: m.Partition, ID: m.ID, Step: step, Err: fmt.Errorf("%w: %v", ErrVerify, err)}
			}
			return &StepError{Partition: m.Partition, ID: m.ID, Step: step, Err: err}
		}
		if r.opts.crashAfter == step {
			return &StepError{Partition: m.Partition, ID: m.ID, Step: step, Err: errCrash}
		}
		if next == stateDropped || next == stateKept {
			m.State = next
			// The manifest in the store is rewritten with the final state so that a rebuilt
			// catalog knows the partition left the database.
			if err := r.writeManifest(ctx, db, m, step); err != nil {
				return &StepError{Partition: m.Partition, ID: m.ID, Step: step, Err: err}
			}
		}
		if err := r.advance(ctx, db, m, next, Event{Partition: m.Partition, ID: m.ID, Step: step, Rows: m.Rows, Detail: next}); err != nil {
			return err
		}
		state = next
		res.State, res.Rows = state, m.Rows
	}
}

var errReexport = errors.New("rows changed since the export")

func (r *runner) newManifest(ctx context.Context, db DB, name governance.QualifiedName, oid uint32) (*Manifest, error) {
	// Tenants are counted after the export, so that they describe what was exported.
	pi, err := describePartition(ctx, db, oid, "")
	if err != nil {
		return nil, err
	}
	if pi.bounds == "DEFAULT" {
		// A default partition (pg_partman creates one per parent) has no range that
		// retention could have judged: it is never archived.
		return nil, fmt.Errorf("%s is the default partition of %s: it has no bounded range and is never archived; move its rows into range partitions", pi.name, pi.parent)
	}
	id := archiveID(name, oid)
	from, to := parseBounds(pi.bounds)
	m := &Manifest{
		Format: ManifestFormat, ID: id, Table: pi.parent.String(), Partition: pi.name.String(),
		TableName: qualified(pi.parent), PartitionName: qualified(pi.name),
		Bounds: pi.bounds, From: from, To: to,
		Object: objectKey(r.opts.Prefix, pi.parent.String(), pi.name.String(), id),
		DDL:    pi.ddl(), Indexes: pi.indexes, Constraints: pi.constraints, Tenants: pi.tenants,
		PolicyVersion: r.policy.Version, ArchivedBy: r.opts.Actor, ArchivedAt: r.opts.Now().UTC(),
		State: statePending,
	}
	for _, c := range pi.columns {
		m.Columns = append(m.Columns, ColumnManifest{ColumnDef: c})
	}
	return m, nil
}

func (r *runner) export(ctx context.Context, db DB, name governance.QualifiedName, m *Manifest) error {
	eo := r.opts.Export.internal()
	eo.Metadata = map[string]string{"lsos.archive.id": m.ID, "lsos.archive.partition": m.Partition}
	if r.opts.Progress != nil {
		eo.Progress = func(n int64) {
			if n%(1<<16) < 512 {
				r.opts.Progress(Event{Partition: m.Partition, ID: m.ID, Step: StepExport, Rows: n, Detail: "exporting", At: r.opts.Now()})
			}
		}
	}
	eo.RequestTimeout = r.opts.Store.RequestTimeout
	eo.BeforeWrite = r.opts.Store.BeforeWrite
	tenantCol := r.policy.Tenant.Column
	if tenantCol != "" && slices.ContainsFunc(m.Columns, func(c ColumnManifest) bool { return c.Name == tenantCol }) {
		// The tenant counts come from the rows as they are exported: the same snapshot,
		// and no second scan of the partition.
		eo.CountBy = tenantCol
	}
	// The guard goes on before the export's snapshot: from now on a write to the
	// partition is noted, and the verify and drop steps stop on the note.
	if err := r.guard(ctx, db, name); err != nil {
		return err
	}
	query := `SELECT * FROM ` + name.Quoted()
	res, err := parquetio.Export(ctx, db, query, nil, r.store, m.Object, eo)
	if errors.Is(err, parquetio.ErrNotCountable) {
		// A tenant column of a type whose text form the stream cannot rebuild (the
		// export stopped before reading a row): count with a query after the export.
		eo.CountBy = ""
		res, err = parquetio.Export(ctx, db, query, nil, r.store, m.Object, eo)
	}
	if err != nil {
		return err
	}
	m.Rows, m.Bytes, m.SHA256 = res.Rows, res.Bytes, res.SHA256
	if len(res.Columns) != len(m.Columns) {
		return fmt.Errorf("export has %d columns, the partition %d: was it altered during the export?", len(res.Columns), len(m.Columns))
	}
	for i, c := range res.Columns {
		m.Columns[i].Kind, m.Columns[i].Nulls, m.Columns[i].Min, m.Columns[i].Max = ColumnKind(c.Kind), c.Nulls, c.Min, c.Max
	}
	if eo.CountBy != "" {
		m.Tenants = make([]TenantRows, 0, len(res.Counts))
		for _, c := range res.Counts {
			// A NULL tenant is recorded as "", as the count query records it.
			m.Tenants = append(m.Tenants, TenantRows{Tenant: c.Value, Rows: c.Rows})
		}
		return nil
	}
	// Counted on the table, not as a partition: pg_partman (retention_keep_table) may
	// have detached it meanwhile, which the detach step accepts.
	m.Tenants, err = tenantRows(ctx, db, name, columnDefs(m.Columns), tenantCol)
	return err
}

// verify checks the stored object against what the export wrote (its SHA-256 and
// footer, or every row with Options.VerifyRows) and that the partition was not written
// to since (its write guard, see guard.go), so that rows written after the export stop
// the run before the detach.
func (r *runner) verify(ctx context.Context, db DB, name governance.QualifiedName, m *Manifest) error {
	check := parquetio.VerifyStored
	if r.opts.VerifyRows {
		check = parquetio.VerifyTimeout
	}
	if err := check(ctx, r.store, m.Object, m.SHA256, m.Rows, r.opts.Store.RequestTimeout); err != nil {
		if errors.Is(err, parquetio.ErrVerify) {
			return fmt.Errorf("%w: %v", ErrVerify, err)
		}
		return err
	}
	oid, err := relOID(ctx, db, name)
	if err != nil {
		return err
	}
	if oid == 0 {
		return fmt.Errorf("%s disappeared after its export; was it dropped by hand or by pg_partman retention? Nothing was detached", name)
	}
	_, err = r.unchanged(ctx, db, name, oid, m, "")
	return err
}

// detach detaches the partition, finishing an interrupted DETACH … CONCURRENTLY.
func (r *runner) detach(ctx context.Context, db DB, name governance.QualifiedName, m *Manifest) error {
	oid, err := relOID(ctx, db, name)
	if err != nil {
		return err
	}
	if oid == 0 {
		return fmt.Errorf("%s disappeared before it was detached; was it dropped by hand or by pg_partman retention? The archive %s is complete in the store", name, m.ID)
	}
	parent, pending, attached, err := parentOf(ctx, db, oid)
	if err != nil {
		return err
	}
	if attached {
		unlock, err := ddlLock(ctx, db)
		if err != nil {
			return err
		}
		defer unlock()
		if err := r.partmanGate(ctx, parent); err != nil {
			return err
		}
		unlockPartman, err := r.partmanLock(ctx, db, parent, m)
		if err != nil {
			return err
		}
		defer unlockPartman()
	}
	switch {
	case attached && pending:
		// A DETACH … CONCURRENTLY was interrupted: only FINALIZE completes it.
		if _, err := db.Exec(ctx, `ALTER TABLE `+parent.Quoted()+` DETACH PARTITION `+name.Quoted()+` FINALIZE`); err != nil {
			return fmt.Errorf("finish detach: %w", err)
		}
	case attached:
		var hasDefault bool
		if err := db.QueryRow(ctx, `SELECT partdefid <> 0 FROM pg_partitioned_table WHERE partrelid = to_regclass($1)`, parent.Quoted()).Scan(&hasDefault); err != nil {
			return err
		}
		stmt := `ALTER TABLE ` + parent.Quoted() + ` DETACH PARTITION ` + name.Quoted()
		if !hasDefault {
			// CONCURRENTLY takes only SHARE UPDATE EXCLUSIVE on the parent; PostgreSQL
			// refuses it when the parent has a default partition.
			stmt += ` CONCURRENTLY`
		}
		if _, err := db.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("detach: %w", err)
		}
	}
	// Writes between the verification and the detach are caught by the drop step, which
	// reads the write guard under the DROP's own lock, with nothing lost.
	return nil
}

// drop removes (or moves) the detached table, unless a legal hold covers it; held is then
// the reason and the partition stays detached for a later run.
func (r *runner) drop(ctx context.Context, db DB, name governance.QualifiedName, m *Manifest) (next, held string, err error) {
	kept := governance.QualifiedName{Schema: r.opts.DetachedSchema, Name: name.Name}
	oid, err := relOID(ctx, db, name)
	if err != nil {
		return "", "", err
	}
	if oid == 0 {
		// Dropped or moved by the crashed run whose completion was not recorded.
		if koid, err := relOID(ctx, db, kept); err == nil && koid != 0 {
			m.Detached, m.DetachedName = kept.String(), qualified(kept)
			return stateKept, "", nil
		}
		return stateDropped, "", nil
	}
	tenants := m.tenantIDs()
	// The detached table has no ancestors any more: ask about the parent it left too,
	// whose holds cover its partitions.
	parent, err := exactName(m.TableName, m.Table)
	if err != nil {
		return "", "", fmt.Errorf("check legal holds: %w", err)
	}
	var holds []string
	for _, n := range []governance.QualifiedName{name, parent} {
		ids, err := r.opts.Holds(ctx, db, n.Quoted(), tenants, r.opts.Now())
		if err != nil {
			return "", "", fmt.Errorf("check legal holds of %s: %w", n, err)
		}
		for _, id := range ids {
			if !slices.Contains(holds, id) {
				holds = append(holds, id)
			}
		}
	}
	if len(holds) > 0 {
		return "", fmt.Sprintf("legal hold %v blocks the drop; the partition stays detached as %s until it is released", holds, name), nil
	}
	unlock, err := ddlLock(ctx, db)
	if err != nil {
		return "", "", err
	}
	defer unlock()
	// One transaction: the table is locked, found detached and unchanged since the
	// export, and dropped (or moved) with no moment in between for a write to land in it.
	err = inTransaction(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE `+name.Quoted()+` IN ACCESS EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, _, attached, err := parentOf(ctx, tx, oid); err != nil {
			return err
		} else if attached {
			return fmt.Errorf("%s is attached again; refusing to drop it", name)
		}
		guarded, err := r.unchanged(ctx, tx, name, oid, m, "detached ")
		if err != nil {
			return err
		}
		if r.opts.KeepDetached {
			// The kept copy leaves the live schema, so it must not pin live rows: its
			// foreign keys (inherited from the parent, kept by DETACH) would make a
			// tenant's hard delete fail half-way. The archive object is the record; the
			// copy needs no referential integrity, and no write guard.
			if err := dropForeignKeys(ctx, tx, name); err != nil {
				return fmt.Errorf("drop the foreign keys of the kept copy %s: %w", name, err)
			}
			if err := r.unguard(ctx, tx, name, oid, guarded); err != nil {
				return fmt.Errorf("remove the write guard of the kept copy %s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+sqlident.Quote(r.opts.DetachedSchema)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `ALTER TABLE `+name.Quoted()+` SET SCHEMA `+sqlident.Quote(r.opts.DetachedSchema)); err != nil {
				return fmt.Errorf("move to %s: %w", r.opts.DetachedSchema, err)
			}
			next = stateKept
			return nil
		}
		if err := r.forgetWrites(ctx, tx, oid, guarded); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DROP TABLE `+name.Quoted()); err != nil {
			return fmt.Errorf("drop (another object depends on it?): %w", err)
		}
		next = stateDropped
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if next == stateKept {
		m.Detached, m.DetachedName = kept.String(), qualified(kept)
	}
	return next, "", nil
}

// dropForeignKeys drops every foreign key constraint of table.
func dropForeignKeys(ctx context.Context, db DB, table governance.QualifiedName) error {
	rows, err := db.Query(ctx, `SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname`, table.Quoted())
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := db.Exec(ctx, `ALTER TABLE `+table.Quoted()+` DROP CONSTRAINT IF EXISTS `+sqlident.Quote(n)); err != nil {
			return err
		}
	}
	return nil
}

func parseName(s string) (governance.QualifiedName, error) {
	n, err := sqlident.Parse(s, "public")
	if err != nil {
		return n, fmt.Errorf("archive: table name: %w", err)
	}
	return n, nil
}

// ddlLock serialises the detach and drop steps of all workers in the database.
// PostgreSQL allows one pending DETACH … CONCURRENTLY per parent, and a detach waits for
// every older snapshot while holding locks on the tables its foreign keys reference — the
// same tables a DROP of another partition locks — so two workers doing either at once can
// deadlock. The lock is polled with pg_try_advisory_lock rather than awaited in
// pg_advisory_lock: a session blocked inside a statement holds a snapshot the detach would
// wait for.
func ddlLock(ctx context.Context, db DB) (unlock func(), err error) {
	for {
		var got bool
		if err := db.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('`+lockSpace+`.ddl'), 0)`).Scan(&got); err != nil {
			return nil, err
		}
		if got {
			return func() {
				_, _ = db.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('`+lockSpace+`.ddl'), 0)`)
			}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func isDeadlock(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
