package retention

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// EligibilityOptions tune [EligibilityWith]. The zero value is [Eligibility].
type EligibilityOptions struct {
	// TenantsOnly finds which tenants hold rows in a partition through a valid btree
	// index that leads with the tenant column, one index probe per tenant, instead of
	// counting the partition's rows per tenant (a scan of the whole partition).
	// PartitionRange.Rows is then -1 ("not counted"); a partition without such an index
	// is counted as usual. Archiving uses it: the export counts the rows per tenant as
	// they stream, so counting them first would read the partition twice.
	TenantsOnly bool
}

// RowsNotCounted is PartitionRange.Rows when EligibilityOptions.TenantsOnly found the
// tenants through an index.
const RowsNotCounted = -1

// tenantsByIndex returns the tenant ids (text form) present in rel, reading an index that
// leads with tenantCol: a loose index scan, each step the next larger id. ok is false
// when rel has no valid, non-partial btree index whose first key is tenantCol (the scan
// would then read the table once per tenant).
func tenantsByIndex(ctx context.Context, db DB, rel governance.QualifiedName, tenantCol string) (ids []string, ok bool, err error) {
	if err := db.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM pg_index i
			JOIN pg_class ic ON ic.oid = i.indexrelid
			JOIN pg_am am ON am.oid = ic.relam
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = to_regclass($1) AND i.indisvalid AND i.indpred IS NULL
			  AND am.amname = 'btree' AND a.attname = $2)`, rel.Quoted(), tenantCol).Scan(&ok); err != nil {
		return nil, false, fmt.Errorf("retention: find a tenant index of %s: %w", rel, err)
	}
	if !ok {
		return nil, false, nil
	}
	col := sqlident.Quote(tenantCol)
	rows, err := db.Query(ctx, `
		WITH RECURSIVE present(t) AS (
			(SELECT `+col+` FROM `+rel.Quoted()+` WHERE `+col+` IS NOT NULL ORDER BY 1 LIMIT 1)
			UNION ALL
			SELECT (SELECT `+col+` FROM `+rel.Quoted()+` WHERE `+col+` > p.t ORDER BY 1 LIMIT 1)
			FROM present p WHERE p.t IS NOT NULL
		)
		SELECT t::text FROM present WHERE t IS NOT NULL`)
	if err != nil {
		return nil, false, fmt.Errorf("retention: read the tenants of %s: %w", rel, err)
	}
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, false, fmt.Errorf("retention: read the tenants of %s: %w", rel, err)
	}
	return ids, true, nil
}
