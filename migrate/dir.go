package migrate

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// VersionLayout is the time layout of a version: a UTC timestamp YYYYMMDDHHMMSS.
const VersionLayout = "20060102150405"

// SumFile is the name of the checksum file, compatible with Atlas's atlas.sum.
const SumFile = "atlas.sum"

// fileRE matches <version>_<name>.up.sql and <version>_<name>.down.sql.
var fileRE = regexp.MustCompile(`^([0-9]{14})_([a-z0-9][a-z0-9_]*)\.(up|down)\.sql$`)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// Dir is a loaded, validated migration directory. Use [Load] for a path on disk and
// [LoadFS] for any fs.FS (an embed.FS in a service).
type Dir struct {
	// Versions are in ascending version order.
	Versions []*Version

	fsys fs.FS
	path string // "" when the directory is not on disk
}

// Version is one migration: a forward and a rollback file sharing a version and name.
// The directives of the forward file are embedded, so v.Deprecates, v.Allows and
// v.Breaking read what the version declares.
type Version struct {
	Version string    // "20261126120000"
	Name    string    // "add_reviews"
	Time    time.Time // the version as a UTC time
	Up      *File
	Down    *File
	Directives
}

// ID returns "<version>_<name>".
func (v *Version) ID() string { return v.Version + "_" + v.Name }

// File is one migration file, parsed.
type File struct {
	Name       string // base name, e.g. 20261126120000_add_reviews.up.sql
	Bytes      []byte
	Checksum   string // base64 SHA-256 of Bytes, as recorded in the revisions table
	Directives Directives
	Statements []Statement
}

// Path returns the file's path for messages: the disk path when known.
func (d *Dir) filePath(name string) string {
	if d.path == "" {
		return name
	}
	return d.path + string(os.PathSeparator) + name
}

// Path returns the directory's path on disk, or "" for an fs.FS.
func (d *Dir) Path() string { return d.path }

// FS returns the directory's file system.
func (d *Dir) FS() fs.FS { return d.fsys }

// Lookup returns the version with the given version string, or nil.
func (d *Dir) Lookup(version string) *Version {
	i := sort.Search(len(d.Versions), func(i int) bool { return d.Versions[i].Version >= version })
	if i < len(d.Versions) && d.Versions[i].Version == version {
		return d.Versions[i]
	}
	return nil
}

// Load reads and validates the migration directory at path.
func Load(path string) (*Dir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("migrate: migration directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("migrate: %s is not a directory; pass the folder that holds the .up.sql/.down.sql files", path)
	}
	d, err := load(os.DirFS(path), path)
	return d, err
}

// LoadFS reads and validates a migration directory from the root of fsys (use fs.Sub
// for a sub-folder of an embed.FS).
func LoadFS(fsys fs.FS) (*Dir, error) { return load(fsys, "") }

func load(fsys fs.FS, path string) (*Dir, error) {
	d := &Dir{fsys: fsys, path: path}
	names, err := sqlFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("migrate: read migration directory: %w", err)
	}
	sum, err := readSum(fsys)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if len(names) == 0 {
				return d, nil
			}
			return nil, &FileError{File: d.filePath(SumFile), Err: ErrNoSum}
		}
		return nil, &FileError{File: d.filePath(SumFile), Err: err}
	}
	byVersion := map[string]*Version{}
	for _, n := range names {
		m := fileRE.FindStringSubmatch(n)
		if m == nil {
			return nil, &FileError{File: d.filePath(n), Err: ErrBadName}
		}
		ts, err := time.Parse(VersionLayout, m[1])
		if err != nil {
			return nil, &FileError{File: d.filePath(n), Err: fmt.Errorf("%w: version %s is not a valid timestamp YYYYMMDDHHMMSS", ErrBadName, m[1])}
		}
		v := byVersion[m[1]]
		if v == nil {
			v = &Version{Version: m[1], Name: m[2], Time: ts}
			byVersion[m[1]] = v
		} else if v.Name != m[2] {
			return nil, &FileError{File: d.filePath(n), Err: fmt.Errorf("%w: version %s is also used by %s_%s; give one of them a new version (govctl migrate new)", ErrDuplicateVersion, m[1], m[1], v.Name)}
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", d.filePath(n), err)
		}
		f, err := parseFile(d.filePath(n), n, b, ts)
		if err != nil {
			return nil, err
		}
		if m[3] == "up" {
			v.Up = f
			v.Directives = f.Directives
		} else {
			v.Down = f
		}
	}
	for _, v := range byVersion {
		switch {
		case v.Down == nil:
			return nil, &FileError{File: d.filePath(v.ID() + ".up.sql"), Err: fmt.Errorf("%w: add %s.down.sql that undoes it", ErrMissingRollback, v.ID())}
		case v.Up == nil:
			return nil, &FileError{File: d.filePath(v.ID() + ".down.sql"), Err: fmt.Errorf("%w: %s.up.sql is missing", ErrMissingForward, v.ID())}
		}
		d.Versions = append(d.Versions, v)
	}
	sort.Slice(d.Versions, func(i, j int) bool { return d.Versions[i].Version < d.Versions[j].Version })
	if err := d.checkSum(names, sum); err != nil {
		return nil, err
	}
	return d, nil
}

// sqlFiles lists the *.sql files at the root of fsys, sorted as Atlas sorts them.
func sqlFiles(fsys fs.FS) ([]string, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func parseFile(path, name string, b []byte, ts time.Time) (*File, error) {
	dirs, err := parseDirectives(path, b, ts)
	if err != nil {
		return nil, err
	}
	stmts, err := splitStatements(path, b)
	if err != nil {
		return nil, err
	}
	if !dirs.NoTransaction {
		if err := checkTxSafe(path, b, stmts); err != nil {
			return nil, err
		}
	}
	h := sha256.Sum256(b)
	return &File{Name: name, Bytes: b, Checksum: base64.StdEncoding.EncodeToString(h[:]), Directives: dirs, Statements: stmts}, nil
}
