package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lsos/lsosgov/internal/dbx"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// snapDDL is a monthly-partitioned snapshot table shaped like the sample schema's
// ranking_snapshots (without its foreign keys, so rows can be generated in bulk).
const snapDDL = `CREATE TABLE snap (
    tenant_id     bigint NOT NULL,
    keyword_id    bigint NOT NULL,
    captured_on   date   NOT NULL,
    position      integer,
    url           text,
    serp_features jsonb,
    PRIMARY KEY (tenant_id, keyword_id, captured_on)
) PARTITION BY RANGE (captured_on)`

// snapMonth is the month of the i-th generated partition.
func snapMonth(i int) time.Time { return time.Date(2024, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC) }

// snapPartition creates partition i of snap holding rows generated rows: 28 daily
// snapshots per keyword, 10 tenants, realistic URLs and small JSON documents. It is
// vacuumed and analysed, so no timed read sets hint bits.
func snapPartition(ctx context.Context, db dbx.DB, i int, rows int64) (sqlident.Name, error) {
	from := snapMonth(i)
	name := sqlident.Name{Schema: "public", Name: fmt.Sprintf("snap_%s", from.Format("2006_01"))}
	err := execAll(ctx, db,
		fmt.Sprintf(`CREATE TABLE %s PARTITION OF snap FOR VALUES FROM ('%s') TO ('%s')`, name.Quoted(),
			from.Format(time.DateOnly), from.AddDate(0, 1, 0).Format(time.DateOnly)),
		fmt.Sprintf(`INSERT INTO %s
			SELECT (g / 28) %% 10 + 1, g / 28, DATE '%s' + (g %% 28)::int, (g %% 100) + 1,
			       'https://www.example.com/' || ((g / 28) %% 5000) || '/landing-page?ref=serp',
			       jsonb_build_object('ads', g %% 4, 'local_pack', g %% 3 = 0, 'rank_delta', (g %% 7) - 3)
			FROM generate_series(0, %d) g`, name.Quoted(), from.Format(time.DateOnly), rows-1),
		fmt.Sprintf(`VACUUM (ANALYZE) %s`, name.Quoted()),
	)
	return name, err
}
