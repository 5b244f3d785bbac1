package alembic

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The checksum file, lsos-alembic.sum, sits in the script directory and records the
// SHA-256 of every revision file when it is first seen, like atlas.sum does for a
// native directory; [Project.Findings] reports a recorded file that was edited
// afterwards (checksum-mismatch). Its format:
//
//	h1:<base64 SHA-256 of the entry lines>
//	versions/1a2b3c4d5e01_tenants_users.py h1:<base64 SHA-256 of the file>
//	…
//
// Entries are sorted by name (the path relative to the script directory) and each
// hashes its file alone, so recording a new revision never changes the entry of an
// old one. The first line guards the file itself against hand edits and merge
// conflicts.

// ErrCorruptSum: the checksum file cannot be read.
var ErrCorruptSum = errors.New("lsos-alembic.sum is not a valid checksum file")

// SumEntry is one line of the checksum file.
type SumEntry struct {
	Name string // path relative to the script directory
	Hash string // base64 SHA-256 of the file
}

func encodeSum(entries []SumEntry) []byte {
	slices.SortFunc(entries, func(a, b SumEntry) int { return strings.Compare(a.Name, b.Name) })
	var body strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&body, "%s h1:%s\n", e.Name, e.Hash)
	}
	total := sha256.Sum256([]byte(body.String()))
	return []byte("h1:" + base64.StdEncoding.EncodeToString(total[:]) + "\n" + body.String())
}

func decodeSum(b []byte) ([]SumEntry, error) {
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	first, body, _ := strings.Cut(text, "\n")
	if !strings.HasPrefix(first, "h1:") {
		return nil, fmt.Errorf("%w: the first line must be h1:<total>", ErrCorruptSum)
	}
	total := sha256.Sum256([]byte(body))
	if base64.StdEncoding.EncodeToString(total[:]) != strings.TrimPrefix(first, "h1:") {
		return nil, fmt.Errorf("%w: its total line does not match its entries (hand-edited or a merge conflict?); review the revision files, then rewrite it with Project.Rehash", ErrCorruptSum)
	}
	var out []SumEntry
	for i, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if l == "" {
			continue
		}
		j := strings.LastIndex(l, " h1:")
		if j <= 0 {
			return nil, fmt.Errorf("%w: line %d: want <file> h1:<hash>", ErrCorruptSum, i+2)
		}
		out = append(out, SumEntry{Name: l[:j], Hash: l[j+len(" h1:"):]})
	}
	return out, nil
}

// sumPath is the checksum file's path relative to the project directory.
func (p *Project) sumPath() string { return path.Join(p.ScriptDir, SumFile) }

// Sum reads the checksum file. It returns (nil, nil) when there is none.
func (p *Project) Sum() ([]SumEntry, error) {
	b, err := fs.ReadFile(p.fsys, p.sumPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alembic: %w", err)
	}
	es, err := decodeSum(b)
	if err != nil {
		return nil, &FileError{File: p.show(p.sumPath()), Err: err}
	}
	return es, nil
}

// RecordSum records the checksum of every revision file the checksum file does not
// list yet, keeping every recorded entry as it is (an edited file stays reported),
// and returns the names it added. It creates the file on first use. Run it when a
// revision is added (CI on the main branch, or govctl).
func (p *Project) RecordSum() ([]string, error) {
	old, err := p.Sum()
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range old {
		have[e.Name] = true
	}
	var added []string
	for _, r := range p.Revisions {
		if !have[r.Name] {
			old = append(old, SumEntry{Name: r.Name, Hash: r.Checksum})
			added = append(added, r.Name)
		}
	}
	if len(added) == 0 && old != nil {
		return nil, nil
	}
	return added, p.writeSum(old)
}

// Rehash rewrites the checksum file from the revision files as they are now,
// accepting every edit and dropping the entries of removed files. Run it only after
// reviewing why a recorded revision changed.
func (p *Project) Rehash() error {
	es := make([]SumEntry, len(p.Revisions))
	for i, r := range p.Revisions {
		es[i] = SumEntry{Name: r.Name, Hash: r.Checksum}
	}
	return p.writeSum(es)
}

func (p *Project) writeSum(es []SumEntry) error {
	if p.Dir == "" {
		return fmt.Errorf("alembic: writing %s needs the project on disk; open it with alembic.Open", SumFile)
	}
	return writeFileAtomic(p.diskPath(p.sumPath()), encodeSum(es))
}

func (p *Project) show(rel string) string {
	if p.Dir == "" {
		return rel
	}
	return p.diskPath(rel)
}

// writeFileAtomic writes through a temp file and a rename.
func writeFileAtomic(name string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return fmt.Errorf("alembic: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("alembic: write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("alembic: write %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("alembic: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("alembic: %w", err)
	}
	return nil
}

// ErrChecksumMismatch: a revision file differs from its recorded checksum, or a
// recorded file is gone.
var ErrChecksumMismatch = errors.New("revision file edited or removed after its checksum was recorded in " + SumFile + "; restore it, or review the change and run Project.Rehash")

// VerifySum checks the revision files against the checksum file, for start-up: a
// recorded file that was edited or removed is a *[FileError] wrapping
// [ErrChecksumMismatch] (the first one, in name order). Files not recorded yet and a
// missing checksum file are not errors here ([Project.Findings] reports them).
func (p *Project) VerifySum() error {
	es, err := p.Sum()
	if err != nil || es == nil {
		return err
	}
	byName := map[string]*Revision{}
	for _, r := range p.Revisions {
		byName[r.Name] = r
	}
	for _, e := range es {
		r := byName[e.Name]
		switch {
		case r == nil:
			return &FileError{File: p.show(p.sumPath()), Err: fmt.Errorf("%w: %s", ErrChecksumMismatch, e.Name)}
		case r.Checksum != e.Hash:
			return &FileError{File: r.File, Err: ErrChecksumMismatch}
		}
	}
	return nil
}
