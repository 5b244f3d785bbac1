package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// Stage is a tenant's offboarding stage (policy §8):
// active → soft-deleted (export window open) → hard-delete eligible → hard-deleting → purged.
type Stage string

// Offboarding stages. The database stores soft-deleted, hard-deleting and purged;
// export-window and hard-delete-eligible are soft-deleted before and after the window ends.
const (
	StageActive             Stage = "active"
	StageExportWindow       Stage = "export-window"
	StageHardDeleteEligible Stage = "hard-delete-eligible"
	StageHardDeleting       Stage = "hard-deleting"
	StagePurged             Stage = "purged"
)

// Errors of the offboarding state machine.
var (
	ErrUnknownTenant = errors.New("retention: no such tenant")
	ErrWrongStage    = errors.New("retention: the tenant is not at the stage this step needs")
	ErrExportWindow  = errors.New("retention: the export window is still open")
	ErrNotExported   = errors.New("retention: the tenant's data has not been exported")
	ErrFloor         = errors.New("retention: retention floor not reached")
	ErrInterrupted   = errors.New("retention: stopped between batches")
)

// FloorError says which tables still hold tenant rows younger than their legal floor.
type FloorError struct {
	Tenant string
	Tables []FloorBlock
}

// FloorBlock is one table whose rows must stay until Until.
type FloorBlock struct {
	Table  string
	Floor  governance.Keep
	Rows   int64     // rows younger than the floor
	Newest time.Time // newest such row
	Until  time.Time // earliest instant the floor allows the hard delete
}

func (e *FloorError) Error() string {
	parts := make([]string, len(e.Tables))
	for i, b := range e.Tables {
		parts[i] = fmt.Sprintf("%s has %d rows younger than its %s floor (hard delete allowed from %s)", b.Table, b.Rows, b.Floor, b.Until.Format(time.RFC3339))
	}
	return fmt.Sprintf("retention: hard delete of tenant %s refused: %s; retry after that date", e.Tenant, strings.Join(parts, "; "))
}

// Unwrap makes errors.Is(err, ErrFloor) true.
func (e *FloorError) Unwrap() error { return ErrFloor }

// OffboardConfig configures an [Offboarder]. Actor is required.
type OffboardConfig struct {
	// Actor names who runs the offboarding; it goes into every state change and audit record.
	Actor string
	// Now is the clock (default time.Now); it decides the export window and floors.
	Now func() time.Time
	// Logger receives progress (nil: discard).
	Logger *slog.Logger
	// BatchSize bounds the rows one DELETE removes (default policy offboarding.batch_size).
	BatchSize int
	// LockTimeout bounds each batch's wait for locks (default policy migrations.lock_timeout).
	LockTimeout time.Duration
	// FloorCategories are the retention categories whose floor is a legal requirement
	// that outlives the tenant (default: audit and delivery). Hard delete waits until
	// the tenant's rows in those tables are older than the floor. Snapshots and
	// summaries are the tenant's own operational data: their floors protect the tenant's
	// service and end with the contract.
	FloorCategories []governance.Category
	// AfterBatch, when set, runs after each committed batch; an error stops the run
	// there (ErrInterrupted wraps it). Tests inject crashes with it; tools report progress.
	AfterBatch func(table string, batch int, rows int64) error
}

// Offboarder runs the staged offboarding of policy §8 against one database.
type Offboarder struct {
	db  TxDB
	p   *governance.Policy
	cfg OffboardConfig
	log *slog.Logger
}

// NewOffboarder validates cfg and returns an Offboarder. Call For(p).Install
// ([Bookkeeping.Install]) first: the offboarding state and audit records live in p's
// SDK schema "retention" (lsos_retention with the default sdk.prefix).
func NewOffboarder(db TxDB, p *governance.Policy, cfg OffboardConfig) (*Offboarder, error) {
	if p == nil {
		return nil, fmt.Errorf("retention: offboarder: nil policy")
	}
	if strings.TrimSpace(cfg.Actor) == "" {
		return nil, fmt.Errorf("retention: offboarder: Actor is required (who runs the offboarding goes into the audit record)")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = p.Offboarding.BatchSize
	}
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("retention: offboarder: batch size must be above zero; got %d", cfg.BatchSize)
	}
	if cfg.LockTimeout == 0 {
		cfg.LockTimeout = p.Migrations.LockTimeout.Std()
	}
	if cfg.FloorCategories == nil {
		cfg.FloorCategories = []governance.Category{governance.CategoryAudit, governance.CategoryDelivery}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Offboarder{db: db, p: p, cfg: cfg, log: log}, nil
}

// bk is the bookkeeping of the offboarder's policy.
func (o *Offboarder) bk() Bookkeeping { return For(o.p) }

// Status is a tenant's offboarding state.
type Status struct {
	TenantID        string     `json:"tenant_id"`
	Stage           Stage      `json:"stage"`
	SoftDeletedAt   *time.Time `json:"soft_deleted_at,omitempty"`
	SoftDeletedBy   string     `json:"soft_deleted_by,omitempty"`
	ExportWindowEnd *time.Time `json:"export_window_end,omitempty"`
	ExportedAt      *time.Time `json:"exported_at,omitempty"`
	ExportLocation  string     `json:"export_location,omitempty"`
	PurgedAt        *time.Time `json:"purged_at,omitempty"`
}

// Status reads the tenant's stage at the configured now.
func (o *Offboarder) Status(ctx context.Context, tenant string) (Status, error) {
	return o.status(ctx, o.db, tenant)
}

func (o *Offboarder) status(ctx context.Context, db DB, tenant string) (Status, error) {
	if err := o.bk().requireInstalled(ctx, db); err != nil {
		return Status{}, err
	}
	s := Status{TenantID: tenant, Stage: StageActive}
	var state string
	var exportLoc *string
	err := db.QueryRow(ctx, `SELECT state, soft_deleted_at, soft_deleted_by, export_window_end, exported_at, export_location, purged_at
		FROM `+o.bk().table("offboarding")+` WHERE tenant_id = $1`, tenant).
		Scan(&state, &s.SoftDeletedAt, &s.SoftDeletedBy, &s.ExportWindowEnd, &s.ExportedAt, &exportLoc, &s.PurgedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("retention: status of tenant %s: %w", tenant, err)
	}
	if exportLoc != nil {
		s.ExportLocation = *exportLoc
	}
	switch state {
	case "soft-deleted":
		s.Stage = StageExportWindow
		if !o.cfg.Now().Before(*s.ExportWindowEnd) {
			s.Stage = StageHardDeleteEligible
		}
	case "hard-deleting":
		s.Stage = StageHardDeleting
	case "purged":
		s.Stage = StagePurged
	}
	return s, nil
}

// SoftDelete marks the tenant deleted (tenants.status = 'deleted' and tenants.deleted_at
// when those columns exist) and opens the export window. Calling it again is a no-op.
func (o *Offboarder) SoftDelete(ctx context.Context, tenant string) (Status, error) {
	cat, err := Catalog(ctx, o.db, o.p)
	if err != nil {
		return Status{}, err
	}
	if cat.TenantTable == nil || cat.TenantKey == "" {
		return Status{}, fmt.Errorf("retention: soft delete: no tenants table %q with a single-column primary key; set tenant.table in the policy", o.p.Tenant.Table)
	}
	now := o.cfg.Now()
	tx, err := o.db.Begin(ctx)
	if err != nil {
		return Status{}, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	st, err := o.status(ctx, tx, tenant)
	if err != nil {
		return st, err
	}
	if st.Stage != StageActive {
		return st, nil
	}
	root := cat.TenantTable
	set := []string{}
	if root.HasColumn("status") {
		set = append(set, "status = 'deleted'")
	}
	if root.HasColumn("deleted_at") {
		set = append(set, "deleted_at = coalesce(deleted_at, $2)")
	}
	q := "SELECT 1 FROM " + root.Name.Quoted() + " WHERE " + sqlident.Quote(cat.TenantKey) + " = $1::" + cat.TenantType + " AND $2::timestamptz IS NOT NULL FOR UPDATE"
	if len(set) > 0 {
		q = "UPDATE " + root.Name.Quoted() + " SET " + strings.Join(set, ", ") + " WHERE " + sqlident.Quote(cat.TenantKey) + " = $1::" + cat.TenantType + " AND $2::timestamptz IS NOT NULL RETURNING 1"
	}
	var one int
	if err := tx.QueryRow(ctx, q, tenant, now).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("%w: %s (check the id in %s)", ErrUnknownTenant, tenant, root.Key())
	} else if err != nil {
		return st, fmt.Errorf("retention: soft delete tenant %s: %w", tenant, err)
	}
	end := now.Add(o.p.Offboarding.ExportWindow.Std())
	if _, err := tx.Exec(ctx, `INSERT INTO `+o.bk().table("offboarding")+` (tenant_id, state, soft_deleted_at, soft_deleted_by, export_window_end, updated_at)
		VALUES ($1, 'soft-deleted', $2, $3, $4, $2)`, tenant, now, o.cfg.Actor, end); err != nil {
		return st, fmt.Errorf("retention: soft delete tenant %s: %w", tenant, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return st, err
	}
	o.log.Info("tenant soft-deleted", "tenant", tenant, "export_window_end", end, "actor", o.cfg.Actor)
	return o.Status(ctx, tenant)
}

// ExportResult lists the objects an export wrote.
type ExportResult struct {
	TenantID  string     `json:"tenant_id"`
	Manifests []Manifest `json:"manifests"`
}

// Export writes every row of the tenant, table by table (partitioned tables through
// their parent), to bucket as Parquet under prefix/tenant=<id>/<schema.table>.parquet,
// each with a manifest (rows, bytes, sha256), then records the export. The tenant must
// be soft-deleted and not yet purged. Running it again rewrites the same objects.
func (o *Offboarder) Export(ctx context.Context, tenant string, bucket *blob.Bucket, prefix string) (*ExportResult, error) {
	st, err := o.Status(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if st.Stage != StageExportWindow && st.Stage != StageHardDeleteEligible {
		return nil, fmt.Errorf("%w: export needs a soft-deleted tenant; tenant %s is %s", ErrWrongStage, tenant, st.Stage)
	}
	cat, err := Catalog(ctx, o.db, o.p)
	if err != nil {
		return nil, err
	}
	order, err := DeleteOrder(cat)
	if err != nil {
		return nil, err
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	res := &ExportResult{TenantID: tenant}
	for i := len(order) - 1; i >= 0; i-- { // parents first reads naturally
		t := order[i]
		col := t.TenantColumn
		if t.Root {
			col = cat.TenantKey
		}
		key := fmt.Sprintf("%stenant=%s/%s.parquet", prefix, tenant, t.Key())
		m, err := o.exportTable(ctx, bucket, key, t, col, tenant, cat.TenantType)
		if err != nil {
			return nil, err
		}
		res.Manifests = append(res.Manifests, m)
	}
	if _, err := o.db.Exec(ctx, `UPDATE `+o.bk().table("offboarding")+` SET exported_at = $2, export_location = $3, updated_at = $2 WHERE tenant_id = $1`,
		tenant, o.cfg.Now(), prefix+"tenant="+tenant+"/"); err != nil {
		return nil, fmt.Errorf("retention: record export of tenant %s: %w", tenant, err)
	}
	o.log.Info("tenant exported", "tenant", tenant, "tables", len(res.Manifests))
	return res, nil
}

func (o *Offboarder) exportTable(ctx context.Context, b *blob.Bucket, key string, t *Table, col, tenant, typ string) (Manifest, error) {
	q := "SELECT x.* FROM " + t.Name.Quoted() + " x WHERE x." + sqlident.Quote(col) + " = $1::" + typ
	if len(t.PrimaryKey) > 0 { // a stable order makes the checksum repeatable
		q += " ORDER BY " + prefixCols("x.", t.PrimaryKey)
	}
	return exportObject(ctx, o.db, b, key, q, []any{tenant}, Manifest{Table: t.Key(), TenantID: tenant,
		Reason: "offboarding", PolicyVersion: o.p.Version, WrittenAt: o.cfg.Now()})
}

func prefixCols(p string, cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = p + sqlident.Quote(c)
	}
	return strings.Join(q, ", ")
}
