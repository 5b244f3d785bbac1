package review

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// File is one migration version as the review sees it: the forward SQL, the rollback
// SQL when there is one, and the directives of the forward file.
type File struct {
	Version string    // UTC timestamp YYYYMMDDHHMMSS
	Name    string    // file name of the forward file, e.g. 20260107000000_add_x.up.sql
	Time    time.Time // the version as a time (UTC)
	SQL     string    // forward SQL
	Down    string    // rollback SQL ("" with HasDown false when the file is missing)
	HasDown bool
	// Directives of the forward file; filled by [ParseDirectives] when nil.
	Directives *Directives
}

// Dir is a migration directory: its versions in order and the raw checksum file.
type Dir struct {
	Files []File
	// Sum is the content of atlas.sum (nil when the directory has none).
	Sum []byte
	// Raw maps every .sql file name to its bytes, in the order atlas hashes them.
	Raw []RawFile
	// Approvals is the content of approvals.yaml (nil when absent).
	Approvals []byte
}

// RawFile is one .sql file of the directory, for checksums.
type RawFile struct {
	Name string
	Data []byte
}

var fileRe = regexp.MustCompile(`^(\d{14})_([A-Za-z0-9_\-]+)\.(up|down)\.sql$`)

// ErrBadDir reports a migration directory that cannot be read as one.
var ErrBadDir = errors.New("review: bad migration directory")

// LoadFS reads a migration directory (<version>_<name>.up.sql / .down.sql, atlas.sum,
// approvals.yaml) from fsys. It is the review's own small loader; package migrate
// converts its directory type with [FromVersions].
func LoadFS(fsys fs.FS) (*Dir, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadDir, err)
	}
	d := &Dir{}
	byVersion := map[string]*File{}
	var order []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadDir, err)
		}
		switch {
		case name == "atlas.sum":
			d.Sum = data
			continue
		case name == "approvals.yaml" || name == "approvals.yml":
			d.Approvals = data
			continue
		case path.Ext(name) != ".sql":
			continue
		}
		d.Raw = append(d.Raw, RawFile{Name: name, Data: data})
		m := fileRe.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("%w: file %q: want <YYYYMMDDHHMMSS>_<name>.up.sql or .down.sql", ErrBadDir, name)
		}
		f := byVersion[m[1]]
		if f == nil {
			t, err := time.Parse("20060102150405", m[1])
			if err != nil {
				return nil, fmt.Errorf("%w: file %q: version is not a UTC timestamp YYYYMMDDHHMMSS", ErrBadDir, name)
			}
			f = &File{Version: m[1], Time: t}
			byVersion[m[1]] = f
			order = append(order, m[1])
		}
		if m[3] == "up" {
			f.Name, f.SQL = name, string(data)
		} else {
			f.Down, f.HasDown = string(data), true
		}
	}
	slices.Sort(order)
	for _, v := range order {
		f := byVersion[v]
		if f.Name == "" {
			return nil, fmt.Errorf("%w: version %s has a .down.sql but no .up.sql", ErrBadDir, v)
		}
		d.Files = append(d.Files, *f)
	}
	slices.SortFunc(d.Raw, func(a, b RawFile) int { return strings.Compare(a.Name, b.Name) })
	return d, nil
}

// VersionTime parses a version timestamp.
func VersionTime(v string) (time.Time, error) {
	t, err := time.Parse("20060102150405", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("review: version %q is not a UTC timestamp YYYYMMDDHHMMSS", v)
	}
	return t, nil
}
