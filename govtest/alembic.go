package govtest

import (
	"context"
	"testing"

	"github.com/lsos/lsosgov/migrate/alembic"
)

// RequireAlembicRoundTrip opens the Alembic project in dir (the directory holding
// alembic.ini) and runs [alembic.RoundTrip] on a fresh empty database with the real
// Alembic: every revision upgraded, then downgraded one at a time with the schema
// compared to what it was before that revision, then upgraded again. It fails t
// naming the revision whose downgrade() does not undo its upgrade(), or when Alembic
// is not installed.
func RequireAlembicRoundTrip(t testing.TB, dir string) {
	t.Helper()
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatalf("govtest: %v", err)
	}
	if err := alembic.RoundTrip(context.Background(), p, URL(t), alembic.RoundTripOptions{}); err != nil {
		t.Fatalf("govtest: %v", err)
	}
}
