package govtest

import (
	"context"
	"io/fs"
	"testing"

	"github.com/lsos/lsosgov/migrate"
)

// RequireRoundTrip loads the migration directory dir (an embed.FS, os.DirFS(path), …),
// and runs [migrate.Test] on a fresh empty database: every version up, then down one at
// a time with the schema compared to what it was before that version, then up again.
// It fails t with the schema diff when a rollback does not undo its forward file.
func RequireRoundTrip(t testing.TB, dir fs.FS) {
	t.Helper()
	d, err := migrate.LoadFS(dir)
	if err != nil {
		t.Fatalf("govtest: %v", err)
	}
	if err := migrate.Test(context.Background(), DB(t), d); err != nil {
		t.Fatalf("govtest: %v", err)
	}
}
