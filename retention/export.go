package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/internal/parquetio"
)

// Manifest describes one exported object: which rows it holds and how to check it
// ([VerifyExport] re-reads an object against SHA256 and Rows). Objects are Parquet
// files written by the archive package's writer; the manifest sits next to the data as
// <object>.manifest.json.
type Manifest struct {
	Table         string    `json:"table"`
	TenantID      string    `json:"tenant_id,omitempty"`
	Object        string    `json:"object"`
	Format        string    `json:"format"`
	Rows          int64     `json:"rows"`
	Bytes         int64     `json:"bytes"`
	SHA256        string    `json:"sha256"`
	Reason        string    `json:"reason"` // "offboarding" or "sweep"
	Cutoff        string    `json:"cutoff,omitempty"`
	PolicyVersion string    `json:"policy_version,omitempty"`
	WrittenAt     time.Time `json:"written_at"`
}

// exportObject runs query and writes its rows as one Parquet object under key (the
// archive package's writer: zstd, schema from the PostgreSQL types,
// SHA-256 computed while writing), then the manifest next to it. m carries the
// descriptive fields; the counts and checksum come from the writer.
func exportObject(ctx context.Context, db DB, b *blob.Bucket, key, query string, args []any, m Manifest) (Manifest, error) {
	res, err := parquetio.Export(ctx, db, query, args, b, key, parquetio.Options{Metadata: map[string]string{
		"lsos.table": m.Table, "lsos.reason": m.Reason}})
	if err != nil {
		return m, fmt.Errorf("retention: export %s to %s: %w", m.Table, key, err)
	}
	m.Object, m.Format, m.Rows, m.Bytes, m.SHA256 = key, "parquet", res.Rows, res.Bytes, res.SHA256
	return m, writeManifest(ctx, b, m)
}

func writeManifest(ctx context.Context, b *blob.Bucket, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := b.WriteAll(ctx, m.Object+".manifest.json", append(data, '\n'), &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("retention: write manifest of %s: %w", m.Object, err)
	}
	return nil
}

// ReadManifest reads the manifest of object from b.
func ReadManifest(ctx context.Context, b *blob.Bucket, object string) (Manifest, error) {
	var m Manifest
	data, err := b.ReadAll(ctx, object+".manifest.json")
	if err != nil {
		return m, fmt.Errorf("retention: read manifest of %s: %w", object, err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("retention: manifest of %s: %w", object, err)
	}
	return m, nil
}

// VerifyExport re-reads the object m describes from b: its SHA-256 must match m.SHA256,
// and its footer and decoded rows m.Rows. Run it before relying on an export (handing a
// tenant its data, deleting what a sweep archived).
func VerifyExport(ctx context.Context, b *blob.Bucket, m Manifest) error {
	if err := parquetio.Verify(ctx, b, m.Object, m.SHA256, m.Rows); err != nil {
		return fmt.Errorf("retention: verify export %s: %w", m.Object, err)
	}
	return nil
}
