package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Sentinel errors of manifest integrity; a [*ManifestError] wraps one of them.
var (
	// ErrManifestTampered: a manifest does not match the SHA-256 recorded for it (in the
	// catalog, or beside it in the store). Nothing from it was used.
	ErrManifestTampered = errors.New("archive: manifest does not match its recorded SHA-256")
	// ErrManifestUnhashed: a manifest has no recorded SHA-256 (written before the SDK
	// recorded one) where one is required, e.g. by [RebuildCatalog] without
	// [TrustUnhashedManifests].
	ErrManifestUnhashed = errors.New("archive: manifest has no recorded SHA-256")
	// ErrManifestInvalid: a manifest holds a value that [Restore] refuses to use (a column
	// type the server does not resolve to the same type name, bounds that are not a time
	// range matching its from/to, an index definition that is not one CREATE INDEX on
	// the archived partition, a bad name). Nothing was executed.
	ErrManifestInvalid = errors.New("archive: manifest refused")
)

// ManifestError says which archive's manifest was refused and why; errors.Is matches
// [ErrManifestTampered], [ErrManifestUnhashed] or [ErrManifestInvalid].
type ManifestError struct {
	ID     string // the archive id (empty when the manifest could not be read)
	Object string // the manifest's key in the store
	// Field names the refused part for ErrManifestInvalid ("columns[2].type", "bounds",
	// "indexes[0]", …); empty otherwise.
	Field string
	// Recorded and Actual are the SHA-256 values for ErrManifestTampered (Recorded
	// empty for ErrManifestUnhashed).
	Recorded, Actual string
	Err              error
}

func (e *ManifestError) Error() string {
	var b strings.Builder
	b.WriteString("archive: manifest ")
	b.WriteString(e.Object)
	if e.ID != "" {
		b.WriteString(" (archive " + e.ID + ")")
	}
	switch {
	case errors.Is(e.Err, ErrManifestTampered):
		fmt.Fprintf(&b, " has sha256 %s, but %s was recorded for it: it was changed after the archive wrote it; nothing from it was used (put the genuine manifest back: the store's copy, the catalog's manifest_json and a backup hold the same bytes)", e.Actual, e.Recorded)
	case errors.Is(e.Err, ErrManifestUnhashed):
		b.WriteString(" has no recorded SHA-256 (written before manifests were hashed); nothing from it was used (check it, then pass archive.TrustUnhashedManifests() to accept such manifests)")
	default:
		if e.Field != "" {
			b.WriteString(": " + e.Field)
		}
		fmt.Fprintf(&b, ": %v; nothing was executed", e.Err)
	}
	return b.String()
}

func (e *ManifestError) Unwrap() error { return e.Err }

// invalidManifest returns a ManifestError for a refused value of m.
func invalidManifest(m *Manifest, field string, err error) *ManifestError {
	return &ManifestError{ID: m.ID, Object: manifestKey(m.Object), Field: field, Err: fmt.Errorf("%w: %w", ErrManifestInvalid, err)}
}

// manifestSHAKey is the metadata key of a manifest object holding the SHA-256 of its
// bytes. (Metadata is written with the object in one request, so the hash is never
// out of step with the bytes it covers; keys are lower case because stores fold them.)
const manifestSHAKey = "lsos-manifest-sha256"

// encodeManifest returns the bytes of m as they are stored (in the store and in the
// catalog's manifest_json column) and their SHA-256 in hex.
func encodeManifest(m *Manifest) ([]byte, string, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, "", err
	}
	return b, sha256Hex(b), nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// storedManifest is a manifest object read from the store.
type storedManifest struct {
	key      string
	bytes    []byte
	recorded string // the SHA-256 in its metadata; empty for a manifest written before
	actual   string // the SHA-256 of bytes
}

// readStoredManifest reads the manifest at key with the SHA-256 recorded in its
// metadata. It checks nothing; see check.
func readStoredManifest(ctx context.Context, store *blob.Bucket, key string) (*storedManifest, error) {
	attrs, err := store.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	b, err := store.ReadAll(ctx, key)
	if err != nil {
		return nil, err
	}
	s := &storedManifest{key: key, bytes: b, actual: sha256Hex(b)}
	for k, v := range attrs.Metadata {
		if strings.EqualFold(k, manifestSHAKey) {
			s.recorded = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return s, nil
}

// check refuses the stored manifest when its bytes do not match the hash recorded
// beside them, or, with want set (the catalog's record), when they do not match want.
// A manifest with no hash beside it passes only when unhashedOK.
func (s *storedManifest) check(id, want string, unhashedOK bool) error {
	if s.recorded != "" && s.recorded != s.actual {
		return &ManifestError{ID: id, Object: s.key, Recorded: s.recorded, Actual: s.actual, Err: ErrManifestTampered}
	}
	if want != "" && want != s.actual {
		return &ManifestError{ID: id, Object: s.key, Recorded: want, Actual: s.actual, Err: ErrManifestTampered}
	}
	if s.recorded == "" && want == "" && !unhashedOK {
		return &ManifestError{ID: id, Object: s.key, Actual: s.actual, Err: ErrManifestUnhashed}
	}
	return nil
}

// checkCatalogManifest checks the manifest of a catalog entry against the SHA-256 the
// catalog recorded for it. An entry recorded before manifests were hashed (no SHA-256)
// passes with legacy set: the caller warns.
func checkCatalogManifest(e *Entry) (legacy bool, err error) {
	if e.ManifestSHA256 == "" {
		return true, nil
	}
	actual := ""
	if e.manifestJSON != nil {
		actual = sha256Hex(e.manifestJSON)
	}
	if actual != e.ManifestSHA256 {
		return false, &ManifestError{ID: e.ID, Object: manifestKey(e.Object), Recorded: e.ManifestSHA256, Actual: actual, Err: ErrManifestTampered}
	}
	return false, nil
}

// verifyStoredManifest checks the manifest of entry e in the store: its bytes against
// the SHA-256 in its metadata and against the catalog's. Before the record step there
// is no manifest in the store yet, and that is not an error.
func verifyStoredManifest(ctx context.Context, store *blob.Bucket, e *Entry) error {
	key := manifestKey(e.Object)
	s, err := readStoredManifest(ctx, store, key)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			switch e.State {
			case statePending, stateUploaded, stateVerified:
				return nil
			}
			return fmt.Errorf("%w: the manifest %s of %s is missing from the store (re-create it from the catalog's manifest_json column)", ErrVerify, key, e.ID)
		}
		return fmt.Errorf("archive: read manifest %s: %w", key, err)
	}
	if err := s.check(e.ID, e.ManifestSHA256, true); err != nil {
		if e.State == stateRecorded || e.State == stateDetached {
			// An archive.Run interrupted between writing the final manifest and recording
			// its state leaves them apart until it is re-run.
			return fmt.Errorf("%w (if an archive.Run of this partition was interrupted, re-run it first)", err)
		}
		return err
	}
	return nil
}

// verifyManifests checks both copies of e's manifest: the catalog's against the hash
// recorded with it, and the store's against the hashes beside it and in the catalog.
func verifyManifests(ctx context.Context, store *blob.Bucket, e *Entry) error {
	if _, err := checkCatalogManifest(e); err != nil {
		return err
	}
	return verifyStoredManifest(ctx, store, e)
}

// logger returns l, or a logger that discards when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
