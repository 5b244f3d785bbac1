package retention

import (
	"context"
	"slices"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// quotedSetup has a partitioned table and a plain table whose names need quotes, plus a
// lower-case twin of the mixed-case partition name (a hold on one must not cover the
// other).
const quotedSetup = `
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL, plan text NOT NULL DEFAULT 'basic');
INSERT INTO tenants VALUES (1, 'one', 'basic');
CREATE TABLE "Snaps" (tenant_id bigint NOT NULL REFERENCES tenants (id), captured_on date NOT NULL) PARTITION BY RANGE (captured_on);
CREATE TABLE "Snaps_2024_01" PARTITION OF "Snaps" FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE "q""uote" PARTITION OF "Snaps" FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE snaps_2024_01 (tenant_id bigint NOT NULL, captured_on date NOT NULL);
INSERT INTO "Snaps" SELECT 1, date '2024-01-01' + g FROM generate_series(0, 50) g;
CREATE TABLE "Mixed Case" (tenant_id bigint NOT NULL REFERENCES tenants (id), created_on date NOT NULL);
INSERT INTO "Mixed Case" SELECT 1, date '2024-01-01' + g FROM generate_series(1, 10) g;
`

// TestEligibilityOnQuotedNames: tables under a retention rule whose names need quotes
// are evaluated (each looked up by its exact catalog name) rather than crashing, and
// their partitions come back with their exact names. A cutoff that matches no catalog
// table is an error, not a nil dereference.
func TestEligibilityOnQuotedNames(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "retention-quoted", pgtest.SQLSetup(quotedSetup))
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	p := governance.Default()
	p.Retention = append(p.Retention, governance.RetentionRule{Category: governance.CategorySnapshots, Tables: []string{"Snaps", "Mixed Case"}, Keep: p.Retention[0].Keep})
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Eligibility(ctx, db, p, cat, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	var parts []governance.QualifiedName
	var mixedRows int64 = -1
	for _, te := range rep.Tables {
		switch te.Name {
		case governance.QualifiedName{Schema: "public", Name: "Snaps"}:
			for _, e := range te.Eligible {
				parts = append(parts, e.Name)
			}
		case governance.QualifiedName{Schema: "public", Name: "Mixed Case"}:
			if te.Rows != nil {
				mixedRows = te.Rows.Rows
			}
		}
	}
	want := []governance.QualifiedName{{Schema: "public", Name: "Snaps_2024_01"}, {Schema: "public", Name: `q"uote`}}
	if !slices.Equal(parts, want) || mixedRows != 10 {
		t.Fatalf("eligible partitions %v (want %v), eligible rows of \"Mixed Case\" %d (want 10)", parts, want, mixedRows)
	}

	// The lookup Eligibility uses: exact name, else exact "schema.table" text (a cutoff
	// built by hand); a miss is reported (Eligibility turns it into an error).
	if tb, ok := cutoffTable(cat, TableCutoff{Table: "public.Mixed Case"}); !ok || tb.Name.Name != "Mixed Case" {
		t.Fatalf("cutoffTable by exact text: %v %v", tb, ok)
	}
	if _, ok := cutoffTable(cat, TableCutoff{Table: "public.mixed case"}); ok {
		t.Fatal("cutoffTable folded case")
	}
	if _, ok := cutoffTable(cat, TableCutoff{Table: "x", Name: governance.QualifiedName{Schema: "public", Name: "snaps"}}); ok {
		t.Fatal("cutoffTable found public.snaps for the exact name public.\"snaps\"")
	}
}

// TestHoldsBlockingMatchesExactNames: a hold on a mixed-case partition is found by its
// exact name (structured or quoted), not by the lower-case twin, and blocks its
// eligibility; a hold on the quoted parent covers a partition whose name holds a quote;
// a name that does not parse is an error, never "no hold".
func TestHoldsBlockingMatchesExactNames(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "retention-quoted", pgtest.SQLSetup(quotedSetup))
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	at := sampleNow
	h, err := AddHold(ctx, db, HoldSpec{Table: `public."Snaps_2024_01"`, Reason: "litigation", By: "legal", From: at.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if h.Table != "public.Snaps_2024_01" {
		t.Fatalf("hold table %q", h.Table)
	}
	ids := func(hs []Hold, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return HoldIDs(hs)
	}
	mixed := governance.QualifiedName{Schema: "public", Name: "Snaps_2024_01"}
	if got := ids(HoldsBlockingName(ctx, db, mixed, nil, at)); !slices.Equal(got, []int64{h.ID}) {
		t.Fatalf("HoldsBlockingName(%v) = %v; want [%d]", mixed, got, h.ID)
	}
	if got := ids(HoldsBlocking(ctx, db, mixed.Quoted(), nil, at)); !slices.Equal(got, []int64{h.ID}) {
		t.Fatalf("HoldsBlocking(%s) = %v; want [%d]", mixed.Quoted(), got, h.ID)
	}
	if got := ids(HoldsBlocking(ctx, db, "public.snaps_2024_01", nil, at)); len(got) != 0 {
		t.Fatalf("the hold on %s covers the lower-case table too: %v", mixed.Quoted(), got)
	}
	if _, err := HoldsBlocking(ctx, db, `public.q"uote`, nil, at); err == nil {
		t.Fatal(`HoldsBlocking on the unparsable public.q"uote returned no error (a parse failure must not mean "no hold")`)
	}
	if _, err := HoldsBlockingName(ctx, db, governance.QualifiedName{Schema: "public"}, nil, at); err == nil {
		t.Fatal("HoldsBlockingName with an empty name returned no error")
	}
	ph, err := AddHold(ctx, db, HoldSpec{Table: `public."Snaps"`, TenantID: "1", Reason: "audit", By: "legal", From: at.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	quote := governance.QualifiedName{Schema: "public", Name: `q"uote`}
	if got := ids(HoldsBlockingName(ctx, db, quote, []string{"1"}, at)); !slices.Equal(got, []int64{ph.ID}) {
		t.Fatalf("hold on the parent does not cover %v: %v", quote, got)
	}

	// Eligibility reports both partitions blocked by their holds.
	p := governance.Default()
	p.Retention = append(p.Retention, governance.RetentionRule{Category: governance.CategorySnapshots, Tables: []string{"Snaps"}, Keep: p.Retention[0].Keep})
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Eligibility(ctx, db, p, cat, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, te := range rep.Tables {
		if te.Name.Name != "Snaps" {
			continue
		}
		if len(te.Eligible) != 0 || len(te.Blocked) != 2 || !slices.Contains(te.Blocked[0].HoldIDs, h.ID) {
			t.Fatalf("held partitions: eligible %+v blocked %+v; want both blocked, Snaps_2024_01 by hold %d", te.Eligible, te.Blocked, h.ID)
		}
	}
}
