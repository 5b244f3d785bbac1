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

// Project is an Alembic project read from disk or from an fs.FS: its configuration,
// its revision files and their graph.
type Project struct {
	// Dir is the project directory on disk ("" for [OpenFS]).
	Dir string
	// Ini is the path of alembic.ini relative to the project directory, "" when the
	// project has none.
	Ini string
	// ScriptDir is the script directory (env.py, script.py.mako) relative to the
	// project directory, with forward slashes ("." when it is the project
	// directory itself).
	ScriptDir string
	// VersionDirs are the directories revision files are read from, relative to the
	// project directory.
	VersionDirs []string
	// Revisions are all revisions, ordered by file name.
	Revisions []*Revision

	fsys  fs.FS
	cfg   Config
	byID  map[string]*Revision
	graph *Graph
}

// Open reads the Alembic project in dir: a directory with alembic.ini (whose
// script_location and version_locations are followed) or a script directory itself
// (env.py, versions/). It parses every revision file and builds the revision graph;
// a problem in the graph is not an error here (see [Project.Findings]).
func Open(dir string) (*Project, error) { return OpenConfig(dir, Config{}) }

// OpenConfig is [Open] with a configuration.
func OpenConfig(dir string, cfg Config) (*Project, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("alembic: project directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("alembic: %s is not a directory", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("alembic: %w", err)
	}
	p, err := open(os.DirFS(abs), abs, dir, cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// OpenFS reads an Alembic project from fsys (for instance an embed.FS of the
// project directory, so that a service can call [RequireHead] without the files on
// disk). Rendering and round trips need [Open].
func OpenFS(fsys fs.FS, cfg Config) (*Project, error) { return open(fsys, "", "", cfg) }

func open(fsys fs.FS, abs, display string, cfg Config) (*Project, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: abs, fsys: fsys, cfg: cfg, byID: map[string]*Revision{}}
	show := func(rel string) string {
		if display == "" {
			return rel
		}
		return filepath.Join(display, filepath.FromSlash(rel))
	}
	recursive := false
	if b, err := fs.ReadFile(fsys, cfg.IniFile); err == nil {
		ini, err := parseINI(show(cfg.IniFile), b)
		if err != nil {
			return nil, err
		}
		p.Ini = cfg.IniFile
		here := path.Dir(cfg.IniFile)
		loc := ini.get("alembic", "script_location", here)
		if loc == "" {
			return nil, &FileError{File: show(cfg.IniFile), Err: fmt.Errorf("%w: [alembic] has no script_location", ErrConfig)}
		}
		if p.ScriptDir, err = p.rel(loc, abs, here); err != nil {
			return nil, &FileError{File: show(cfg.IniFile), Err: fmt.Errorf("%w: script_location: %v", ErrConfig, err)}
		}
		if vl := ini.get("alembic", "version_locations", here); vl != "" {
			for _, l := range splitLocations(vl, ini.get("alembic", "version_path_separator", here)) {
				d, err := p.rel(l, abs, here)
				if err != nil {
					return nil, &FileError{File: show(cfg.IniFile), Err: fmt.Errorf("%w: version_locations: %v", ErrConfig, err)}
				}
				p.VersionDirs = append(p.VersionDirs, d)
			}
		}
		switch strings.ToLower(ini.get("alembic", "recursive_version_locations", here)) {
		case "true", "1", "yes", "on":
			recursive = true
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		p.ScriptDir = "."
	} else {
		return nil, fmt.Errorf("alembic: read %s: %w", show(cfg.IniFile), err)
	}
	if len(p.VersionDirs) == 0 {
		p.VersionDirs = []string{path.Join(p.ScriptDir, "versions")}
	}
	for _, vd := range p.VersionDirs {
		if fi, err := fs.Stat(fsys, vd); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("alembic: %s is not a directory: an Alembic project needs alembic.ini or a script directory with versions/ (%s)", show(vd), errText(err))
		}
	}
	var files []string
	for _, vd := range p.VersionDirs {
		err := fs.WalkDir(fsys, vd, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name != vd && (!recursive || d.Name() == "__pycache__") {
					return fs.SkipDir
				}
				return nil
			}
			base := d.Name()
			if strings.HasSuffix(base, ".py") && !strings.HasPrefix(base, "__init__") && !strings.HasPrefix(base, ".#") {
				files = append(files, name)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("alembic: read %s: %w", show(vd), err)
		}
	}
	slices.Sort(files)
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("alembic: read %s: %w", show(name), err)
		}
		rel := relTo(p.ScriptDir, name)
		r, err := parseRevision(show(name), rel, b)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		r.Checksum = base64.StdEncoding.EncodeToString(sum[:])
		if prev, ok := p.byID[r.ID]; ok {
			return nil, &FileError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w %q: %s declares it too; give one of them a new id", ErrDuplicateRevision, r.ID, prev.File)}
		}
		p.byID[r.ID] = r
		p.Revisions = append(p.Revisions, r)
	}
	p.graph = buildGraph(p)
	return p, nil
}

func errText(err error) string {
	if err == nil {
		return "not a directory"
	}
	return err.Error()
}

// rel turns a location from alembic.ini into a slash path relative to the project
// directory. here is the ini file's directory within the project.
func (p *Project) rel(loc, abs, here string) (string, error) {
	if strings.Contains(loc, ":") && !filepath.IsAbs(loc) && !strings.HasPrefix(loc, ".") {
		return "", fmt.Errorf("%q is a package resource location; only directory paths are supported", loc)
	}
	if filepath.IsAbs(loc) {
		if abs == "" {
			return "", fmt.Errorf("%q is an absolute path; an fs.FS project needs paths relative to alembic.ini or %%(here)s", loc)
		}
		r, err := filepath.Rel(abs, loc)
		if err != nil || strings.HasPrefix(r, "..") {
			return "", fmt.Errorf("%q is outside the project directory %s", loc, abs)
		}
		return filepath.ToSlash(r), nil
	}
	r := path.Clean(path.Join(here, filepath.ToSlash(loc)))
	if r == ".." || strings.HasPrefix(r, "../") {
		return "", fmt.Errorf("%q is outside the project directory", loc)
	}
	return r, nil
}

// splitLocations splits version_locations as Alembic does for version_path_separator.
func splitLocations(v, sep string) []string {
	var parts []string
	switch sep {
	case "":
		parts = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' })
	case "space":
		parts = strings.Fields(v)
	case "os":
		parts = strings.Split(v, string(os.PathListSeparator))
	default:
		parts = strings.Split(v, sep)
	}
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// relTo returns name relative to dir (both slash paths within the project).
func relTo(dir, name string) string {
	if dir == "." {
		return name
	}
	if strings.HasPrefix(name, dir+"/") {
		return strings.TrimPrefix(name, dir+"/")
	}
	up := strings.Repeat("../", strings.Count(dir, "/")+1)
	return up + name
}

// Revision returns the revision with the given id, or nil.
func (p *Project) Revision(id string) *Revision { return p.byID[id] }

// Graph returns the revision graph.
func (p *Project) Graph() *Graph { return p.graph }

// Config returns the configuration the project was opened with, defaults filled in.
func (p *Project) Config() Config { return p.cfg }

// path returns the disk path of a project-relative slash path.
func (p *Project) diskPath(rel string) string {
	return filepath.Join(p.Dir, filepath.FromSlash(rel))
}

// VersionTable returns the schema and name of the table in which Alembic records the
// applied revisions (public.alembic_version unless the Config says otherwise). It is
// migration tooling, not application data: lsosgov.Startup leaves it out of its checks.
func (p *Project) VersionTable() (schema, table string) {
	schema = p.cfg.VersionTableSchema
	if schema == "" {
		schema = "public"
	}
	return schema, p.cfg.VersionTable
}
