package lint

import (
	"io/fs"

	"github.com/lsos/lsosgov/migrate"
)

// LoadFS reads a directory the way the review wants it (see migrate.Inspect).
func LoadFS(fsys fs.FS) (*migrate.Dir, error) { return migrate.Inspect(fsys, "") }

// HashDir returns the atlas.sum content for d's files.
func HashDir(d *migrate.Dir) ([]byte, error) { return migrate.SumFS(d.FS()) }

// allVersions lists every version of d, as Drift's Applied option takes them.
func allVersions(d *migrate.Dir) []string {
	out := []string{}
	for _, v := range d.Versions {
		out = append(out, v.Version)
	}
	return out
}
