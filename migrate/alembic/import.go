package alembic

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	amigrate "ariga.io/atlas/sql/migrate"
)

// ImportOptions tune [Project.Native] and [Project.Import].
type ImportOptions struct {
	// Rendering reuses the output of [Project.Render]; nil renders anew.
	Rendering *Rendering
	// Now stamps the first revision when it has no Create Date header (later
	// undated revisions follow it one second apart). Default time.Now.
	Now func() time.Time
}

// ImportedVersion is one native version made from a revision.
type ImportedVersion struct {
	Revision *Revision
	Rendered *RenderedRevision
	Version  string // YYYYMMDDHHMMSS (UTC)
	Name     string // the slug of the revision's message
	// UpFile and DownFile are the file names ([Project.Native]) or the paths written
	// ([Project.Import]).
	UpFile   string
	DownFile string
}

// NativeDir is an Alembic history converted to the native directory format, in
// memory: what [Project.Import] writes. Its FS loads with migrate.LoadFS, so the
// review can run on an Alembic project's rendered SQL and map its findings back
// with Source.
type NativeDir struct {
	Versions []ImportedVersion
	// Files maps each file name (the .sql files and atlas.sum) to its content.
	Files map[string][]byte
}

// FS returns the directory as a read-only fs.FS.
func (n *NativeDir) FS() MapFS { return MapFS(n.Files) }

// Source maps a line of a native file (name as in Files) back to the revision
// file, as [RenderedRevision.Source] does; ok is false for a name that is not one
// of the version files.
func (n *NativeDir) Source(name string, line int) (file string, srcLine int, ok bool) {
	for _, v := range n.Versions {
		switch filepath.Base(name) {
		case filepath.Base(v.UpFile):
			file, srcLine = v.Rendered.Source(Up, line)
			return file, srcLine, true
		case filepath.Base(v.DownFile):
			file, srcLine = v.Rendered.Source(Down, line)
			return file, srcLine, true
		}
	}
	return "", 0, false
}

// Native converts the Alembic history into the native directory format: one
// version per revision in apply order, its up and down files the SQL of Alembic's
// offline mode ([RenderedRevision.File]: the revision's directives as the leading
// `-- lsos:` block), and atlas.sum. A version's timestamp is the revision's Create
// Date in UTC, moved one second past the previous version when it is not later
// (versions must increase in apply order); an undated revision takes the previous
// version plus one second (the first one: Now). File names are
// <version>_<slug of the message>.up.sql and .down.sql.
func (p *Project) Native(ctx context.Context, opts ImportOptions) (*NativeDir, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rend := opts.Rendering
	if rend == nil {
		var err error
		if rend, err = p.Render(ctx); err != nil {
			return nil, err
		}
	}
	n := &NativeDir{Files: map[string][]byte{}}
	var (
		prev  time.Time
		files []amigrate.File
	)
	for i, rr := range rend.Revisions {
		r := rr.Revision
		t := r.CreateDate.UTC().Truncate(time.Second)
		switch {
		case r.CreateDate.IsZero() && i == 0:
			t = opts.Now().UTC().Truncate(time.Second)
		case r.CreateDate.IsZero() || !t.After(prev):
			t = prev.Add(time.Second)
		}
		prev = t
		v := ImportedVersion{Revision: r, Rendered: rr, Version: t.Format("20060102150405"), Name: slug(r)}
		base := v.Version + "_" + v.Name
		v.UpFile, v.DownFile = base+".up.sql", base+".down.sql"
		n.Files[v.UpFile] = []byte(rr.File(Up))
		n.Files[v.DownFile] = []byte(rr.File(Down))
		n.Versions = append(n.Versions, v)
	}
	names := make([]string, 0, len(n.Files))
	for name := range n.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		files = append(files, amigrate.NewLocalFile(name, n.Files[name]))
	}
	// atlas.sum, computed by Atlas's own code over the files in name order.
	hf, err := amigrate.NewHashFile(files)
	if err != nil {
		return nil, fmt.Errorf("alembic: import: checksums: %w", err)
	}
	b, err := hf.MarshalText()
	if err != nil {
		return nil, fmt.Errorf("alembic: import: checksums: %w", err)
	}
	n.Files["atlas.sum"] = b
	return n, nil
}

// Import writes [Project.Native] into outDir (created when missing; it must hold no
// .sql file nor atlas.sum). The result loads with migrate.Load and applies with
// migrate's Migrator. The returned versions carry the paths written.
func (p *Project) Import(ctx context.Context, outDir string, opts ImportOptions) ([]ImportedVersion, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("alembic: import: %w", err)
	}
	ents, err := os.ReadDir(outDir)
	if err != nil {
		return nil, fmt.Errorf("alembic: import: %w", err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".sql") || e.Name() == "atlas.sum" {
			return nil, fmt.Errorf("alembic: import: %s already holds %s; import into an empty directory", outDir, e.Name())
		}
	}
	n, err := p.Native(ctx, opts)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(n.Files))
	for name := range n.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	// atlas.sum last: a crash part-way leaves a directory that fails to load.
	for _, name := range append(without(names, "atlas.sum"), "atlas.sum") {
		if err := writeFileAtomic(filepath.Join(outDir, name), n.Files[name]); err != nil {
			return nil, err
		}
	}
	out := make([]ImportedVersion, len(n.Versions))
	for i, v := range n.Versions {
		v.UpFile, v.DownFile = filepath.Join(outDir, v.UpFile), filepath.Join(outDir, v.DownFile)
		out[i] = v
	}
	return out, nil
}

func without(s []string, x string) []string {
	var out []string
	for _, v := range s {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// slug turns a revision message into a native version name: lower-case letters,
// digits and underscores, at most 60 characters.
func slug(r *Revision) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(r.Message) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(c)
			continue
		}
		under = true
	}
	s := b.String()
	if len(s) > 60 {
		s = s[:60]
		if i := strings.LastIndexByte(s, '_'); i > 20 {
			s = s[:i]
		}
		s = strings.TrimRight(s, "_")
	}
	if s == "" {
		s = "revision_" + strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				return c
			}
			if c >= 'A' && c <= 'Z' {
				return c + 'a' - 'A'
			}
			return '_'
		}, r.ID)
	}
	return s
}
