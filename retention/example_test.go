package retention_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/retention"
)

// Cutoffs needs only the policy and a catalog; here the catalog is written by hand.
func ExampleCutoffs() {
	p := governance.Default()
	p.TimeZone = "Europe/Berlin"
	cat := &retention.TableCatalog{Tables: []retention.Table{
		{Name: governance.QualifiedName{Schema: "public", Name: "ranking_snapshots"}, Category: governance.CategorySnapshots, HasData: true},
		{Name: governance.QualifiedName{Schema: "public", Name: "audit_log"}, Category: governance.CategoryAudit, HasData: true},
		{Name: governance.QualifiedName{Schema: "public", Name: "notes"}, HasData: true},
	}}
	// 2026-03-31 23:30 UTC is already April 1st in Berlin.
	rep := retention.Cutoffs(p, cat, time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC))
	for _, t := range rep.Tables {
		fmt.Println(t.Table, t.Keep, t.Cutoff.Format(time.RFC3339))
	}
	for _, u := range rep.Unmatched {
		fmt.Println("unmatched:", u.Table)
	}
	// Output:
	// public.ranking_snapshots 13 months 2025-03-01T01:30:00+01:00
	// public.audit_log 24 months 2024-04-01T01:30:00+02:00
	// unmatched: public.notes
}

// Eligibility on the sample LSOS schema, then a legal hold on one tenant.
func Example() {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{}) // in a service: your database
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	_, url, err := srv.CreateDatabase(ctx, "retention-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	if err := lsos.Apply(ctx, db); err != nil {
		fmt.Println(err)
		return
	}
	if err := lsos.LoadSample(ctx, db, lsos.SampleOptions{Now: now}); err != nil {
		fmt.Println(err)
		return
	}
	if err := retention.Install(ctx, db); err != nil {
		fmt.Println(err)
		return
	}

	p := governance.Default()
	cat, err := retention.Catalog(ctx, db, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	show := func() {
		rep, err := retention.Eligibility(ctx, db, p, cat, now)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, t := range rep.Tables {
			if t.Table != "public.ranking_snapshots" {
				continue
			}
			fmt.Printf("%s keep %s cutoff %s: %d eligible, %d blocked\n", t.Table, t.Keep, t.Cutoff.Format("2006-01-02"), len(t.Eligible), len(t.Blocked))
			if len(t.Eligible) > 0 {
				fmt.Println("eligible:", t.Eligible[0].Partition, "…", t.Eligible[len(t.Eligible)-1].Partition)
			}
			fmt.Println("first blocked:", t.Blocked[0].Partition, "—", t.Blocked[0].Reason)
		}
	}
	show()
	if _, err := retention.AddHold(ctx, db, retention.HoldSpec{TenantID: "2", Reason: "litigation", By: "legal", From: now.AddDate(0, 0, -1)}); err != nil {
		fmt.Println(err)
		return
	}
	show()
	// Output:
	// public.ranking_snapshots keep 13 months cutoff 2025-10-26: 11 eligible, 15 blocked
	// eligible: public.ranking_snapshots_2024_11 … public.ranking_snapshots_2025_09
	// first blocked: public.ranking_snapshots_2025_10 — range ends 2025-11-01T00:00:00Z, after the cutoff 2025-10-26T00:00:00Z (keep 13 months)
	// public.ranking_snapshots keep 13 months cutoff 2025-10-26: 0 eligible, 26 blocked
	// first blocked: public.ranking_snapshots_2024_11 — legal hold 1 (tenant 2): litigation
}
