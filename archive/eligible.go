package archive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/retention"
)

// eligible asks retention which partitions of tables may leave hot storage at now:
// ranges entirely older than every present tenant's cutoff, not under a legal hold.
func eligible(ctx context.Context, db DB, p *governance.Policy, tables []string, now time.Time) ([]Partition, error) {
	want := make([]governance.QualifiedName, len(tables))
	for i, t := range tables {
		n, err := parseName(t)
		if err != nil {
			return nil, err
		}
		want[i] = n
	}
	var rep *retention.EligibilityReport
	for attempt := 0; ; attempt++ {
		cat, err := retention.Catalog(ctx, db, p)
		if err == nil {
			// Only the tables asked for: eligibility reads which tenants each partition
			// holds, and the other tables' partitions are none of this run's business.
			// A new slice: cat.TenantTable points into the old one.
			var keep []retention.Table
			for _, t := range cat.Tables {
				if slices.Contains(want, t.Name) {
					keep = append(keep, t)
				}
			}
			cat.Tables = keep
			rep, err = retention.EligibilityWith(ctx, db, p, cat, now, retention.EligibilityOptions{TenantsOnly: true})
		}
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "42P01" && attempt < 5 {
			// Another worker dropped a partition while the catalog or the row counts
			// were read: read the catalog again.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("archive: retention eligibility: %w", err)
		}
		break
	}
	var out []Partition
	for _, t := range tables {
		n, err := parseName(t)
		if err != nil {
			return nil, err
		}
		found := false
		for _, te := range rep.Tables {
			if te.Table != n.String() {
				continue
			}
			found = true
			for _, e := range te.Eligible {
				// The quoted name: Run parses Partition.Name with SQL rules, which keep a
				// quoted name exact and would fold or reject the plain text.
				out = append(out, Partition{Name: e.Name.Quoted(), From: e.From, To: e.To})
			}
		}
		if !found {
			return nil, fmt.Errorf("archive: table %s has no retention rule in the policy (or does not exist); add it to a retention rule or pass Options.Partitions", n)
		}
	}
	return out, nil
}

// retentionHolds returns the default HoldFunc: legal holds from package retention in
// the schema of rb's policy, matched by the partition's exact name. A name that does not
// parse is an error (the drop stops), never "no hold".
func retentionHolds(rb retention.Bookkeeping) HoldFunc {
	return func(ctx context.Context, db DB, partition string, tenants []string, now time.Time) ([]string, error) {
		n, err := sqlident.Parse(partition, "public")
		if err != nil {
			return nil, fmt.Errorf("legal holds of %s: %w", partition, err)
		}
		hs, err := rb.HoldsBlockingName(ctx, db, n, tenants, now)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(hs))
		for i, h := range hs {
			ids[i] = strconv.FormatInt(h.ID, 10)
		}
		return ids, nil
	}
}
