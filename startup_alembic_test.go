package lsosgov

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate/alembic"
)

// TestStartupAlembicMode: a Go service sharing an Alembic-managed database refuses to
// start until alembic_version is at the project's head, never applies a revision, and
// refuses a revision the project does not know.
func TestStartupAlembicMode(t *testing.T) {
	if _, err := exec.LookPath("alembic"); err != nil {
		t.Fatalf("Alembic is not installed (apt-get install -y alembic python3-psycopg2): %v", err)
	}
	ctx := context.Background()
	proj, err := alembic.Open(filepath.Join("examples", "lsos-alembic"))
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.URL(t, "", nil)
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The sample's partitioned parents get their monthly partitions from partition
	// maintenance, not from a revision: leave missing-partition out.
	var checks []integrity.Check
	for _, c := range integrity.SchemaChecks() {
		if c.Name() != "missing-partition" {
			checks = append(checks, c)
		}
	}
	cfg := StartupConfig{Alembic: proj, Checks: checks, Now: clock}

	// Nothing applied: every revision is pending, in apply order, and nothing runs.
	rep, err := Startup(ctx, db, cfg)
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhasePending || !errors.Is(err, ErrPending) {
		t.Fatalf("fresh database: got %v, want ErrPending in phase pending", err)
	}
	order := proj.Graph().Order
	if len(rep.Pending) != len(order) || rep.Pending[0] != order[0].ID || rep.Versions != len(proj.Revisions) {
		t.Fatalf("pending %v, want all %d revisions in apply order", rep.Pending, len(order))
	}
	var tables int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("Startup must not apply Alembic revisions: %d tables (%v)", tables, err)
	}

	// At head: Startup passes and runs the checks.
	if err := proj.Upgrade(ctx, url, "heads"); err != nil {
		t.Fatal(err)
	}
	rep, err = Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("at head: %v (findings %v)", err, rep.Fatal)
	}
	if len(rep.Checks) == 0 {
		t.Error("the integrity checks must run in Alembic mode")
	}

	// A revision the project does not know is history drift.
	if _, err := db.Exec(ctx, `INSERT INTO alembic_version (version_num) VALUES ('deadbeef0000')`); err != nil {
		t.Fatal(err)
	}
	_, err = Startup(ctx, db, cfg)
	var nh *alembic.NotAtHeadError
	if !errors.As(err, &se) || se.Phase != PhaseHistory || !errors.As(err, &nh) || !slices.Contains(nh.Unknown, "deadbeef0000") {
		t.Fatalf("unknown revision: got %v, want phase history naming deadbeef0000", err)
	}

	// Startup never applies Alembic revisions, and one history per database.
	for _, bad := range []StartupConfig{{Alembic: proj, Apply: true}, {Alembic: proj, FS: lsos.Migrations()}} {
		if _, err := Startup(ctx, db, bad); !errors.Is(err, ErrConfig) {
			t.Errorf("config %+v: got %v, want ErrConfig", bad, err)
		}
	}
}
