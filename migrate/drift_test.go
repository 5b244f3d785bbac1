package migrate

import (
	"context"
	"testing"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestDriftAfterHotfix(t *testing.T) {
	ctx := context.Background()
	dir, err := LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	live := pgtest.DB(t, "", nil)
	m, err := NewMigrator(live, dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	diffs, err := Drift(ctx, live, dir, DriftOptions{Dev: pgtest.DB(t, "", nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 0 {
		t.Fatalf("freshly migrated: no drift expected, got %v", diffs)
	}
	if _, err := live.Exec(ctx, "CREATE INDEX reviews_rating_hotfix ON reviews (rating)"); err != nil {
		t.Fatal(err)
	}
	diffs, err = Drift(ctx, live, dir, DriftOptions{Dev: pgtest.DB(t, "", nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) == 0 {
		t.Fatal("a hand-made index must show as drift")
	}
	found := false
	for _, d := range diffs {
		found = found || (d.Kind == "index" && d.Object == "public.reviews_rating_hotfix" && d.Change == "extra")
	}
	if !found {
		t.Errorf("drift lacks the hotfix index: %v", diffs)
	}
}
