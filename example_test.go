package lsosgov_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/integrity"
)

// A service starting up: the first call applies the sample LSOS migrations, a restart
// finds nothing pending, and a replica configured not to apply refuses a database that
// is behind. In a service, FS is an embed.FS of the migration directory and db the
// service's pool.
func ExampleStartup() {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{}) // in a service: your own database
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	name, url, err := srv.CreateDatabase(ctx, "startup example")
	if err != nil {
		panic(err)
	}
	defer srv.DropDatabase(ctx, name)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	now := func() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }

	// Applying off on an empty database: fail fast, listing what is pending.
	_, err = lsosgov.Startup(ctx, pool, lsosgov.StartupConfig{FS: lsos.Migrations(), Now: now})
	var se *lsosgov.StartupError
	if errors.As(err, &se) {
		fmt.Println("refused in phase", se.Phase, "with", len(se.Pending), "pending versions")
	}

	// Applying on: every version is applied under the advisory lock.
	cfg := lsosgov.StartupConfig{FS: lsos.Migrations(), Apply: true, Now: now}
	rep, err := lsosgov.Startup(ctx, pool, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("applied", len(rep.Applied), "of", rep.Versions, "versions")

	// A restart: nothing pending. The schema checks cost one catalog read and find the
	// snapshot tables without a partition for the current month.
	cfg.Checks = integrity.SchemaChecks()
	_, err = lsosgov.Startup(ctx, pool, cfg)
	if errors.As(err, &se) {
		fmt.Println("refused in phase", se.Phase+":")
		for _, f := range se.Findings {
			fmt.Println(" ", f.Check, f.Object)
		}
	}

	// Partition maintenance creates this month's and next month's partitions.
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := lsos.EnsurePartitions(ctx, pool, month, month.AddDate(0, 2, 0)); err != nil {
		panic(err)
	}
	rep, err = lsosgov.Startup(ctx, pool, cfg)
	fmt.Println("applied", len(rep.Applied), "findings", len(rep.Findings), "error", err)
	// Output:
	// refused in phase pending with 6 pending versions
	// applied 6 of 6 versions
	// refused in phase checks:
	//   missing-partition public.crawl_outputs
	//   missing-partition public.crawl_outputs
	//   missing-partition public.ranking_snapshots
	//   missing-partition public.ranking_snapshots
	// applied 0 findings 0 error <nil>
}

// A service that refuses to start on a schema someone changed by hand: FailOnDrift
// replays the applied versions on a throwaway database created through DriftDevURL (a
// scratch server in production; here the embedded one) and compares.
func ExampleStartup_failOnDrift() {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	name, url, err := srv.CreateDatabase(ctx, "drift example")
	if err != nil {
		panic(err)
	}
	defer srv.DropDatabase(ctx, name)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	now := func() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }
	cfg := lsosgov.StartupConfig{FS: lsos.Migrations(), Apply: true, Now: now, FailOnDrift: true, DriftDevURL: srv.URL()}
	if _, err := lsosgov.Startup(ctx, pool, cfg); err != nil {
		panic(err)
	}
	fmt.Println("migrated, no drift")

	// A hotfix applied by hand, outside the migrations.
	if _, err := pool.Exec(ctx, "CREATE INDEX reviews_rating_hotfix ON reviews (rating)"); err != nil {
		panic(err)
	}
	rep, err := lsosgov.Startup(ctx, pool, cfg)
	fmt.Println("drift:", errors.Is(err, lsosgov.ErrDrift))
	for _, d := range rep.Drift {
		fmt.Println(d.Change, d.Kind, d.Object)
	}
	// Output:
	// migrated, no drift
	// drift: true
	// changed table public.reviews
	// extra index public.reviews_rating_hotfix
}
