package alembic_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate/alembic"
)

func TestRoundTripSample(t *testing.T) {
	requireAlembic(t)
	ctx := context.Background()
	p := openSample(t)
	url := govtest.URL(t)
	if err := alembic.RoundTrip(ctx, p, url, alembic.RoundTripOptions{}); err != nil {
		t.Fatalf("round trip of the sample: %v", err)
	}
	// The database ends at head, and a second round trip refuses: it is not fresh.
	pool := poolFor(t, url)
	if err := alembic.RequireHead(ctx, pool, p); err != nil {
		t.Errorf("after the round trip: %v", err)
	}
	if err := alembic.RoundTrip(ctx, p, url, alembic.RoundTripOptions{}); !errors.Is(err, alembic.ErrNotFresh) {
		t.Errorf("second round trip on the same database: %v", err)
	}
}

func TestRoundTripNamesTheBrokenDowngrade(t *testing.T) {
	requireAlembic(t)
	dir := copySample(t)
	// 5e6f7a8b9c05 (a branch revision) forgets to drop branding_assets.
	f := filepath.Join(dir, "alembic", "versions", "5e6f7a8b9c05_artifacts_summaries.py")
	b, _ := os.ReadFile(f)
	os.WriteFile(f, []byte(strings.Replace(string(b), `    op.drop_table("branding_assets")`+"\n", "", 1)), 0o644)
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = alembic.RoundTrip(context.Background(), p, govtest.URL(t), alembic.RoundTripOptions{})
	var rt *alembic.RoundTripError
	if !errors.As(err, &rt) || !errors.Is(err, alembic.ErrRoundTrip) {
		t.Fatalf("round trip with a broken downgrade: %v", err)
	}
	if rt.Revision != "5e6f7a8b9c05" || !strings.HasSuffix(rt.File, "5e6f7a8b9c05_artifacts_summaries.py") || !strings.Contains(rt.Diff, "public.branding_assets") {
		t.Errorf("RoundTripError names %s (%s), diff:\n%s", rt.Revision, rt.File, rt.Diff)
	}
	if !strings.Contains(err.Error(), "downgrade() of revision 5e6f7a8b9c05") {
		t.Errorf("message: %v", err)
	}
}

func TestRequireAlembicRoundTrip(t *testing.T) {
	requireAlembic(t)
	// A small linear project keeps this test of the govtest wrapper cheap; the
	// sample's branches and merge are covered by TestRoundTripSample.
	dir := copySample(t)
	versions := filepath.Join(dir, "alembic", "versions")
	os.RemoveAll(versions)
	os.MkdirAll(versions, 0o755)
	os.WriteFile(filepath.Join(versions, "a1_one.py"), []byte(rev("a1", "", "", "")), 0o644)
	os.WriteFile(filepath.Join(versions, "b2_two.py"), []byte(rev("b2", "a1", "op.execute('ALTER TABLE t_a1 ADD COLUMN note text')", "op.execute('ALTER TABLE t_a1 DROP COLUMN note')")), 0o644)
	govtest.RequireAlembicRoundTrip(t, dir)

	// A downgrade that forgets the column fails the test, naming the revision.
	os.WriteFile(filepath.Join(versions, "b2_two.py"), []byte(rev("b2", "a1", "op.execute('ALTER TABLE t_a1 ADD COLUMN note text')", "pass")), 0o644)
	ft := &fatalTB{TB: t}
	func() {
		defer func() { recover() }()
		govtest.RequireAlembicRoundTrip(ft, dir)
	}()
	if !strings.Contains(ft.msg, "downgrade() of revision b2") || !strings.Contains(ft.msg, "note") {
		t.Errorf("RequireAlembicRoundTrip on a broken downgrade reported %q", ft.msg)
	}
}

// fatalTB records Fatalf instead of failing the test, then stops the caller.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}
