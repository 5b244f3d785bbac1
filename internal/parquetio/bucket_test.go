package parquetio

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileBucketWritesTempFilesInsideTheStore points $TMPDIR at a directory that does
// not exist: a file:// store that staged uploads in $TMPDIR (fileblob's default) could
// not write at all, just as it cannot when $TMPDIR is on another filesystem ("invalid
// cross-device link"). OpenBucket stages them beside the object, so the write succeeds,
// the object is readable and no temporary file is left behind.
func TestFileBucketWritesTempFilesInsideTheStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("TMPDIR", filepath.Join(dir, "no-such-tmpdir"))
	store := filepath.Join(dir, "store")
	b, err := OpenBucket(ctx, "file://"+store)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "a/b.parquet", []byte("payload"), nil); err != nil {
		t.Fatalf("write to a file:// store with $TMPDIR unusable: %v", err)
	}
	got, err := b.ReadAll(ctx, "a/b.parquet")
	if err != nil || string(got) != "payload" {
		t.Fatalf("read back %q, %v", got, err)
	}
	err = filepath.WalkDir(store, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A URL that sets no_tmp_dir itself is left as given (here: the empty value, which
	// fileblob reads as "use $TMPDIR"), so the write fails on the missing $TMPDIR.
	b2, err := OpenBucket(ctx, "file://"+store+"?no_tmp_dir=")
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.WriteAll(ctx, "c.parquet", []byte("x"), nil); err == nil {
		t.Fatal("no_tmp_dir= in the URL was overridden: the write did not use $TMPDIR")
	}
}
