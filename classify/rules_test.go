package classify

import (
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
)

func TestClassifyColumnWithoutADatabase(t *testing.T) {
	p := governance.Default()
	p.Classes.Columns["billing.vat_number"] = governance.Sensitive
	cases := []struct {
		table, column, typ, comment string
		class                       governance.Class
		source                      Source
		settled                     bool
	}{
		{"billing", "vat_number", "text", "", sen, SourcePolicy, true},
		{"public.users", "nickname", "text", "Shown to others. lsos:class=sensitive", sen, SourceAnnotation, true},
		{"users", "contact_email", "character varying(320)", "", sen, SourceRule, true},
		{"users", "passwd", "text", "", sen, SourceRule, true},
		{"integrations", "oauth_refresh", "text", "", sen, SourceRule, true},
		{"integrations", "stripe_api_key", "text", "", sen, SourceRule, true},
		{"integrations", "token_count", "integer", "", op, SourceRule, true},            // a number, not a token
		{"sessions_meta", "token_expires_at", "timestamptz", "", sen, SourceRule, true}, // a sessions table is credentials
		{"contacts", "mobile", "text", "", sen, SourceRule, true},
		{"contacts", "client_ip", "text", "", sen, SourceRule, true},
		{"contacts", "seen_from", "inet", "", sen, SourceRule, true},
		{"contacts", "street", "text", "", sen, SourceRule, true},
		{"crawl_outputs", "content_hash", "bytea", "", op, SourceRule, true}, // a content digest, not a password
		{"assets_meta", "checksum", "text", "", art, SourceRule, true},
		{"users", "avatar_object_key", "text", "", art, SourceRule, true},
		{"campaigns", "report_file_url", "text", "", art, SourceRule, true},
		{"admin_actions_log", "what", "text", "", aud, SourceRule, true},
		{"job_log", "message", "text", "", op, SourceRule, true},
		{"widgets", "id", "bigint", "", op, SourceRule, true},
		{"widgets", "created_at", "timestamp with time zone", "", op, SourceRule, true},
		{"widgets", "price", "numeric(10,2)", "", op, SourceRule, true},
		{"widgets", "notes", "text", "", op, SourceDefault, false},
		{"widgets", "serial", "bigint", "", op, SourceDefault, false}, // could hold card digits: needs sampling
		{"widgets", "label", "text", "lsos:class=secret", op, SourceDefault, false},
	}
	for _, c := range cases {
		class, src, reason, settled := ClassifyColumn(p, c.table, c.column, c.typ, c.comment)
		if class != c.class || src != c.source || settled != c.settled || reason == "" {
			t.Errorf("ClassifyColumn(%s.%s %s) = %s/%s settled=%v %q; want %s/%s settled=%v",
				c.table, c.column, c.typ, class, src, settled, reason, c.class, c.source, c.settled)
		}
	}
	_, _, reason, _ := ClassifyColumn(p, "widgets", "label", "text", "lsos:class=secret")
	if !strings.Contains(reason, "names no class") {
		t.Errorf("an invalid tag is not explained: %q", reason)
	}
	// A log of actions by actors is audit even without "audit" in its name.
	d := Decide(p, ColumnInput{Table: "change_log", Column: "payload", DataType: "jsonb",
		TableColumns: []string{"id", "actor_id", "action", "payload"}})
	if d.Class != aud || !d.Sample {
		t.Errorf("change_log.payload = %+v, want audit and still sampled", d)
	}
	// The policy default decides what nothing settles.
	p.Classes.Default = governance.Audit
	if class, src, _, settled := ClassifyColumn(p, "widgets", "notes", "text", ""); class != aud || src != SourceDefault || settled {
		t.Errorf("default class = %s/%s settled=%v, want audit/default unsettled", class, src, settled)
	}
}

func TestUnclassifiedFindingNamesTheFix(t *testing.T) {
	p := governance.Default()
	p.Severities[governance.CheckUnclassifiedColumn] = governance.SeverityError
	f := UnclassifiedFinding(p, "public.widgets", "notes", op)
	if f.Check != "unclassified-column" || f.Object != "public.widgets.notes" || f.Severity != governance.SeverityError ||
		!strings.Contains(f.Message, "classes.columns") || !strings.Contains(f.Message, TagPrefix) {
		t.Errorf("finding = %+v", f)
	}
}
