package migrate

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	amigrate "ariga.io/atlas/sql/migrate"
)

// atlasDir adapts an fs.FS to Atlas's migrate.Dir so that the checksum file is computed
// by Atlas's own code (migrate.NewHashFile) and stays readable by Atlas tooling.
type atlasDir struct {
	fs.FS
	path string // "" = read-only
}

var _ amigrate.Dir = atlasDir{}

func (a atlasDir) WriteFile(name string, b []byte) error {
	if a.path == "" {
		return fmt.Errorf("migrate: the migration directory is not on disk; cannot write %s", name)
	}
	return writeFileAtomic(filepath.Join(a.path, name), b)
}

func (a atlasDir) Files() ([]amigrate.File, error) {
	names, err := sqlFiles(a.FS)
	if err != nil {
		return nil, err
	}
	files := make([]amigrate.File, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(a.FS, n)
		if err != nil {
			return nil, err
		}
		files = append(files, amigrate.NewLocalFile(n, b))
	}
	return files, nil
}

func (a atlasDir) Checksum() (amigrate.HashFile, error) {
	files, err := a.Files()
	if err != nil {
		return nil, err
	}
	return amigrate.NewHashFile(files)
}

// writeFileAtomic writes through a temp file and a rename so that a crash never leaves
// a half-written atlas.sum or migration file behind.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func readSum(fsys fs.FS) (amigrate.HashFile, []byte, error) {
	b, err := fs.ReadFile(fsys, SumFile)
	if err != nil {
		return nil, nil, err
	}
	var hf amigrate.HashFile
	if err := hf.UnmarshalText(b); err != nil {
		if errors.Is(err, amigrate.ErrChecksumMismatch) {
			return nil, nil, fmt.Errorf("%w: its total line does not match its entries (hand-edited or merge conflict?); run govctl migrate hash after reviewing the files", ErrCorruptSum)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrCorruptSum, err)
	}
	return hf, b, nil
}

// checkSum compares the directory's files (as already read by load, in sqlFiles order)
// with atlas.sum and names the first file that differs: a file missing from the sum, an
// entry whose file is gone, or an edited file. The sum is computed by hashFiles
// (Atlas's NewHashFile algorithm), so it is the same as atlasDir.Checksum without
// reading the files again.
func (d *Dir) checkSum(parsed []*File, sum amigrate.HashFile) error {
	if matchesSum(parsed, sum) {
		return nil // the usual case, without building what names a difference
	}
	files := make([]amigrate.File, len(parsed))
	for i, f := range parsed {
		files[i] = amigrate.NewLocalFile(f.Name, f.Bytes)
	}
	want, err := hashFiles(files)
	if err != nil {
		return fmt.Errorf("migrate: compute checksums: %w", err)
	}
	inSum := map[string]string{}
	for _, e := range sum {
		inSum[e.N] = e.H
	}
	computed := map[string]bool{}
	for _, e := range want {
		computed[e.N] = true
		if _, ok := inSum[e.N]; !ok {
			return &FileError{File: d.filePath(e.N), Err: ErrNotInSum}
		}
	}
	for _, e := range sum {
		if !computed[e.N] {
			return &FileError{File: d.filePath(e.N), Err: ErrRemovedFromDir}
		}
	}
	// Same names in the same (sorted) order: Atlas's hashes are cumulative, so the first
	// differing entry is the edited file.
	for i, e := range want {
		if sum[i].N != e.N || sum[i].H != e.H {
			return &FileError{File: d.filePath(e.N), Err: ErrChecksumMismatch}
		}
	}
	return nil
}

// matchesSum reports whether files hash to exactly the entries of sum, computing
// Atlas's cumulative hash without allocating per file: every service start with the
// directory unchanged ends here. False sends checkSum to the path that names the
// difference (and leaves any "atlas:" directive to Atlas's own code).
func matchesSum(files []*File, sum amigrate.HashFile) bool {
	if len(files) != len(sum) {
		return false
	}
	h := sha256.New()
	var digest [sha256.Size]byte
	var text [44]byte // base64 of 32 bytes
	for i, f := range files {
		if sum[i].N != f.Name || bytes.Contains(f.Bytes, atlasDirectiveMarker) {
			return false
		}
		h.Write([]byte(f.Name))
		h.Write(f.Bytes)
		base64.StdEncoding.Encode(text[:], h.Sum(digest[:0]))
		if string(text[:]) != sum[i].H {
			return false
		}
	}
	return true
}

// hashFiles computes the same atlas.sum entries as Atlas's migrate.NewHashFile, faster.
// NewHashFile runs an `atlas:sum` directive regexp over every whole file, which was a
// third of loading a 200-version directory (BENCHMARKS.md, startup-noop-load). That
// regexp can only match a file that contains "atlas:", so when no file does, the
// cumulative SHA-256 is computed here directly; otherwise Atlas's own code decides.
// TestHashFilesMatchesAtlas holds the two equal.
func hashFiles(files []amigrate.File) (amigrate.HashFile, error) {
	for _, f := range files {
		if bytes.Contains(f.Bytes(), atlasDirectiveMarker) {
			return amigrate.NewHashFile(files)
		}
	}
	hs := make(amigrate.HashFile, 0, len(files))
	h := sha256.New()
	var sum [sha256.Size]byte
	for _, f := range files {
		h.Write([]byte(f.Name()))
		h.Write(f.Bytes())
		hs = append(hs, struct{ N, H string }{f.Name(), base64.StdEncoding.EncodeToString(h.Sum(sum[:0]))})
	}
	return hs, nil
}

var atlasDirectiveMarker = []byte("atlas:")

// Hash rewrites atlas.sum in the directory at path from its current files, as
// "atlas migrate hash" does. Run it after a reviewed hand edit.
func Hash(path string) error {
	dir := atlasDir{FS: os.DirFS(path), path: path}
	sum, err := dir.Checksum()
	if err != nil {
		return fmt.Errorf("migrate: hash %s: %w", path, err)
	}
	if err := amigrate.WriteSumFile(dir, sum); err != nil {
		return fmt.Errorf("migrate: write %s: %w", filepath.Join(path, SumFile), err)
	}
	return nil
}

// New writes an empty forward/rollback pair named <version>_<name> into the directory
// at path, with the version taken from now in UTC, and rehashes atlas.sum. It returns
// the two file paths.
func New(path, name string, now time.Time) (up, down string, err error) {
	if !nameRE.MatchString(name) {
		return "", "", fmt.Errorf("migrate: migration name %q: use lower-case letters, digits and underscores, starting with a letter or digit (e.g. add_reviews)", name)
	}
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		return "", "", fmt.Errorf("migrate: %s is not a directory; create it first", path)
	}
	version := now.UTC().Format(VersionLayout)
	existing, err := sqlFiles(os.DirFS(path))
	if err != nil {
		return "", "", fmt.Errorf("migrate: read %s: %w", path, err)
	}
	for _, n := range existing {
		if m := fileRE.FindStringSubmatch(n); m != nil && m[1] >= version {
			return "", "", fmt.Errorf("migrate: %s already has version %s, not older than %s; wait a second or check the clock", path, m[1], version)
		}
	}
	base := filepath.Join(path, version+"_"+name)
	up, down = base+".up.sql", base+".down.sql"
	upText := "-- " + name + ": forward migration.\n-- Directives go in this leading block, e.g. -- lsos:no-transaction\n"
	downText := "-- " + name + ": rollback of " + version + "_" + name + ".up.sql.\n"
	if err := writeFileAtomic(up, []byte(upText)); err != nil {
		return "", "", fmt.Errorf("migrate: %w", err)
	}
	if err := writeFileAtomic(down, []byte(downText)); err != nil {
		return "", "", fmt.Errorf("migrate: %w", err)
	}
	return up, down, Hash(path)
}

// SumFS returns the atlas.sum content for the .sql files at the root of fsys, as
// [Hash] would write it: tools that build a directory in memory (an import, a test)
// use it to produce the checksum file.
func SumFS(fsys fs.FS) ([]byte, error) {
	hf, err := atlasDir{FS: fsys}.Checksum()
	if err != nil {
		return nil, fmt.Errorf("migrate: compute checksums: %w", err)
	}
	return hf.MarshalText()
}
