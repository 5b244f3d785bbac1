package retention

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/softdelete"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// EligibilityReport says which data may leave hot storage now.
type EligibilityReport struct {
	*CutoffReport
	Tables []TableEligibility
}

// TableEligibility is the verdict for one table: eligible and blocked partitions for a
// partitioned table, an eligible row range for an unpartitioned one.
type TableEligibility struct {
	TableCutoff
	Eligible []PartitionRange
	Blocked  []Blocked
	// Rows is the eligible row range of an unpartitioned table (nil for partitioned tables
	// and tables without a time column; Note says why).
	Rows *RowRange
	Note string
}

// PartitionRange is an eligible partition with its bounds and row counts.
type PartitionRange struct {
	Partition string // schema.partition, unquoted (for reports)
	// Name is the partition's exact name; use it (or Name.Quoted()) to act on the
	// partition, never a re-parse of Partition.
	Name     governance.QualifiedName `json:"-"`
	From, To time.Time                // the range [From, To); From is zero for MINVALUE
	Rows     int64                    // rows counted when the tenants were read; RowsNotCounted with EligibilityOptions.TenantsOnly
	Tenants  []string                 // tenants with rows in the partition
}

// Blocked is a partition (or a tenant's rows of an unpartitioned table) that may not
// leave yet, and why. HoldIDs lists the legal holds that block it, if any.
type Blocked struct {
	Partition string  `json:"partition,omitempty"`
	Tenant    string  `json:"tenant,omitempty"`
	Reason    string  `json:"reason"`
	HoldIDs   []int64 `json:"hold_ids,omitempty"`
}

// RowRange is the part of an unpartitioned table older than each tenant's cutoff.
type RowRange struct {
	Column string     `json:"column"`
	Rows   int64      `json:"rows"`
	Oldest *time.Time `json:"oldest,omitempty"`
	Newest *time.Time `json:"newest,omitempty"`
}

// Eligibility evaluates every table of cat with a finite or forever cutoff at now: a
// partition is eligible only when its whole range ends at or before the cutoff of every
// tenant whose data it holds (each tenant's plan may keep longer) and no legal hold
// covers it. Tenants' plans come from the tenants table's plan column.
func Eligibility(ctx context.Context, db DB, p *governance.Policy, cat *TableCatalog, now time.Time) (*EligibilityReport, error) {
	return EligibilityWith(ctx, db, p, cat, now, EligibilityOptions{})
}

// EligibilityWith is [Eligibility] tuned by opts.
func EligibilityWith(ctx context.Context, db DB, p *governance.Policy, cat *TableCatalog, now time.Time, opts EligibilityOptions) (*EligibilityReport, error) {
	cr := Cutoffs(p, cat, now)
	plans, soft, err := livePlans(ctx, db, p, cat)
	if err != nil {
		return nil, err
	}
	rep := &EligibilityReport{CutoffReport: cr}
	for _, tc := range cr.Tables {
		t, ok := cutoffTable(cat, tc)
		if !ok {
			return nil, fmt.Errorf("retention: eligibility: table %s of the cutoff report is not in the catalog; build both from the same retention.Catalog", tc.Table)
		}
		te := TableEligibility{TableCutoff: tc}
		var err error
		if t.Partitioned {
			err = partitionEligibility(ctx, db, p, cat, t, plans, soft, now, opts, &te)
		} else {
			err = rowEligibility(ctx, db, p, cat, t, plans, now, &te)
		}
		if err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, te)
	}
	return rep, nil
}

// cutoffTable finds the catalog table of a cutoff by its exact name (by its exact
// "schema.table" text for a cutoff built by hand without Name).
func cutoffTable(cat *TableCatalog, tc TableCutoff) (*Table, bool) {
	if tc.Name.Name != "" {
		return cat.FindName(tc.Name)
	}
	for i := range cat.Tables {
		if t := &cat.Tables[i]; t.Key() == tc.Table {
			return t, true
		}
	}
	return nil, false
}

// SoftDeletedTenants returns the ids (text form) of the tenants that are soft-deleted
// now: tenants.deleted_at set, or, for a tenants table without deleted_at, a record in
// lsos_retention.offboarding (see "Soft-deleted tenants" in the package documentation).
func SoftDeletedTenants(ctx context.Context, db DB, p *governance.Policy) (map[string]bool, error) {
	m, err := softdelete.Discover(ctx, db, p)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	return m.IDs(ctx, db)
}

// livePlans is [TenantPlans] with soft-deleted tenants moved to the default plan: the
// longer keep a plan bought was a service promise that ended with the contract, so a
// soft-deleted tenant neither holds data back beyond the category's keep nor, since the
// default keep is never below the floor, lets it go earlier than the floor. Legal holds
// still cover its data; they are checked on every tenant present.
func livePlans(ctx context.Context, db DB, p *governance.Policy, cat *TableCatalog) (map[string]string, map[string]bool, error) {
	plans, err := TenantPlans(ctx, db, cat)
	if err != nil {
		return nil, nil, err
	}
	soft, err := SoftDeletedTenants(ctx, db, p)
	if err != nil {
		return nil, nil, err
	}
	for id := range soft {
		if _, ok := plans[id]; ok {
			plans[id] = ""
		}
	}
	return plans, soft, nil
}

// TenantPlans maps tenant id (as text) to plan, from the tenants table's plan column
// (empty plan when the table or column is missing).
func TenantPlans(ctx context.Context, db DB, cat *TableCatalog) (map[string]string, error) {
	out := map[string]string{}
	if cat.TenantTable == nil || cat.TenantKey == "" {
		return out, nil
	}
	plan := "''"
	if cat.TenantTable.HasColumn("plan") {
		plan = "coalesce(plan::text, '')"
	}
	rows, err := db.Query(ctx, "SELECT "+sqlident.Quote(cat.TenantKey)+"::text, "+plan+" FROM "+cat.TenantTable.Name.Quoted())
	if err != nil {
		return nil, fmt.Errorf("retention: read tenant plans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, pl string
		if err := rows.Scan(&id, &pl); err != nil {
			return nil, fmt.Errorf("retention: read tenant plans: %w", err)
		}
		out[id] = pl
	}
	return out, rows.Err()
}

func partitionEligibility(ctx context.Context, db DB, p *governance.Policy, cat *TableCatalog, t *Table,
	plans map[string]string, soft map[string]bool, now time.Time, opts EligibilityOptions, te *TableEligibility) error {
	loc := p.Location()
	for _, part := range t.Partitions {
		name := part.Name.String()
		block := func(reason string, holds []Hold) {
			te.Blocked = append(te.Blocked, Blocked{Partition: name, Reason: reason, HoldIDs: HoldIDs(holds)})
		}
		switch {
		case part.Default:
			block("default partition: it has no bounded range; move its rows into range partitions", nil)
			continue
		case part.PartitionKey == "":
			block("not a single-column range partition; archive it by hand", nil)
			continue
		case part.To == "":
			block("the range has no upper bound (MAXVALUE)", nil)
			continue
		}
		to, err := parseBoundTime(part.To, t.TimeType, loc)
		if err != nil {
			block(fmt.Sprintf("cannot read the upper bound %q as a time: %v", part.To, err), nil)
			continue
		}
		var from time.Time
		if part.From != "" {
			from, _ = parseBoundTime(part.From, t.TimeType, loc)
		}
		if !hasPlanCutoffs(te.TableCutoff) {
			// The cutoff does not depend on who holds data here: a range it blocks is
			// blocked whatever the tenants, so their rows are not counted.
			if reason := rangeBlocked(te.TableCutoff, to, nil, plans, soft, loc); reason != "" {
				block(reason, nil)
				continue
			}
		}
		var tenants []string
		var total int64
		indexed := false
		if opts.TenantsOnly && t.TenantColumn != "" {
			var ids []string
			if ids, indexed, err = tenantsByIndex(ctx, db, part.Name, t.TenantColumn); err != nil {
				return err
			}
			if indexed {
				tenants, total = sortedIDs(ids), RowsNotCounted
			}
		}
		if !indexed {
			counts, err := tenantCounts(ctx, db, part.Name, t.TenantColumn)
			if err != nil {
				return err
			}
			tenants = sortedTenants(counts)
			for _, n := range counts {
				total += n
			}
		}
		if reason := rangeBlocked(te.TableCutoff, to, tenants, plans, soft, loc); reason != "" {
			block(reason, nil)
			continue
		}
		holds, err := For(p).HoldsBlockingName(ctx, db, part.Name, tenants, now)
		if err != nil {
			return err
		}
		if len(holds) > 0 {
			block(holdReason(holds), holds)
			continue
		}
		te.Eligible = append(te.Eligible, PartitionRange{Partition: name, Name: part.Name, From: from, To: to, Rows: total, Tenants: tenants})
	}
	return nil
}

// rangeBlocked returns why a range ending at to may not leave yet, or "".
func rangeBlocked(tc TableCutoff, to time.Time, tenants []string, plans map[string]string, soft map[string]bool, loc *time.Location) string {
	if len(tenants) == 0 || !hasPlanCutoffs(tc) {
		if tc.Forever {
			return fmt.Sprintf("%s data is kept forever", tc.Category)
		}
		if to.After(tc.Cutoff) {
			return fmt.Sprintf("range ends %s, after the cutoff %s (keep %s)", fmtTime(to, loc), fmtTime(tc.Cutoff, loc), tc.Keep)
		}
		return ""
	}
	var late []string
	for _, id := range tenants {
		c, keep, finite := tc.CutoffFor(plans[id])
		label := "plan " + planName(plans[id])
		if soft[id] {
			label = "soft-deleted: default keep"
		}
		switch {
		case !finite:
			late = append(late, fmt.Sprintf("tenant %s (%s) keeps forever", id, label))
		case to.After(c):
			late = append(late, fmt.Sprintf("tenant %s (%s) keeps %s, cutoff %s", id, label, keep, fmtTime(c, loc)))
		}
	}
	if len(late) == 0 {
		return ""
	}
	return fmt.Sprintf("range ends %s, after the cutoff of %s", fmtTime(to, loc), strings.Join(late, "; "))
}

func hasPlanCutoffs(tc TableCutoff) bool { return len(tc.Plans) > 0 }

func planName(p string) string {
	if p == "" {
		return "default"
	}
	return p
}

func holdReason(holds []Hold) string {
	parts := make([]string, len(holds))
	for i, h := range holds {
		parts[i] = fmt.Sprintf("legal hold %d (%s): %s", h.ID, h.Scope(), h.Reason)
	}
	return strings.Join(parts, "; ")
}

func fmtTime(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

// tenantCounts counts a relation's rows per tenant ("" key when it has no tenant column).
func tenantCounts(ctx context.Context, db DB, rel governance.QualifiedName, tenantCol string) (map[string]int64, error) {
	q := "SELECT '', count(*) FROM " + rel.Quoted() + " HAVING count(*) > 0"
	if tenantCol != "" {
		// Grouped on the column's own type, cast to text once per tenant: a text cast
		// per row and a hash of text keys nearly double the cost of the scan.
		q = "SELECT t::text, n FROM (SELECT " + sqlident.Quote(tenantCol) + " AS t, count(*) AS n FROM " + rel.Quoted() + " GROUP BY 1) AS c"
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("retention: count rows of %s: %w", rel, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("retention: count rows of %s: %w", rel, err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

func sortedTenants(counts map[string]int64) []string {
	out := make([]string, 0, len(counts))
	for id := range counts {
		out = append(out, id)
	}
	return sortedIDs(out)
}

// sortedIDs drops empty ids and sorts the others, numeric ids numerically.
func sortedIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) { // numeric ids sort numerically
			return len(out[i]) < len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// parseBoundTime reads a partition bound literal of a date or timestamp key.
func parseBoundTime(s, typ string, loc *time.Location) (time.Time, error) {
	layouts := []string{"2006-01-02"}
	switch {
	case strings.HasPrefix(typ, "timestamp") && strings.Contains(typ, "with time zone"):
		layouts = []string{"2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999-07:00:00"}
	case strings.HasPrefix(typ, "timestamp"):
		layouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02"}
	case typ != "date":
		return time.Time{}, fmt.Errorf("the partition key has type %s, not a date or timestamp", typ)
	}
	var err error
	for _, l := range layouts {
		var t time.Time
		if t, err = time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// formatCutoff renders a cutoff as a literal of the time column's type in loc, so that
// "col < literal::type" means "entirely before the cutoff": a date row D qualifies when
// D < the cutoff's date, i.e. the whole day ends at or before the cutoff.
func formatCutoff(c time.Time, typ string, loc *time.Location) string {
	c = c.In(loc)
	switch {
	case typ == "date":
		return c.Format("2006-01-02")
	case strings.HasPrefix(typ, "timestamp") && !strings.Contains(typ, "with time zone"):
		return c.Format("2006-01-02 15:04:05.999999")
	}
	return c.Format(time.RFC3339Nano)
}

// tenantCutoffs pairs each tenant with the literal cutoff of its plan; tenants whose
// plan keeps forever are left out. A table without a tenant column gets one pair with an
// empty id.
type tenantCutoffs struct {
	ids, cuts []string
}

func cutoffsFor(tc TableCutoff, t *Table, plans map[string]string, tenants []string, loc *time.Location) tenantCutoffs {
	var out tenantCutoffs
	if t.TenantColumn == "" {
		if !tc.Forever {
			out.ids, out.cuts = []string{""}, []string{formatCutoff(tc.Cutoff, t.TimeType, loc)}
		}
		return out
	}
	for _, id := range tenants {
		c, _, finite := tc.CutoffFor(plans[id])
		if finite {
			out.ids = append(out.ids, id)
			out.cuts = append(out.cuts, formatCutoff(c, t.TimeType, loc))
		}
	}
	return out
}

// eligibleJoin returns the FROM/WHERE clause selecting rows of rel older than each
// tenant's cutoff, with $1 the tenant ids and $2 the cutoffs (text arrays).
func eligibleJoin(rel governance.QualifiedName, t *Table, tenantType string) string {
	col := "x." + sqlident.Quote(t.TimeColumn)
	if t.TenantColumn == "" {
		return rel.Quoted() + " x, unnest($1::text[], $2::text[]) c(tid, cut) WHERE " + col + " < c.cut::" + t.TimeType
	}
	return rel.Quoted() + " x JOIN unnest($1::text[], $2::text[]) c(tid, cut) ON x." + sqlident.Quote(t.TenantColumn) +
		" = c.tid::" + tenantType + " WHERE " + col + " < c.cut::" + t.TimeType
}

func rowEligibility(ctx context.Context, db DB, p *governance.Policy, cat *TableCatalog, t *Table,
	plans map[string]string, now time.Time, te *TableEligibility) error {
	loc := p.Location()
	if t.TimeColumn == "" {
		te.Note = "no date or timestamp column to age rows by; set time_column in the table's retention rule"
		return nil
	}
	if te.Forever && len(te.Plans) == 0 {
		te.Note = fmt.Sprintf("%s data is kept forever", te.Category)
		return nil
	}
	counts, err := tenantCounts(ctx, db, t.Name, t.TenantColumn)
	if err != nil {
		return err
	}
	tenants := sortedTenants(counts)
	// Legal holds: a table-wide hold blocks every row; a tenant hold that tenant's rows.
	holds, err := For(p).HoldsBlockingName(ctx, db, t.Name, tenants, now)
	if err != nil {
		return err
	}
	held := map[string][]Hold{}
	for _, h := range holds {
		held[h.TenantID] = append(held[h.TenantID], h)
	}
	if hs := held[""]; len(hs) > 0 {
		te.Blocked = append(te.Blocked, Blocked{Reason: holdReason(hs), HoldIDs: HoldIDs(hs)})
		te.Rows = &RowRange{Column: t.TimeColumn}
		return nil
	}
	var free []string
	for _, id := range tenants {
		if hs := held[id]; len(hs) > 0 {
			te.Blocked = append(te.Blocked, Blocked{Tenant: id, Reason: holdReason(hs), HoldIDs: HoldIDs(hs)})
			continue
		}
		free = append(free, id)
	}
	tcs := cutoffsFor(te.TableCutoff, t, plans, free, loc)
	rr := &RowRange{Column: t.TimeColumn}
	if len(tcs.ids) > 0 {
		q := "SELECT count(*), min(x." + sqlident.Quote(t.TimeColumn) + ")::timestamptz, max(x." + sqlident.Quote(t.TimeColumn) + ")::timestamptz FROM " +
			eligibleJoin(t.Name, t, cat.TenantType)
		if err := db.QueryRow(ctx, q, tcs.ids, tcs.cuts).Scan(&rr.Rows, &rr.Oldest, &rr.Newest); err != nil {
			return fmt.Errorf("retention: eligible rows of %s: %w", t.Key(), err)
		}
	}
	te.Rows = rr
	return nil
}
