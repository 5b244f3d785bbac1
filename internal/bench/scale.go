package main

import "fmt"

// Sizes are the data volumes of one scale. Row counts are per table unless said.
type Sizes struct {
	Versions      int     // applied migration versions for the startup no-op
	ArchiveRows   []int64 // partition sizes of the archive curve; ArchiveMain is the headline
	ArchiveMain   int64
	IntegrityRows []int64 // child-table sizes of the integrity curve; the last is the headline
	ClassifyRows  []int64 // rows per table of the 10-table classify schema (smallest and largest)
	DeleteRows    []int64 // the offboarded tenant's rows per table (x10 tables); the last is the headline
	ReviewFiles   int     // migration files reviewed
	ReviewTables  int     // tables of the schema they apply to
	// Sample is the sample LSOS schema's data volume for the full integrity check:
	// ranking snapshot rows = Tenants x 2 campaigns x KeywordsPerCampaign x
	// SnapshotDays x 24 months.
	Sample         SampleSize
	Runs, Warmup   int     // defaults for --runs and the warm-up count
	CurveRuns      int     // runs per side at each curve point
	RSSAt          []int64 // partition sizes at which export peak RSS is measured
	EnforceTargets bool    // exit non-zero when a target is missed
}

// SampleSize sizes lsos.LoadSample.
type SampleSize struct{ Tenants, KeywordsPerCampaign, SnapshotDays int }

// ScaleSizes returns the sizes of a named scale.
func ScaleSizes(name string) (Sizes, error) {
	switch name {
	case "small": // correctness only; runs inside go test
		return Sizes{
			Versions: 40, ArchiveRows: []int64{1_000, 10_000, 50_000}, ArchiveMain: 10_000,
			IntegrityRows: []int64{2_000, 6_000, 20_000}, ClassifyRows: []int64{200, 5_000},
			DeleteRows: []int64{100, 300, 1_000}, ReviewFiles: 5, ReviewTables: 20,
			Sample: SampleSize{Tenants: 3, KeywordsPerCampaign: 5, SnapshotDays: 4}, // 2 880 snapshot rows
			Runs:   1, Warmup: 0, CurveRuns: 1, RSSAt: []int64{10_000, 50_000},
		}, nil
	case "medium":
		return Sizes{
			Versions: 200, ArchiveRows: []int64{20_000, 200_000, 2_000_000}, ArchiveMain: 200_000,
			IntegrityRows: []int64{100_000, 300_000, 1_000_000}, ClassifyRows: []int64{10_000, 100_000},
			DeleteRows: []int64{3_000, 10_000, 30_000}, ReviewFiles: 30, ReviewTables: 100,
			Sample: SampleSize{Tenants: 30, KeywordsPerCampaign: 50, SnapshotDays: 14}, // 1 008 000
			Runs:   3, Warmup: 1, CurveRuns: 3, RSSAt: []int64{200_000, 2_000_000},
		}, nil
	case "full": // the sizes of issue 11
		return Sizes{
			Versions: 200, ArchiveRows: []int64{200_000, 2_000_000, 20_000_000}, ArchiveMain: 2_000_000,
			IntegrityRows: []int64{1_000_000, 3_000_000, 10_000_000}, ClassifyRows: []int64{10_000, 1_000_000},
			DeleteRows: []int64{10_000, 30_000, 100_000}, ReviewFiles: 100, ReviewTables: 300,
			Sample: SampleSize{Tenants: 60, KeywordsPerCampaign: 150, SnapshotDays: 23}, // 9 936 000
			Runs:   5, Warmup: 1, CurveRuns: 3, RSSAt: []int64{2_000_000, 20_000_000},
			EnforceTargets: true,
		}, nil
	}
	return Sizes{}, fmt.Errorf("bench: unknown scale %q; use small, medium or full", name)
}
