// Package lsos is the sample LSOS schema: versioned migrations with rollbacks (tenants,
// users, auth tokens, locations, campaigns, keywords, monthly-partitioned ranking
// snapshots and crawl outputs, reviews, audit log, delivery log, report files, branding
// assets, aggregated summaries) and a deterministic loader of sample data spanning two
// years. The examples, the quickstart and the tests of every package use it.
//
//	conn, err := pgx.Connect(ctx, url) // an empty database
//	if err != nil {
//		return err
//	}
//	if err := lsos.Apply(ctx, conn); err != nil { // every forward migration, in order
//		return err
//	}
//	// Three tenants, two years of snapshots up to now, their monthly partitions.
//	err = lsos.LoadSample(ctx, conn, lsos.SampleOptions{Now: time.Now()})
//
// # Migrations
//
// [Migrations] is the directory (up and down files and atlas.sum) as an fs.FS, to pass
// to [github.com/lsos/lsosgov.Startup] or [github.com/lsos/lsosgov/migrate.LoadFS].
// [Apply] runs the forward files without the migration engine's bookkeeping, for tests
// that only need the schema; [Versions] lists the versions.
//
// # Sample data
//
// [LoadSample] fills the schema ([SampleOptions] size it); [EnsurePartitions] creates the
// monthly partitions of [PartitionedTables] for a span, as partition maintenance would.
package lsos
