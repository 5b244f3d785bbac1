package archive

import (
	"context"
	"errors"
	"testing"
)

// TestResumeChecksTheCatalogManifest: a run resuming an unfinished archive takes its
// manifest from the catalog; one edited there after it was recorded (its SHA-256 no
// longer matches) stops the run with ErrManifestTampered, and the partition stays.
func TestResumeChecksTheCatalogManifest(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	const part = "public.ranking_snapshots_2025_04"
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: part}}, crashAfter: StepVerify}); !errors.Is(err, ErrCrash) {
		t.Fatalf("crash after verify: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives WHERE manifest_sha256 IS NOT NULL AND manifest_sha256 <> ''`); n != 1 {
		t.Fatalf("%d catalog rows with a manifest hash after the crash; want 1", n)
	}
	if _, err := db.Exec(ctx, `UPDATE lsos_archive.archives SET manifest_json = replace(manifest_json, '"rows"', '"rows" ')`); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, db, store, Options{Partitions: []Partition{{Name: part}}})
	if !errors.Is(err, ErrManifestTampered) {
		t.Fatalf("resume with an edited catalog manifest: %v; want ErrManifestTampered", err)
	}
	if att, n := attachedRows(t, db, part); att != 1 || n == 0 {
		t.Fatalf("%s attached=%d rows=%d; the partition must stay", part, att, n)
	}
}
