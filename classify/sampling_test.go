package classify

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// secrets are the values planted in the innocently named columns below. None may appear
// in any output.
var secrets = []string{
	"ann.lee@example.com", "bo.chen@example.org", "cy.diaz@mail.example.net",
	"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
	"sk_live_4eC39HqLyjWDarjtT1zdp7dc",
	"4111 1111 1111 1111",
	"+44 20 7946 0958",
}

const innocentSQL = `
CREATE SCHEMA crm;
-- No name, type or table rule applies to these columns: only sampling can tell.
CREATE TABLE crm.contacts_misc (
    n        int PRIMARY KEY,
    notes    text,
    details  text,
    extra    jsonb,
    link     text,
    product  text,
    memo     varchar(200),
    blob     text
);
INSERT INTO crm.contacts_misc
SELECT g,
       (ARRAY['ann.lee@example.com', 'bo.chen@example.org', 'cy.diaz@mail.example.net'])[1 + g % 3],
       CASE WHEN g % 2 = 0 THEN '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'
            ELSE 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl' END,
       jsonb_build_object('k', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'),
       'https://shop' || g || '.example.com/products/' || g || '?ref=home',
       (ARRAY['Widget Pro 3000', 'Gadget Mini', 'Sprocket 2.0 (blue)', 'Deluxe Flange v1.2.3'])[1 + g % 4],
       CASE WHEN g % 2 = 0 THEN '4111 1111 1111 1111' ELSE '+44 20 7946 0958' END,
       NULL
FROM generate_series(1, 40) g;
`

func TestSamplingClassifiesInnocentlyNamedColumnsAndLeaksNoValue(t *testing.T) {
	db := pgtest.DB(t, "innocent", pgtest.SQLSetup(innocentSQL))
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := governance.Default()
	cat, err := Classify(context.Background(), db, p, Options{Logger: logger, Schemas: []string{"crm"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		class  governance.Class
		source Source
		reason string
	}{
		"notes":   {sen, SourceSampling, "40/40 sampled values look like e-mail addresses"},
		"details": {sen, SourceSampling, "20/40 sampled values look like "}, // hashes and JWTs, 20 each
		"extra":   {sen, SourceSampling, "40/40 sampled values look like API keys"},
		"memo":    {sen, SourceSampling, "20/40 sampled values look like "}, // cards and phones, 20 each
		"link":    {op, SourceDefault, "40 sampled values matched no sensitive-data detector"},
		"product": {op, SourceDefault, "40 sampled values matched no sensitive-data detector"},
		"blob":    {op, SourceDefault, "all 40 sampled values are null"},
		"n":       {op, SourceRule, "column type is a number or measure"},
	}
	for col, w := range want {
		c, ok := cat.Column("crm.contacts_misc." + col)
		if !ok {
			t.Fatalf("column %s missing from the catalog", col)
		}
		if c.Class != w.class || c.Source != w.source || !strings.Contains(c.Reason, w.reason) {
			t.Errorf("%s = %s/%s %q, want %s/%s with reason containing %q", col, c.Class, c.Source, c.Reason, w.class, w.source, w.reason)
		}
	}
	if c, _ := cat.Column("contacts_misc.notes"); c.Sample == nil || c.Sample.Values != 40 || c.Sample.Matches["email"] != 40 {
		t.Errorf("notes sample summary = %+v, want 40 values, 40 e-mail matches", c.Sample)
	}
	// Unsettled columns are reported for review; settled ones are not.
	var objects []string
	for _, f := range cat.Findings(p) {
		if f.Check != governance.CheckUnclassifiedColumn {
			t.Errorf("unexpected check %q", f.Check)
		}
		objects = append(objects, f.Object)
	}
	if got := strings.Join(objects, " "); got != "crm.contacts_misc.link crm.contacts_misc.product crm.contacts_misc.blob" {
		t.Errorf("unclassified findings = %q", got)
	}

	// No sampled value appears in any output: the catalog's JSON and text, the
	// findings, the logs, and the error of a failed sampling run.
	var js, txt bytes.Buffer
	if err := cat.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := cat.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	fj, _ := json.Marshal(governance.Report{Findings: cat.Findings(p)})
	_, failErr := Classify(context.Background(), db, p, Options{Logger: logger, Schemas: []string{"crm"}, SampleTimeout: time.Nanosecond})
	if failErr == nil {
		t.Fatal("a 1ns sample timeout did not fail")
	}
	outputs := map[string]string{"json": js.String(), "text": txt.String(), "findings": string(fj), "logs": logs.String(),
		"error": failErr.Error()}
	if !strings.Contains(logs.String(), "contacts_misc") || !strings.Contains(txt.String(), "notes") {
		t.Fatalf("outputs look empty: logs %q", logs.String())
	}
	for name, out := range outputs {
		for _, s := range secrets {
			for _, piece := range []string{s, s[:min(len(s), 12)]} {
				if strings.Contains(out, piece) {
					t.Errorf("%s output contains sampled value %q", name, piece)
				}
			}
		}
	}
}

func TestSamplingIsBoundedAndUsesABlockSampleOnLargeTables(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `
		CREATE TABLE bulk_rows (n bigint, payload text);
		INSERT INTO bulk_rows SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 50000) g;
		CREATE TABLE never_analyzed (n bigint, payload text);
		INSERT INTO never_analyzed SELECT g, 'Widget ' || g FROM generate_series(1, 30000) g;
		ANALYZE bulk_rows;`); err != nil {
		t.Fatal(err)
	}
	cat, err := Classify(ctx, db, governance.Default(), Options{SampleSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := cat.Table("bulk_rows")
	if !strings.HasPrefix(ev.SampleMethod, "tablesample system") || ev.SampledRows != 100 || ev.EstimatedRows != 50000 {
		t.Errorf("bulk_rows: method %q, %d rows sampled, estimate %d; want a block sample capped at 100 rows", ev.SampleMethod, ev.SampledRows, ev.EstimatedRows)
	}
	if c, _ := cat.Column("bulk_rows.payload"); c.Class != sen || c.Source != SourceSampling {
		t.Errorf("bulk_rows.payload = %s/%s", c.Class, c.Source)
	}
	// bigint "n" is no identifier by name, so it is sampled for card numbers, and is clean.
	if c, _ := cat.Column("bulk_rows.n"); c.Settled || c.Sample == nil || c.Sample.Values != 100 {
		t.Errorf("bulk_rows.n = %+v, want an unsettled sampled column", c)
	}
	// Without statistics the sample is sized from the relation's pages.
	na, _ := cat.Table("never_analyzed")
	if na.SampledRows != 100 || !strings.HasPrefix(na.SampleMethod, "tablesample system") {
		t.Errorf("never_analyzed: %d rows by %q", na.SampledRows, na.SampleMethod)
	}

	off, err := Classify(ctx, db, governance.Default(), Options{NoSampling: true})
	if err != nil {
		t.Fatal(err)
	}
	if tb, _ := off.Table("bulk_rows"); tb.SampledRows != 0 {
		t.Errorf("NoSampling read %d rows", tb.SampledRows)
	}
	if c, _ := off.Column("bulk_rows.payload"); c.Settled || c.Class != op || c.Source != SourceDefault {
		t.Errorf("NoSampling: payload = %+v, want the unsettled default", c)
	}
}
