package alembic_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/migrate/alembic"
)

func TestRenderSample(t *testing.T) {
	requireAlembic(t)
	p := openSample(t)
	rend, err := p.Render(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := revIDs(func() []*alembic.Revision {
		var rs []*alembic.Revision
		for _, rr := range rend.Revisions {
			rs = append(rs, rr.Revision)
		}
		return rs
	}()); strings.Join(got, ",") != strings.Join(sampleOrder, ",") {
		t.Fatalf("rendered %q", got)
	}
	for _, rr := range rend.Revisions {
		for _, sql := range []string{rr.Up, rr.Down} {
			for _, bad := range []string{"alembic_version", "BEGIN;", "COMMIT;", "-- Running"} {
				if strings.Contains(sql, bad) {
					t.Errorf("%s: rendered SQL keeps Alembic's bookkeeping %q:\n%s", rr.Revision.ID, bad, sql)
				}
			}
		}
		if !strings.HasPrefix(rr.UpRaw, "-- Running upgrade") || !strings.HasPrefix(rr.DownRaw, "-- Running downgrade") {
			t.Errorf("%s: raw steps %q / %q", rr.Revision.ID, firstLine(rr.UpRaw), firstLine(rr.DownRaw))
		}
	}
	// op.* helpers and raw SQL both come out.
	tu := rend.Lookup("1a2b3c4d5e01")
	for _, want := range []string{"CREATE TABLE tenants (", "GENERATED ALWAYS AS IDENTITY", "COMMENT ON COLUMN users.full_name IS 'Display name of a person. lsos:class=sensitive';", "CREATE INDEX auth_tokens_tenant_user_idx ON auth_tokens (tenant_id, user_id);"} {
		if !strings.Contains(tu.Up, want) {
			t.Errorf("1a2b3c4d5e01 up lacks %q:\n%s", want, tu.Up)
		}
	}
	if tu.Down != "DROP TABLE auth_tokens;\n\nDROP TABLE users;\n\nDROP TABLE tenants;\n\n" {
		t.Errorf("1a2b3c4d5e01 down:\n%q", tu.Down)
	}
	if !strings.Contains(rend.Lookup("3c4d5e6f7a03").Up, "PARTITION BY RANGE (captured_on)") {
		t.Errorf("partitioned table lost its partition key")
	}
	// The merge revision renders no statement.
	if m := rend.Lookup("6f7a8b9c0d06"); m.Up != "" || m.Down != "" || !strings.Contains(m.File(alembic.Up), "renders no statement") {
		t.Errorf("merge revision: up %q down %q", m.Up, m.Down)
	}

	// The autocommit_block revision: declared and inferred no-transaction, the body
	// directive only in the up file.
	ix := rend.Lookup("7a8b9c0d1e07")
	if !ix.UpNoTransaction || !ix.DownNoTransaction {
		t.Errorf("autocommit_block not detected: up %v down %v", ix.UpNoTransaction, ix.DownNoTransaction)
	}
	up := ix.File(alembic.Up)
	wantUp := "-- lsos:no-transaction\n-- lsos:lock_timeout 5s\n-- Alembic revision 7a8b9c0d1e07: index reviews by publication time\n" +
		"-- upgrade() of versions/7a8b9c0d1e07_reviews_published_index.py, rendered by alembic --sql\n" +
		"CREATE INDEX CONCURRENTLY reviews_tenant_published_idx ON reviews (tenant_id, published_at);\n\n"
	if up != wantUp {
		t.Errorf("7a8b9c0d1e07 up file\n got %q\nwant %q", up, wantUp)
	}
	down := ix.File(alembic.Down)
	if !strings.HasPrefix(down, "-- lsos:no-transaction\n-- Alembic revision") || strings.Contains(down, "lock_timeout") {
		t.Errorf("7a8b9c0d1e07 down file:\n%s", down)
	}
	// Directive lines map to their comments; statements to their literal.
	file, line := ix.Source(alembic.Up, 1)
	if !strings.HasSuffix(file, "7a8b9c0d1e07_reviews_published_index.py") || line != 8 {
		t.Errorf("Source(up, 1) = %s:%d, want …:8 (the docstring directive)", file, line)
	}
	if _, line := ix.Source(alembic.Up, 2); line != 20 {
		t.Errorf("Source(up, 2) = %d, want 20 (the body comment)", line)
	}
	if _, line := ix.Source(alembic.Up, 5); line != 23 {
		t.Errorf("Source(up, 5) = %d, want 23 (the op.execute literal)", line)
	}
	lc := rend.Lookup("2b3c4d5e6f02")
	upFile := lc.File(alembic.Up)
	for i, l := range strings.Split(upFile, "\n") {
		if strings.HasPrefix(l, "CREATE INDEX campaigns_tenant_location_idx") {
			if _, line := lc.Source(alembic.Up, i+1); line != 49 {
				t.Errorf("CREATE INDEX maps to line %d, want 51", line)
			}
		}
		if strings.HasPrefix(l, "CREATE TABLE keywords") {
			if _, line := lc.Source(alembic.Up, i+1); line != 52 {
				t.Errorf("CREATE TABLE keywords maps to line %d, want 54", line)
			}
		}
	}
	// A statement from an op.* helper maps to the def line.
	if _, line := tu.Source(alembic.Down, 3); line != 56 {
		t.Errorf("op.drop_table maps to line %d, want 56 (def downgrade)", line)
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestRenderToolMissing(t *testing.T) {
	p, err := alembic.OpenConfig(sampleDir, alembic.Config{Env: []string{"PATH=" + t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Render(context.Background())
	var tnf *alembic.ToolNotFoundError
	if !errors.Is(err, alembic.ErrToolNotFound) || !errors.As(err, &tnf) {
		t.Fatalf("Render without Alembic on PATH: %v", err)
	}
	if !strings.Contains(err.Error(), "Alembic is not installed: tried alembic, python3 -m alembic") || !strings.Contains(err.Error(), "apt-get install alembic") {
		t.Errorf("message: %v", err)
	}

	// python3 on PATH without the alembic module.
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "python3"), []byte("#!/bin/sh\necho \"/usr/bin/python3: No module named alembic\" >&2\nexit 1\n"), 0o755)
	p, _ = alembic.OpenConfig(sampleDir, alembic.Config{Env: []string{"PATH=" + bin}})
	if _, err := p.Render(context.Background()); !errors.As(err, &tnf) || !strings.Contains(err.Error(), "python3 -m alembic") {
		t.Errorf("python3 without alembic: %v", err)
	}

	// A configured command that does not exist.
	p, _ = alembic.OpenConfig(sampleDir, alembic.Config{Command: []string{"/nonexistent/venv/bin/alembic"}})
	if _, err := p.Render(context.Background()); !errors.As(err, &tnf) || !strings.Contains(err.Error(), "/nonexistent/venv/bin/alembic") {
		t.Errorf("missing configured command: %v", err)
	}
}

func TestRenderCommandFailure(t *testing.T) {
	requireAlembic(t)
	dir := copySample(t)
	// env.py that fails: the error carries Alembic's stderr.
	os.WriteFile(filepath.Join(dir, "alembic", "env.py"), []byte("raise RuntimeError('env.py is broken')\n"), 0o644)
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Render(context.Background())
	var ce *alembic.CommandError
	if !errors.Is(err, alembic.ErrCommand) || !errors.As(err, &ce) || ce.ExitCode == 0 || !strings.Contains(err.Error(), "env.py is broken") || !strings.Contains(err.Error(), "upgrade base:heads --sql") {
		t.Errorf("broken env.py: %v", err)
	}
	// A project without alembic.ini can be read but not rendered.
	p, err = alembic.Open(filepath.Join(dir, "alembic"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Render(context.Background()); err == nil || !strings.Contains(err.Error(), "has no alembic.ini") {
		t.Errorf("no alembic.ini: %v", err)
	}
}

func TestRenderTwoHeads(t *testing.T) {
	requireAlembic(t)
	dir := copySample(t)
	versions := filepath.Join(dir, "alembic", "versions")
	os.RemoveAll(versions)
	os.MkdirAll(versions, 0o755)
	os.WriteFile(filepath.Join(versions, "a.py"), []byte(rev("a1", "", "", "")), 0o644)
	os.WriteFile(filepath.Join(versions, "b.py"), []byte(rev("b2", "a1", "", "")), 0o644)
	os.WriteFile(filepath.Join(versions, "c.py"), []byte(rev("c3", "a1", "", "")), 0o644)
	p, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rend, err := p.Render(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rend.Down) != 2 {
		t.Errorf("%d downgrade runs, want one per head", len(rend.Down))
	}
	for _, id := range []string{"a1", "b2", "c3"} {
		rr := rend.Lookup(id)
		if rr.Up != "CREATE TABLE t_"+id+" (id int);\n\n" || rr.Down != "DROP TABLE t_"+id+";\n\n" {
			t.Errorf("%s: up %q down %q", id, rr.Up, rr.Down)
		}
	}
}
