package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/lsos/lsosgov/migrate"
)

// verFile is one migration version as the review sees it: the forward SQL, the rollback
// SQL when there is one, and the directives of the forward file (read by package
// migrate: one grammar for the loader, the executor and the review).
type verFile struct {
	Version    string    // UTC timestamp YYYYMMDDHHMMSS
	Name       string    // file name of the forward file, e.g. 20260107000000_add_x.up.sql
	Time       time.Time // the version as a time (UTC)
	SQL        string    // forward SQL
	Down       string    // rollback SQL ("" with HasDown false when the file is missing)
	HasDown    bool
	Directives *migrate.Directives
	up         *migrate.File
	down       *migrate.File
}

// dirView is the review's view of a migration directory.
type dirView struct {
	Files []verFile
	// Sum is the content of atlas.sum (nil when the directory has none).
	Sum []byte
	// Raw holds every .sql file of the directory in the order Atlas hashes them.
	Raw []rawFile
	// Approvals is the content of approvals.yaml (nil when absent).
	Approvals []byte
	// Problems are the directives package migrate could not read.
	Problems []*migrate.FileError
}

// rawFile is one .sql file of the directory, for checksums.
type rawFile struct {
	Name string
	Data []byte
}

// viewOf builds the review's view of d. Load d with [migrate.Inspect] to review a
// directory that [migrate.Load] would refuse (no atlas.sum, a missing rollback, a bad
// directive): the review reports those as findings.
func viewOf(d *migrate.Dir) (*dirView, error) {
	if d == nil {
		return nil, errors.New("lint: the migration directory is nil; load one with migrate.Inspect or migrate.Load")
	}
	v := &dirView{Sum: d.SumBytes(), Problems: d.Problems()}
	for _, ver := range d.Versions {
		f := verFile{Version: ver.Version, Name: ver.Up.Name, Time: ver.Time, SQL: string(ver.Up.Bytes), up: ver.Up, down: ver.Down}
		dirs := ver.Directives
		f.Directives = &dirs
		v.Raw = append(v.Raw, rawFile{Name: ver.Up.Name, Data: ver.Up.Bytes})
		if ver.Down != nil {
			f.Down, f.HasDown = string(ver.Down.Bytes), true
			v.Raw = append(v.Raw, rawFile{Name: ver.Down.Name, Data: ver.Down.Bytes})
		}
		v.Files = append(v.Files, f)
	}
	slices.SortFunc(v.Raw, func(a, b rawFile) int { return strings.Compare(a.Name, b.Name) })
	if fsys := d.FS(); fsys != nil {
		for _, n := range []string{"approvals.yaml", "approvals.yml"} {
			b, err := fs.ReadFile(fsys, n)
			if err == nil {
				v.Approvals = b
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("lint: read %s: %w", n, err)
			}
		}
	}
	return v, nil
}

// versionTime parses a version timestamp.
func versionTime(v string) (time.Time, error) {
	t, err := time.Parse(migrate.VersionLayout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("lint: version %q is not a UTC timestamp YYYYMMDDHHMMSS", v)
	}
	return t, nil
}
