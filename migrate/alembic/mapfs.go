package alembic

import (
	"bytes"
	"io"
	"io/fs"
	"sort"
	"time"
)

// MapFS is a flat, read-only fs.FS over a map of file names to contents (the files
// of a [NativeDir]).
type MapFS map[string][]byte

var (
	_ fs.ReadDirFS  = MapFS(nil)
	_ fs.ReadFileFS = MapFS(nil)
)

// Open implements fs.FS.
func (m MapFS) Open(name string) (fs.File, error) {
	if name == "." {
		ents, _ := m.ReadDir(".")
		return &mapDir{ents: ents}, nil
	}
	b, ok := m[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &mapFile{info: mapInfo{name: name, size: int64(len(b))}, r: bytes.NewReader(b)}, nil
}

// ReadFile implements fs.ReadFileFS.
func (m MapFS) ReadFile(name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return bytes.Clone(b), nil
}

// ReadDir implements fs.ReadDirFS.
func (m MapFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	var out []fs.DirEntry
	for n, b := range m {
		out = append(out, fs.FileInfoToDirEntry(mapInfo{name: n, size: int64(len(b))}))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

type mapInfo struct {
	name string
	size int64
	dir  bool
}

func (i mapInfo) Name() string { return i.name }
func (i mapInfo) Size() int64  { return i.size }
func (i mapInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i mapInfo) ModTime() time.Time { return time.Time{} }
func (i mapInfo) IsDir() bool        { return i.dir }
func (i mapInfo) Sys() any           { return nil }

type mapFile struct {
	info mapInfo
	r    *bytes.Reader
}

func (f *mapFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *mapFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *mapFile) Close() error               { return nil }

type mapDir struct {
	ents []fs.DirEntry
	off  int
}

func (d *mapDir) Stat() (fs.FileInfo, error) { return mapInfo{name: ".", dir: true}, nil }
func (d *mapDir) Read([]byte) (int, error)   { return 0, io.EOF }
func (d *mapDir) Close() error               { return nil }
func (d *mapDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.off:]
	if n <= 0 {
		d.off = len(d.ents)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}
