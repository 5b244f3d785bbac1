package migrate

import (
	amigrate "ariga.io/atlas/sql/migrate"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// VersionLayout is the time layout of a version: a UTC timestamp YYYYMMDDHHMMSS.
const VersionLayout = "20060102150405"

// SumFile is the name of the checksum file, compatible with Atlas's atlas.sum.
const SumFile = "atlas.sum"

// fileRE matches <version>_<name>.up.sql and <version>_<name>.down.sql.
var fileRE = regexp.MustCompile(`^([0-9]{14})_([a-z0-9][a-z0-9_]*)\.(up|down)\.sql$`)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// matchFileName is fileRE.FindStringSubmatch without the regexp engine (it showed in
// the start-up profile: every file of the directory is matched on every load). It
// returns nil or {name, version, name part, "up"|"down"}, as the regexp would.
func matchFileName(n string) []string {
	var dir string
	switch {
	case strings.HasSuffix(n, ".up.sql"):
		dir = "up"
	case strings.HasSuffix(n, ".down.sql"):
		dir = "down"
	default:
		return nil
	}
	stem := n[:len(n)-len(dir)-len("..sql")]
	if len(stem) < 16 || stem[14] != '_' {
		return nil
	}
	for i := 0; i < 14; i++ {
		if stem[i] < '0' || stem[i] > '9' {
			return nil
		}
	}
	name := stem[15:]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' && i > 0) {
			return nil
		}
	}
	return []string{n, stem[:14], name, dir}
}

// Dir is a loaded, validated migration directory. Use [Load] for a path on disk and
// [LoadFS] for any fs.FS (an embed.FS in a service).
type Dir struct {
	// Versions are in ascending version order.
	Versions []*Version

	fsys fs.FS
	path string // "" when the directory is not on disk

	// Filled by Inspect only.
	sumBytes []byte
	problems []*FileError
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

// File is one migration file. Loading reads it, checks its checksum and parses its
// directive block; its statements are split with PostgreSQL's parser only when first
// asked for ([File.Statements]), so that a service starting with every version applied
// does not parse files it will not run.
type File struct {
	Name       string // base name, e.g. 20261126120000_add_reviews.up.sql
	Bytes      []byte
	Checksum   string // base64 SHA-256 of Bytes, as recorded in the revisions table
	Directives Directives

	path  string // for messages: the disk path when known
	once  sync.Once
	stmts []Statement
	err   error
}

// Statements returns the file's statements, split by [SplitStatements] on the first
// call (later calls return the same result; safe for concurrent use). The error is a
// *[FileError] naming the file and line: a lexical error ([ErrSyntax]), or a statement
// the executor cannot run as written ([ErrNotInTransaction]): in a transactional file
// one that cannot run inside its transaction (BEGIN/COMMIT, CREATE INDEX CONCURRENTLY,
// VACUUM…), in a no-transaction file transaction control. [Dir.Check] reports these
// for every file at once.
func (f *File) Statements() ([]Statement, error) {
	f.once.Do(func() {
		path := f.path
		if path == "" {
			path = f.Name
		}
		stmts, err := splitStatements(path, f.Bytes)
		if err == nil {
			err = checkStatements(path, stmts, f.Directives.NoTransaction)
		}
		if err != nil {
			f.err = err
			return
		}
		f.stmts = stmts
	})
	return f.stmts, f.err
}

// Check parses every file of the directory (see [File.Statements]) and returns the
// first problem, in version order, forward file before rollback. Loading only checks
// names, checksums and directives; tools that validate a directory (govctl migrate
// verify, lint, CI) call Check so a broken file is reported before anything runs.
func (d *Dir) Check() error {
	for _, v := range d.Versions {
		for _, f := range []*File{v.Up, v.Down} {
			if _, err := f.Statements(); err != nil {
				return err
			}
		}
	}
	return nil
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
	d, err := load(os.DirFS(path), path, false)
	return d, err
}

// LoadFS reads and validates a migration directory from the root of fsys (use fs.Sub
// for a sub-folder of an embed.FS).
func LoadFS(fsys fs.FS) (*Dir, error) { return load(fsys, "", false) }

// Inspect reads a migration directory the way a reviewer needs it: with the grammar,
// splitter and checks of [LoadFS], but without stopping at the problems a review
// reports as findings. A missing, unreadable or stale atlas.sum is not checked (see
// [Dir.SumBytes]), a version may lack its rollback file (its Down is nil), and
// malformed or misplaced directives are collected in [Dir.Problems] while the rest of
// the file's directives are read. A bad file name, a duplicate version or a rollback
// without a forward file still fail, as they leave no version to review. path, when not
// empty, is used in messages.
func Inspect(fsys fs.FS, path string) (*Dir, error) { return load(fsys, path, true) }

// Problems returns the malformed or misplaced directives [Inspect] found, each a
// *[FileError] wrapping [ErrBadDirective] with the file and line; [Load] refuses the
// directory on the first of them.
func (d *Dir) Problems() []*FileError { return d.problems }

// SumBytes returns the content of atlas.sum as it was read, nil when the directory has
// none.
func (d *Dir) SumBytes() []byte { return d.sumBytes }

func load(fsys fs.FS, path string, lenient bool) (*Dir, error) {
	d := &Dir{fsys: fsys, path: path}
	names, err := sqlFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("migrate: read migration directory: %w", err)
	}
	var sum amigrate.HashFile
	if lenient {
		if b, err := fs.ReadFile(fsys, SumFile); err == nil {
			d.sumBytes = b
		}
	} else if sum, d.sumBytes, err = readSum(fsys); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if len(names) == 0 {
				return d, nil
			}
			return nil, &FileError{File: d.filePath(SumFile), Err: ErrNoSum}
		}
		return nil, &FileError{File: d.filePath(SumFile), Err: err}
	}
	byVersion := map[string]*Version{}
	stamps := make([]time.Time, len(names))
	matches := make([][]string, len(names))
	// A name's problem is kept at its index, not returned at once: the error reported is
	// the first in name order, whether it comes from a name or from a file's content, as
	// a sequential read gives.
	errs := make([]error, len(names))
	for i, n := range names {
		m := matchFileName(n)
		if m == nil {
			errs[i] = &FileError{File: d.filePath(n), Err: ErrBadName}
			continue
		}
		v := byVersion[m[1]]
		if v == nil {
			// Parsed once per version: the forward and rollback file share it.
			ts, err := time.Parse(VersionLayout, m[1])
			if err != nil {
				errs[i] = &FileError{File: d.filePath(n), Err: fmt.Errorf("%w: version %s is not a valid timestamp YYYYMMDDHHMMSS", ErrBadName, m[1])}
				continue
			}
			v = &Version{Version: m[1], Name: m[2], Time: ts}
			byVersion[m[1]] = v
		} else if v.Name != m[2] {
			errs[i] = &FileError{File: d.filePath(n), Err: fmt.Errorf("%w: version %s is also used by %s_%s; give one of them a new version (govctl migrate new)", ErrDuplicateVersion, m[1], m[1], v.Name)}
			continue
		}
		matches[i] = m
		stamps[i] = v.Time
	}
	parsed, err := d.readFiles(names, stamps, errs, lenient)
	if err != nil {
		return nil, err
	}
	for i := range names {
		f := parsed[i]
		m := matches[i]
		v := byVersion[m[1]]
		if m[3] == "up" {
			v.Up = f
			v.Directives = f.Directives
		} else {
			v.Down = f
		}
	}
	for _, v := range byVersion {
		switch {
		case v.Down == nil && lenient && v.Up != nil:
		case v.Down == nil:
			return nil, &FileError{File: d.filePath(v.ID() + ".up.sql"), Err: fmt.Errorf("%w: add %s.down.sql that undoes it", ErrMissingRollback, v.ID())}
		case v.Up == nil:
			return nil, &FileError{File: d.filePath(v.ID() + ".down.sql"), Err: fmt.Errorf("%w: %s.up.sql is missing", ErrMissingForward, v.ID())}
		}
		d.Versions = append(d.Versions, v)
	}
	sort.Slice(d.Versions, func(i, j int) bool { return d.Versions[i].Version < d.Versions[j].Version })
	if lenient {
		return d, nil
	}
	// The bytes read above also feed the sum, so each file is read once.
	if err := d.checkSum(parsed, sum); err != nil {
		return nil, err
	}
	return d, nil
}

// readFiles reads and parses (directives, checksum) the named files, spread over the
// CPUs: it is most of a service's start-up when every version is already applied
// (BENCHMARKS.md, startup-noop-load), and each file is independent. errs holds the
// problems already found with the names (those files are not read); the first error in
// name order, from either, is returned, as a sequential read would.
func (d *Dir) readFiles(names []string, stamps []time.Time, errs []error, lenient bool) ([]*File, error) {
	problems := make([][]*FileError, len(names))
	files := make([]*File, len(names))
	work := func(i int) {
		if errs[i] != nil {
			return
		}
		n := names[i]
		b, err := fs.ReadFile(d.fsys, n)
		if err != nil {
			errs[i] = fmt.Errorf("migrate: read %s: %w", d.filePath(n), err)
			return
		}
		files[i], problems[i] = parseFile(d.filePath(n), n, b, stamps[i])
		if len(problems[i]) > 0 && !lenient {
			errs[i] = problems[i][0]
		}
	}
	// Small directories are not worth a goroutine.
	if workers := min(runtime.GOMAXPROCS(0), len(names)/32); workers <= 1 {
		for i := range names {
			if work(i); errs[i] != nil {
				return nil, errs[i]
			}
		}
	} else {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(names); i += workers {
					work(i)
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	for _, p := range problems {
		d.problems = append(d.problems, p...)
	}
	return files, nil
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

// parseFile reads what loading needs: the directive block and the checksum. Statements
// are split later, on demand ([File.Statements]).
func parseFile(path, name string, b []byte, ts time.Time) (*File, []*FileError) {
	dirs, problems := parseDirectives(path, b, ts)
	h := sha256.Sum256(b)
	return &File{Name: name, Bytes: b, Checksum: base64.StdEncoding.EncodeToString(h[:]), Directives: dirs, path: path}, problems
}
