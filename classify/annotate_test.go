package classify

import (
	"context"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestAnnotationTags(t *testing.T) {
	for _, c := range []struct {
		comment string
		class   governance.Class
		found   bool
		bad     bool
	}{
		{"Display name of a person. lsos:class=sensitive", sen, true, false},
		{"lsos:class=audit; kept 24 months", aud, true, false},
		{"no tag here", "", false, false},
		{"lsos:class=secret", "", true, true},
		{"", "", false, false},
	} {
		got, found, err := ParseAnnotation(c.comment)
		if got != c.class || found != c.found || (err != nil) != c.bad {
			t.Errorf("ParseAnnotation(%q) = %q %v %v", c.comment, got, found, err)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"", "lsos:class=sensitive"},
		{"Display name.", "Display name. lsos:class=sensitive"},
		{"Display name. lsos:class=operational (checked)", "Display name. lsos:class=sensitive (checked)"},
	} {
		if got := WithAnnotation(c.in, sen); got != c.want {
			t.Errorf("WithAnnotation(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAnnotateWritesClassesIntoCommentsAndReclassifyAgrees(t *testing.T) {
	db := pgtest.DB(t, "lsos", lsosSetup)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `COMMENT ON COLUMN locations.address IS 'Street address. lsos:class=operational';
		CREATE TABLE misc (free_text text)`); err != nil {
		t.Fatal(err)
	}
	p := governance.Default()
	p.Classes.Columns["locations.address"] = governance.Sensitive // the policy now overrides the stale tag
	cat, err := Classify(ctx, db, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := Annotate(ctx, db, cat)
	if err != nil {
		t.Fatal(err)
	}
	settled := len(cat.Columns) - len(cat.Unclassified())
	// users.full_name already carries its tag and is not rewritten.
	if n != settled-1 {
		t.Errorf("Annotate wrote %d comments, want %d (every settled column but the one already tagged)", n, settled-1)
	}
	comment := func(table, col string) string {
		var s string
		if err := db.QueryRow(ctx, `SELECT coalesce(col_description($1::regclass, attnum), '') FROM pg_attribute
			WHERE attrelid = $1::regclass AND attname = $2`, table, col).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct{ table, col, want string }{
		{"locations", "address", "Street address. lsos:class=sensitive"}, // old tag replaced, text kept
		{"users", "email", "lsos:class=sensitive"},
		{"users", "full_name", "Display name of a person. lsos:class=sensitive"},
		{"audit_log", "action", "lsos:class=audit"},
		{"misc", "free_text", ""}, // unsettled: no tag that would hide it from review
	} {
		if got := comment(c.table, c.col); got != c.want {
			t.Errorf("comment on %s.%s = %q, want %q", c.table, c.col, got, c.want)
		}
	}
	again, err := Classify(ctx, db, governance.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range again.Columns {
		if c.Table == "public.misc" {
			continue
		}
		before, _ := cat.Column(c.Object())
		if c.Class != before.Class || c.Source != SourceAnnotation {
			t.Errorf("%s after Annotate: %s/%s, want %s/annotation", c.Object(), c.Class, c.Source, before.Class)
		}
	}
	if d := Diff(cat, again); len(d) != 0 {
		t.Errorf("Diff after annotating = %+v, want none", d)
	}
	if n, err := Annotate(ctx, db, again); err != nil || n != 0 {
		t.Errorf("second Annotate wrote %d (err %v), want 0", n, err)
	}
}

func TestDiffReportsSensitiveChanges(t *testing.T) {
	db := pgtest.DB(t, "lsos", lsosSetup)
	ctx := context.Background()
	p := governance.Default()
	before, err := Classify(ctx, db, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `
		ALTER TABLE users ADD COLUMN recovery_phone text, ADD COLUMN theme text;
		ALTER TABLE reviews DROP COLUMN author_name;
		ALTER TABLE users ALTER COLUMN email TYPE varchar(320);
		ALTER TABLE users DROP COLUMN last_login_ip;
		COMMENT ON COLUMN keywords.phrase IS 'lsos:class=sensitive';`); err != nil {
		t.Fatal(err)
	}
	after, err := Classify(ctx, db, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Change{}
	for _, c := range Diff(before, after) {
		got[c.Object()+" "+string(c.Kind)] = c
	}
	want := map[string]bool{ // object kind → sensitive
		"public.users.recovery_phone added":    true,
		"public.users.theme added":             false,
		"public.reviews.author_name removed":   false,
		"public.users.email type-changed":      true,
		"public.users.last_login_ip removed":   true,
		"public.keywords.phrase class-changed": true,
	}
	if len(got) != len(want) {
		t.Errorf("Diff = %v, want %d changes", got, len(want))
	}
	for k, sens := range want {
		c, ok := got[k]
		if !ok || c.Sensitive != sens {
			t.Errorf("change %s: present=%v sensitive=%v, want sensitive=%v", k, ok, c.Sensitive, sens)
		}
	}
	fs := Diff(before, after).Findings(p)
	if len(fs) != 4 {
		t.Errorf("sensitive-change findings = %v, want 4", fs)
	}
	for _, f := range fs {
		if f.Check != governance.CheckSensitiveChange || f.Severity != governance.SeverityWarning {
			t.Errorf("finding %v", f)
		}
	}
}
