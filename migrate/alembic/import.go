package alembic

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	amigrate "ariga.io/atlas/sql/migrate"
)

// ImportOptions tune [Project.Import].
type ImportOptions struct {
	// Rendering reuses the output of [Project.Render]; nil renders anew.
	Rendering *Rendering
	// Now stamps the first revision when it has no Create Date header (later
	// undated revisions follow it one second apart). Default time.Now.
	Now func() time.Time
}

// ImportedVersion is one native version written by [Project.Import].
type ImportedVersion struct {
	Revision *Revision
	Version  string // YYYYMMDDHHMMSS (UTC)
	Name     string // the slug of the revision's message
	UpFile   string // paths of the files written
	DownFile string
}

// Import converts the Alembic history into a native migration directory at outDir
// (created when missing; it must hold no .sql file nor atlas.sum): one version per
// revision in apply order, its up and down files the SQL of Alembic's offline mode
// with the revision's directives as the leading `-- lsos:` block, and atlas.sum. A
// version's timestamp is the revision's Create Date in UTC, moved one second past
// the previous version when it is not later (versions must increase in apply order);
// an undated revision takes the previous version plus one second (the first one:
// Now). The file names are <version>_<slug of the message>.up.sql and .down.sql.
// The result loads with migrate.Load.
func (p *Project) Import(ctx context.Context, outDir string, opts ImportOptions) ([]ImportedVersion, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
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
	rend := opts.Rendering
	if rend == nil {
		if rend, err = p.Render(ctx); err != nil {
			return nil, err
		}
	}
	var (
		out   []ImportedVersion
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
		v := ImportedVersion{Revision: r, Version: t.Format("20060102150405"), Name: slug(r)}
		base := v.Version + "_" + v.Name
		v.UpFile = filepath.Join(outDir, base+".up.sql")
		v.DownFile = filepath.Join(outDir, base+".down.sql")
		for _, f := range []struct {
			path string
			d    Direction
		}{{v.UpFile, Up}, {v.DownFile, Down}} {
			text := rr.File(f.d)
			if err := writeFileAtomic(f.path, []byte(text)); err != nil {
				return nil, err
			}
			files = append(files, amigrate.NewLocalFile(filepath.Base(f.path), []byte(text)))
		}
		out = append(out, v)
	}
	// atlas.sum, computed by Atlas's own code over the files in name order.
	sortFiles(files)
	hf, err := amigrate.NewHashFile(files)
	if err != nil {
		return nil, fmt.Errorf("alembic: import: checksums: %w", err)
	}
	b, err := hf.MarshalText()
	if err != nil {
		return nil, fmt.Errorf("alembic: import: checksums: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(outDir, "atlas.sum"), b); err != nil {
		return nil, err
	}
	return out, nil
}

func sortFiles(fs []amigrate.File) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Name() < fs[j-1].Name(); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
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
