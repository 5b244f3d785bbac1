package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// ManifestFormat is the version of the manifest layout.
const ManifestFormat = 1

// Manifest describes one archived partition. It is stored as JSON next to the data
// object (key: the data key with ".manifest.json" instead of ".parquet", the SHA-256 of
// the bytes in the object's metadata) and in the catalog with the same hash, so the
// catalog can be rebuilt from the store ([RebuildCatalog]). Its text is never run as
// SQL (see the package documentation, "Manifest integrity").
type Manifest struct {
	Format    int    `json:"format"`
	ID        string `json:"id"`
	Table     string `json:"table"`     // the parent, schema.table (unquoted, for people)
	Partition string `json:"partition"` // schema.table (unquoted, for people)
	// TableName and PartitionName are the exact names, which Table and Partition cannot
	// carry unambiguously (a quote, a dot, upper case); empty in manifests written before
	// they existed, whose names are then read from Table and Partition split at the
	// first dot.
	TableName     *QualifiedName `json:"table_name,omitempty"`
	PartitionName *QualifiedName `json:"partition_name,omitempty"`
	// Bounds is the partition bound clause, e.g. FOR VALUES FROM ('2024-09-01') TO ('2024-10-01').
	Bounds string    `json:"bounds"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Rows   int64     `json:"rows"`
	Bytes  int64     `json:"bytes"`
	SHA256 string    `json:"sha256"`
	Object string    `json:"object"`
	// Columns are the partition's columns with per-column null counts and min/max.
	Columns []ColumnManifest `json:"columns"`
	// DDL recreates the partition under its parent; Indexes and Constraints are the
	// partition's own definitions (pg_get_indexdef, pg_get_constraintdef).
	DDL           string       `json:"ddl"`
	Indexes       []string     `json:"indexes"`
	Constraints   []string     `json:"constraints"`
	Tenants       []TenantRows `json:"tenants"`
	PolicyVersion string       `json:"policy_version"`
	ArchivedBy    string       `json:"archived_by"`
	ArchivedAt    time.Time    `json:"archived_at"`
	// State is the lifecycle state when the manifest was last written: "recorded" while
	// the partition is still attached, then "dropped" or "kept".
	State string `json:"state"`
	// Detached names the table holding the rows when kept detached (schema.table,
	// unquoted, for people); DetachedName is its exact name.
	Detached     string         `json:"detached,omitempty"`
	DetachedName *QualifiedName `json:"detached_name,omitempty"`
}

// QualifiedName is an exact schema-qualified name (no quoting, no case folding).
type QualifiedName struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

// tenantIDs lists the tenants present in the archive, as the catalog's tenants column
// holds them.
func (m *Manifest) tenantIDs() []string {
	ids := make([]string, len(m.Tenants))
	for i, t := range m.Tenants {
		ids[i] = t.Tenant
	}
	return ids
}

func qualified(n governance.QualifiedName) *QualifiedName {
	return &QualifiedName{Schema: n.Schema, Name: n.Name}
}

// exactName returns the exact name recorded in q, or, for an older manifest, the plain
// "schema.table" text split at its first dot (never parsed with SQL rules, which would
// fold case or reject a quote).
func exactName(q *QualifiedName, text string) (governance.QualifiedName, error) {
	n := governance.QualifiedName{}
	if q != nil {
		n = governance.QualifiedName{Schema: q.Schema, Name: q.Name}
	} else if s, t, ok := strings.Cut(text, "."); ok {
		n = governance.QualifiedName{Schema: s, Name: t}
	} else {
		n = governance.QualifiedName{Schema: "public", Name: text}
	}
	if err := sqlident.Check(n.Schema); err != nil {
		return n, fmt.Errorf("archive: manifest name %q: schema: %w", text, err)
	}
	if err := sqlident.Check(n.Name); err != nil {
		return n, fmt.Errorf("archive: manifest name %q: %w", text, err)
	}
	return n, nil
}

// ColumnManifest is a column with its PostgreSQL definition and export statistics.
type ColumnManifest struct {
	ColumnDef
	Kind  ColumnKind `json:"kind"`
	Nulls int64      `json:"nulls"`
	Min   string     `json:"min,omitempty"`
	Max   string     `json:"max,omitempty"`
}

const (
	dataSuffix     = ".parquet"
	manifestSuffix = ".manifest.json"
)

// objectKey is where a partition's data goes: prefix/schema.parent/partition/id.parquet.
// Only catalog names appear in keys, never data values.
func objectKey(prefix, parent, partition, id string) string {
	return strings.TrimSuffix(prefix, "/") + "/" + parent + "/" + partition + "/" + id + dataSuffix
}

func manifestKey(object string) string {
	return strings.TrimSuffix(object, dataSuffix) + manifestSuffix
}

// writeManifest writes m next to its data object, with the SHA-256 of the bytes in the
// object's metadata (one request: the hash is never out of step with the bytes). The
// same bytes and hash go to the catalog ([recordState]).
func writeManifest(ctx context.Context, store *blob.Bucket, m *Manifest) error {
	b, sum, err := encodeManifest(m)
	if err != nil {
		return err
	}
	opts := &blob.WriterOptions{ContentType: "application/json", Metadata: map[string]string{manifestSHAKey: sum}}
	if err := store.WriteAll(ctx, manifestKey(m.Object), b, opts); err != nil {
		return fmt.Errorf("write manifest %s: %w", manifestKey(m.Object), err)
	}
	return nil
}

// writeEntryManifest writes the manifest of catalog entry e to the store as the catalog
// holds it: the exact bytes the catalog's hash covers (a re-encoding by another SDK
// version could differ), or, for an entry recorded before manifests were hashed,
// e.Manifest encoded. A catalog manifest that does not match its hash is refused, never
// copied to the store with a fresh one.
func writeEntryManifest(ctx context.Context, store *blob.Bucket, e *Entry) error {
	legacy, err := checkCatalogManifest(e)
	if err != nil {
		return err
	}
	if legacy {
		return writeManifest(ctx, store, &e.Manifest)
	}
	key := manifestKey(e.Manifest.Object)
	opts := &blob.WriterOptions{ContentType: "application/json", Metadata: map[string]string{manifestSHAKey: e.ManifestSHA256}}
	if err := store.WriteAll(ctx, key, e.manifestJSON, opts); err != nil {
		return fmt.Errorf("write manifest %s: %w", key, err)
	}
	return nil
}

// ReadManifests lists every manifest under prefix in store, in key order. It needs no
// database: govctl's "archive list --store" uses it. A manifest whose bytes do not
// match the SHA-256 recorded beside them is refused with a [*ManifestError]
// ([ErrManifestTampered]); one written before manifests were hashed is listed.
func ReadManifests(ctx context.Context, store *blob.Bucket, prefix string) ([]Manifest, error) {
	ss, err := readManifests(ctx, store, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]Manifest, len(ss))
	for i, s := range ss {
		out[i] = s.m
	}
	return out, nil
}

// listedManifest is a manifest read from the store, decoded.
type listedManifest struct {
	storedManifest
	m Manifest
}

// readManifests reads the manifests under prefix, refusing one whose bytes do not match
// the SHA-256 in its metadata.
func readManifests(ctx context.Context, store *blob.Bucket, prefix string) ([]listedManifest, error) {
	it := store.List(&blob.ListOptions{Prefix: prefix})
	var out []listedManifest
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("archive: list store: %w", err)
		}
		if obj.IsDir || !strings.HasSuffix(obj.Key, manifestSuffix) {
			continue
		}
		s, err := readStoredManifest(ctx, store, obj.Key)
		if err != nil {
			return nil, fmt.Errorf("archive: read manifest %s: %w", obj.Key, err)
		}
		// A manifest that does not match the hash beside it is not even decoded.
		if err := s.check("", "", true); err != nil {
			return nil, err
		}
		var m Manifest
		if err := json.Unmarshal(s.bytes, &m); err != nil {
			return nil, fmt.Errorf("archive: manifest %s is not valid JSON (%v); restore it from the catalog's manifest_json column", obj.Key, err)
		}
		if m.Format != ManifestFormat || m.ID == "" {
			return nil, fmt.Errorf("archive: manifest %s has format %d; this version reads format %d", obj.Key, m.Format, ManifestFormat)
		}
		out = append(out, listedManifest{storedManifest: *s, m: m})
	}
	return out, nil
}
