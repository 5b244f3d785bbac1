package alembic_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/migrate/alembic"
)

func TestParseMalformedRevisionFiles(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want error
		line int
		msg  string
	}{
		{"unterminated docstring", "\"\"\"add things\n\nRevision ID: abc\n", alembic.ErrSyntax, 1, "unterminated triple-quoted string"},
		{"unterminated string", "\"\"\"doc\"\"\"\n\nrevision = 'abc\ndown_revision = None\n", alembic.ErrSyntax, 3, "unterminated string"},
		{"unmatched close", "revision = 'abc'\ndown_revision = ('a', 'b'))\n", alembic.ErrSyntax, 2, `unmatched ")"`},
		{"never closed", "revision = 'abc'\ndown_revision = ('a',\n    'b'\n\ndef upgrade():\n    pass\n", alembic.ErrSyntax, 2, `"(" is never closed`},
		{"mismatched bracket", "revision = 'abc'\ndown_revision = ['a', 'b')\n", alembic.ErrSyntax, 2, `does not match "["`},
		{"stray character", "revision = 'abc'\ndown_revision = None ?\n", alembic.ErrSyntax, 2, "unexpected character '?'"},
		{"invalid utf-8", "revision = 'abc'\n# \xff\xfe\n", alembic.ErrSyntax, 2, "not valid UTF-8"},
		{"nul byte", "revision = 'abc'\n\x00\n", alembic.ErrSyntax, 2, "NUL byte"},
		{"bad escape", "revision = 'a\\N{DASH}b'\n", alembic.ErrSyntax, 1, "unsupported escape"},
		{"backslash at eof", "revision = 'abc' \\", alembic.ErrSyntax, 1, "backslash continuation"},
		{"missing revision", "\"\"\"doc\n\nRevision ID: abc\n\"\"\"\n# revision = 'abc'\ndown_revision = None\n", alembic.ErrNoRevision, 1, "no `revision ="},
		{"revision None", "revision = None\n", alembic.ErrBadValue, 1, "revision must be a non-empty string literal, got None"},
		{"revision empty", "revision = ''\n", alembic.ErrBadValue, 1, "non-empty string literal"},
		{"revision variable", "rev_id = 'abc'\nrevision = rev_id\n", alembic.ErrBadValue, 2, `got name "rev_id"`},
		{"revision call", "revision = str('abc')\n", alembic.ErrBadValue, 1, `revision must be a string literal: only a literal (a string, None, or a tuple/list of strings) is understood; got name "str"`},
		{"revision f-string", "x = 1\nrevision = f'abc{x}'\n", alembic.ErrBadValue, 2, "f-string or bytes"},
		{"revision bytes", "revision = b'abc'\n", alembic.ErrBadValue, 1, "f-string or bytes"},
		{"revision with comma", "revision = 'a,b'\n", alembic.ErrBadValue, 1, "contains a space, comma"},
		{"assigned twice", "revision = 'abc'\ndown_revision = None\n\nrevision = 'def'\n", alembic.ErrBadValue, 4, "assigned twice (first on line 1)"},
		{"chained", "revision = down_revision = 'abc'\n", alembic.ErrBadValue, 1, "chained assignment"},
		{"down number", "revision = 'abc'\ndown_revision = 42\n", alembic.ErrBadValue, 2, "down_revision must be None"},
		{"down nested none", "revision = 'abc'\ndown_revision = ('a', None)\n", alembic.ErrBadValue, 2, "item None is not a non-empty string"},
		{"down empty string", "revision = 'abc'\ndown_revision = ''\n", alembic.ErrBadValue, 2, "empty string"},
		{"labels dict", "revision = 'abc'\nbranch_labels = {'a': 1}\n", alembic.ErrBadValue, 2, "branch_labels must be None"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"x1_bad.py": tc.src})
			_, err := alembic.Open(dir)
			if err == nil {
				t.Fatalf("Open succeeded on a malformed file")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v does not wrap %v", err, tc.want)
			}
			var fe *alembic.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FileError: %v", err, err)
			}
			if !strings.HasSuffix(fe.File, filepath.Join("versions", "x1_bad.py")) || fe.Line != tc.line {
				t.Errorf("error names %s:%d, want …/versions/x1_bad.py:%d (%v)", fe.File, fe.Line, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if !strings.Contains(err.Error(), "x1_bad.py:") {
				t.Errorf("error %q does not name the file and line", err)
			}
		})
	}
}

func TestParseDuplicateRevisionNamesBothFiles(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"a_first.py":  rev("abc", "", "", ""),
		"b_second.py": rev("abc", "", "", ""),
	})
	_, err := alembic.Open(dir)
	if !errors.Is(err, alembic.ErrDuplicateRevision) {
		t.Fatalf("got %v, want ErrDuplicateRevision", err)
	}
	if !strings.Contains(err.Error(), "b_second.py:12") || !strings.Contains(err.Error(), "a_first.py") {
		t.Errorf("error %q should name b_second.py:12 and a_first.py", err)
	}
}

func TestParseRevisionForms(t *testing.T) {
	cases := []struct {
		name        string
		src         string
		id          string
		down        []string
		labels      []string
		depends     []string
		message     string
		upEmpty     bool
		downNil     bool
		downEmpty   bool
		downRaises  bool
		createDate  time.Time
		directives  []string // Text@Line/Scope
		upLine      int
		downLineDef int
	}{
		{
			name:    "template",
			src:     rev("1975ea83b712", "", "", ""),
			id:      "1975ea83b712",
			message: "revision 1975ea83b712", createDate: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
			upLine: 18, downLineDef: 22,
		},
		{
			name: "annotated assignments, double quotes, merge tuple on several lines with comments",
			src: `"""merge heads

Revision ID: m1
Revises: a1, b1
Create Date: 2026-03-04 05:06:07.123456+02:00
"""
from typing import Sequence, Union

revision: str = "m1"
down_revision: Union[str, Sequence[str], None] = (  # two parents
    "a1",  # the first
    'b1',
)
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = ["x1", "lbl"]

def upgrade() -> None:
    pass

def downgrade() -> None:
    """Nothing to undo."""
    pass
`,
			id: "m1", down: []string{"a1", "b1"}, depends: []string{"x1", "lbl"}, message: "merge heads",
			upEmpty: true, downEmpty: true, createDate: time.Date(2026, 3, 4, 3, 6, 7, 123456000, time.UTC),
			upLine: 17, downLineDef: 20,
		},
		{
			name: "decoys in docstring, comments and strings; bare tuple; implicit concatenation",
			src: `'''add x

revision = 'wrong1'
'''
# revision = 'wrong2'
note = "revision = 'wrong3'"
revision = 'ab' "cd"
down_revision = 'p1', 'p2'
branch_labels = 'feature'

def upgrade():
    op.execute("revision = 'wrong4'")

def downgrade(): raise NotImplementedError("irreversible")
`,
			id: "abcd", down: []string{"p1", "p2"}, labels: []string{"feature"}, message: "add x",
			downRaises: true, upLine: 11, downLineDef: 14,
		},
		{
			name: "backslash continuation, raw and unicode prefixes, CRLF, one-line bodies",
			src:  "revision = \\\r\n    r'x\\y'\r\ndown_revision = u\"p\\x41\"\r\n\r\ndef upgrade(): op.execute('SELECT 1')\r\ndef downgrade(): ...\r\n",
			id:   `x\y`, down: []string{"pA"}, downEmpty: true, upLine: 5, downLineDef: 6,
		},
		{
			name: "no downgrade, list down_revision, nested def ignored",
			src: `revision = "r2"
down_revision = ["r1"]

def upgrade():
    def downgrade():
        pass
    op.execute("SELECT 1")
`,
			id: "r2", down: []string{"r1"}, downNil: true, upLine: 4,
		},
		{
			name: "directives in docstring, module level and function bodies",
			src: `"""index reviews

Revision ID: d1
Create Date: 2026-01-06 00:00:00
# lsos:no-transaction
"""
# lsos:allow lock-risk reason="the table is empty in every environment"
revision = "d1"
down_revision = None


def upgrade():
    # lsos:lock_timeout 5s
    op.execute("CREATE INDEX CONCURRENTLY i ON t (c)")
    #lsos:statement_timeout 1m


def downgrade():
    """Drop it again.
    # lsos:allow lock-risk reason="tiny"
    # lsos:maintenance-window"""
    op.execute("DROP INDEX CONCURRENTLY i")
# lsos:breaking flag=new_index phase=expand
`,
			id: "d1", message: "index reviews", createDate: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC),
			directives: []string{
				"-- lsos:no-transaction@5/both",
				`-- lsos:allow lock-risk reason="the table is empty in every environment"@7/both`,
				"-- lsos:lock_timeout 5s@13/up",
				"-- lsos:statement_timeout 1m@15/up",
				`-- lsos:allow lock-risk reason="tiny"@20/down`,
				"-- lsos:maintenance-window@21/down",
				"-- lsos:breaking flag=new_index phase=expand@23/both",
			},
			upLine: 12, downLineDef: 18,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"r_file.py": tc.src})
			p, err := alembic.Open(dir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if len(p.Revisions) != 1 {
				t.Fatalf("%d revisions, want 1", len(p.Revisions))
			}
			r := p.Revisions[0]
			if r.ID != tc.id || !slices.Equal(r.DownRevisions, tc.down) || !slices.Equal(r.BranchLabels, tc.labels) || !slices.Equal(r.DependsOn, tc.depends) {
				t.Errorf("got id %q down %q labels %q depends %q; want %q %q %q %q", r.ID, r.DownRevisions, r.BranchLabels, r.DependsOn, tc.id, tc.down, tc.labels, tc.depends)
			}
			if r.Message != tc.message {
				t.Errorf("message %q, want %q", r.Message, tc.message)
			}
			if !r.CreateDate.Equal(tc.createDate) {
				t.Errorf("create date %v, want %v", r.CreateDate, tc.createDate)
			}
			if r.Name != "versions/r_file.py" || p.Revision(tc.id) != r {
				t.Errorf("name %q / lookup mismatch", r.Name)
			}
			if r.Upgrade == nil || r.Upgrade.Line != tc.upLine || r.Upgrade.Empty != tc.upEmpty {
				t.Errorf("upgrade %+v, want line %d empty %v", r.Upgrade, tc.upLine, tc.upEmpty)
			}
			switch {
			case tc.downNil:
				if r.Downgrade != nil {
					t.Errorf("downgrade %+v, want none", r.Downgrade)
				}
			case r.Downgrade == nil:
				t.Errorf("no downgrade found")
			default:
				if r.Downgrade.Line != tc.downLineDef || r.Downgrade.Empty != tc.downEmpty || r.Downgrade.RaisesOnly != tc.downRaises {
					t.Errorf("downgrade %+v, want line %d empty %v raises %v", r.Downgrade, tc.downLineDef, tc.downEmpty, tc.downRaises)
				}
			}
			var got []string
			for _, d := range r.Directives {
				got = append(got, d.Text+"@"+itoa(d.Line)+"/"+string(d.Scope))
				if d.File != r.File {
					t.Errorf("directive file %q, want %q", d.File, r.File)
				}
			}
			if !slices.Equal(got, tc.directives) {
				t.Errorf("directives\n got %q\nwant %q", got, tc.directives)
			}
		})
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + func() string { b := []byte{}; return string(appendInt(b, i)) }())
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

func TestOpenSampleProject(t *testing.T) {
	p := openSample(t)
	if p.Ini != "alembic.ini" || p.ScriptDir != "alembic" || !slices.Equal(p.VersionDirs, []string{"alembic/versions"}) {
		t.Errorf("layout: ini %q script dir %q version dirs %q", p.Ini, p.ScriptDir, p.VersionDirs)
	}
	g := p.Graph()
	wantOrder := []string{"1a2b3c4d5e01", "2b3c4d5e6f02", "3c4d5e6f7a03", "4d5e6f7a8b04", "5e6f7a8b9c05", "6f7a8b9c0d06", "7a8b9c0d1e07"}
	if got := revIDs(g.Order); !slices.Equal(got, wantOrder) {
		t.Errorf("apply order %q, want %q", got, wantOrder)
	}
	if !slices.Equal(g.HeadIDs(), []string{"7a8b9c0d1e07"}) || len(g.Bases) != 1 || g.Bases[0].ID != "1a2b3c4d5e01" {
		t.Errorf("heads %q bases %q", g.HeadIDs(), revIDs(g.Bases))
	}
	if m := p.Revision("6f7a8b9c0d06"); !m.IsMerge() || m.Message != "merge reviews and artifacts" {
		t.Errorf("merge revision %+v", m)
	}
	if fs := p.Findings(nil); len(fs) != 0 {
		t.Errorf("the sample project has findings: %v", fs)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := alembic.Open(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "project directory") {
		t.Errorf("missing dir: %v", err)
	}
	empty := t.TempDir()
	if _, err := alembic.Open(empty); err == nil || !strings.Contains(err.Error(), "versions") {
		t.Errorf("dir without versions/: %v", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "alembic.ini"), []byte("[alembic]\nsqlalchemy.url = x\n"), 0o644)
	if _, err := alembic.Open(bad); !errors.Is(err, alembic.ErrConfig) || !strings.Contains(err.Error(), "no script_location") {
		t.Errorf("ini without script_location: %v", err)
	}
	os.WriteFile(filepath.Join(bad, "alembic.ini"), []byte("[alembic]\nscript_location = myapp:migrations\n"), 0o644)
	if _, err := alembic.Open(bad); !errors.Is(err, alembic.ErrConfig) || !strings.Contains(err.Error(), "package resource") {
		t.Errorf("package location: %v", err)
	}
	os.WriteFile(filepath.Join(bad, "alembic.ini"), []byte("script_location = x\n"), 0o644)
	if _, err := alembic.Open(bad); !errors.Is(err, alembic.ErrConfig) || !strings.Contains(err.Error(), "alembic.ini:1") {
		t.Errorf("key before section: %v", err)
	}
	// version_locations with two directories, relative to the ini file.
	multi := t.TempDir()
	os.WriteFile(filepath.Join(multi, "alembic.ini"), []byte("[alembic]\nscript_location = %(here)s/mig\nversion_locations = %(here)s/mig/a %(here)s/mig/b\n"), 0o644)
	for _, d := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(multi, "mig", d), 0o755)
	}
	os.WriteFile(filepath.Join(multi, "mig", "a", "r1.py"), []byte(rev("r1", "", "", "")), 0o644)
	os.WriteFile(filepath.Join(multi, "mig", "b", "r2.py"), []byte(rev("r2", "r1", "", "")), 0o644)
	os.WriteFile(filepath.Join(multi, "mig", "b", "__init__.py"), []byte("garbage ?"), 0o644)
	p, err := alembic.Open(multi)
	if err != nil {
		t.Fatalf("version_locations: %v", err)
	}
	if got := revIDs(p.Graph().Order); !slices.Equal(got, []string{"r1", "r2"}) || p.Revision("r2").Name != "b/r2.py" {
		t.Errorf("version_locations: order %q, name %q", got, p.Revision("r2").Name)
	}
}

func TestOpenFS(t *testing.T) {
	p, err := alembic.OpenFS(os.DirFS(sampleDir), alembic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Revisions) != 7 || p.Dir != "" {
		t.Errorf("%d revisions, dir %q", len(p.Revisions), p.Dir)
	}
	if err := p.VerifySum(); err != nil {
		t.Errorf("VerifySum of the sample: %v", err)
	}
	if err := p.Rehash(); err == nil || !strings.Contains(err.Error(), "on disk") {
		t.Errorf("Rehash on an fs.FS project: %v", err)
	}
}
