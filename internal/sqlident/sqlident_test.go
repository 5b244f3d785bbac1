package sqlident

import (
	"errors"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"users":          `"users"`,
		`We"ird`:         `"We""ird"`,
		"Mixed Case; --": `"Mixed Case; --"`,
		"ünïcode":        `"ünïcode"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s; want %s", in, got, want)
		}
	}
	if got := QuoteLiteral("it's"); got != `'it''s'` {
		t.Errorf("QuoteLiteral = %s", got)
	}
	if got := (Name{Schema: "my schema", Name: `t"1`}).Quoted(); got != `"my schema"."t""1"` {
		t.Errorf("Name.Quoted = %s", got)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Name{
		"users":                 {Schema: "public", Name: "users"},
		"Sales.Orders":          {Schema: "sales", Name: "orders"},
		`"My Schema"."a.b"`:     {Schema: "My Schema", Name: "a.b"},
		`"say ""hi"""`:          {Schema: "public", Name: `say "hi"`},
		`app."Users"`:           {Schema: "app", Name: "Users"},
		strings.Repeat("x", 63): {Schema: "public", Name: strings.Repeat("x", 63)},
	} {
		got, err := Parse(in, "public")
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a.b.c", `"unterminated`, `a"b`, `"a"b`, "a..b", strings.Repeat("y", 64), "nul\x00byte", "\xff"} {
		if _, err := Parse(bad, "public"); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error = %v; want ErrInvalid", bad, err)
		}
	}
}

func FuzzQuoteRoundTrip(f *testing.F) {
	for _, s := range []string{"users", `a"b`, "Mixed Case", "x.y", `""`, "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Check(s) != nil {
			return
		}
		// A quoted identifier always parses back to itself.
		got, err := Parse(Quote(s), "")
		if err != nil || got.Name != s || got.Schema != "" {
			t.Fatalf("Parse(Quote(%q)) = %+v, %v", s, got, err)
		}
	})
}
