package alembic

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// iniFile is the subset of Python's configparser that alembic.ini needs: sections,
// "key = value" and "key: value", full-line comments (# and ;), indented
// continuation lines, and %(here)s interpolation.
type iniFile map[string]map[string]string

func parseINI(file string, src []byte) (iniFile, error) {
	out := iniFile{}
	var sec, key string
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimRight(sc.Text(), "\r")
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if sec == "" || key == "" {
				return nil, &FileError{File: file, Line: n, Err: fmt.Errorf("%w: indented line outside a value", ErrConfig)}
			}
			out[sec][key] += "\n" + line
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, &FileError{File: file, Line: n, Err: fmt.Errorf("%w: section header %q does not end with ]", ErrConfig, line)}
			}
			sec = strings.TrimSpace(line[1 : len(line)-1])
			if out[sec] == nil {
				out[sec] = map[string]string{}
			}
			key = ""
			continue
		}
		if sec == "" {
			return nil, &FileError{File: file, Line: n, Err: fmt.Errorf("%w: %q before the first [section]", ErrConfig, line)}
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			return nil, &FileError{File: file, Line: n, Err: fmt.Errorf("%w: want key = value, got %q", ErrConfig, line)}
		}
		key = strings.ToLower(strings.TrimSpace(line[:i]))
		out[sec][key] = strings.TrimSpace(line[i+1:])
	}
	if err := sc.Err(); err != nil {
		return nil, &FileError{File: file, Err: fmt.Errorf("%w: %v", ErrConfig, err)}
	}
	return out, nil
}

// get returns an option of the [alembic] section (or of section) with %(here)s
// replaced, "%%" unescaped and an inline " #" comment removed.
func (f iniFile) get(section, key, here string) string {
	v, ok := f[section][key]
	if !ok {
		return ""
	}
	for _, c := range []string{" #", "\t#", " ;", "\t;"} {
		if i := strings.Index(v, c); i >= 0 {
			v = v[:i]
		}
	}
	v = strings.ReplaceAll(v, "%(here)s", here)
	v = strings.ReplaceAll(v, "%%", "%")
	return strings.TrimSpace(v)
}
