package classify

import (
	"fmt"
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// Source says which evidence decided a column's class.
type Source string

// The sources, in the order they take precedence (see the package documentation).
const (
	SourcePolicy     Source = "policy"     // the policy's classes.columns or classes.tables
	SourceAnnotation Source = "annotation" // an lsos:class tag in a column or table comment
	SourceRule       Source = "rule"       // a name or type rule
	SourceSampling   Source = "sampling"   // detectors over a bounded sample of values
	SourceDefault    Source = "default"    // nothing settled it: the policy default, for review
)

// ColumnInput is what [Decide] knows about a column without reading data.
type ColumnInput struct {
	// Table is "table" or "schema.table".
	Table string
	// Column is the column name.
	Column string
	// DataType is PostgreSQL's format_type text: "text", "character varying(255)",
	// "bigint", "timestamp with time zone", "inet", "text[]", "jsonb", ….
	DataType string
	// TypeCategory is pg_type.typcategory when known ('E' enum, 'S' string, …); zero
	// means infer from DataType.
	TypeCategory byte
	// Comment is the column comment (may carry an lsos:class tag).
	Comment string
	// TableComment is the table comment (an lsos:class tag there is the table's class).
	TableComment string
	// TableColumns names all columns of the table, when known; table rules use it to
	// tell a log of privileged actions (actor and action columns) from other logs.
	TableColumns []string
}

// Decision is the class of one column and why.
type Decision struct {
	Class      governance.Class
	Source     Source
	Confidence float64
	// Reason explains the decision in words; it never contains a data value.
	Reason string
	// Settled is false when no source decided and Class is the policy default.
	Settled bool
	// Sample is true when value sampling may still find sensitive data and override
	// the decision: the column can hold text and no explicit column class or
	// sensitive rule fixed it.
	Sample bool
}

// Confidences per kind of evidence. Explicit classes are certain; rules are heuristics
// ranked by how specific they are.
const (
	confExplicit      = 1.0
	confSensitiveRule = 0.9
	confTableExplicit = 0.9
	confColumnRule    = 0.8
	confTableRule     = 0.75
	confStructural    = 0.7
)

// ClassifyColumn decides a column's class from the policy, its comment and its name and
// type alone, without a database: the migration review uses it on columns a migration
// adds. settled is false when only value sampling (or a human) could decide; class is
// then the policy default.
func ClassifyColumn(p *governance.Policy, table, column, dataType, comment string) (class governance.Class, source Source, reason string, settled bool) {
	d := Decide(p, ColumnInput{Table: table, Column: column, DataType: dataType, Comment: comment})
	return d.Class, d.Source, d.Reason, d.Settled
}

// Decide applies every source except sampling, in precedence order: the policy's column
// class; a column annotation; a rule that finds sensitive data; the table's class (the
// policy's, then a table annotation); object-key and URL column rules; table-name rules;
// structural rules; and last the unsettled policy default. Sampling, run by [Classify],
// ranks right after the sensitive rules: a detector that finds sensitive values
// overrides everything below it (the package documentation gives the details).
func Decide(p *governance.Policy, in ColumnInput) Decision {
	table := unqualified(in.Table)
	col := strings.ToLower(in.Column)
	kind := typeKindOf(in.DataType, in.TypeCategory)
	samplable := kind == typeText || (kind == typeBigNum && !isIDName(col)) || kind == typeUnknown

	explicit, scope, hasExplicit := p.ExplicitClass(table, in.Column)
	if hasExplicit && scope == "column" {
		return Decision{Class: explicit, Source: SourcePolicy, Confidence: confExplicit, Settled: true,
			Reason: fmt.Sprintf("policy classes.columns sets %s.%s to %s", table, in.Column, explicit)}
	}
	var problems []string
	if c, found, err := ParseAnnotation(in.Comment); err == nil && found {
		return Decision{Class: c, Source: SourceAnnotation, Confidence: confExplicit, Settled: true,
			Reason: "column comment carries " + TagPrefix + string(c)}
	} else if err != nil {
		problems = append(problems, "column comment has an lsos:class tag that names no class (want operational, sensitive, audit or artifact); ignored")
	}
	if why, ok := sensitiveColumnRule(col, kind); ok {
		return Decision{Class: governance.Sensitive, Source: SourceRule, Confidence: confSensitiveRule, Settled: true, Reason: why}
	}

	// The table's class is the default for its columns.
	var tbl *Decision
	if hasExplicit && scope == "table" {
		tbl = &Decision{Class: explicit, Source: SourcePolicy, Confidence: confTableExplicit, Settled: true,
			Reason: fmt.Sprintf("policy classes.tables sets table %s to %s, the default for its columns", table, explicit)}
	} else if c, found, err := ParseAnnotation(in.TableComment); err == nil && found {
		tbl = &Decision{Class: c, Source: SourceAnnotation, Confidence: confTableExplicit, Settled: true,
			Reason: fmt.Sprintf("table comment carries %s%s, the default for its columns", TagPrefix, c)}
	} else if err != nil {
		problems = append(problems, "table comment has an lsos:class tag that names no class; ignored")
	}
	withSample := func(d Decision) Decision {
		d.Sample = samplable && d.Class != governance.Sensitive
		if len(problems) > 0 {
			d.Reason += " (" + strings.Join(problems, "; ") + ")"
		}
		return d
	}
	if tbl != nil {
		return withSample(*tbl)
	}
	if why, ok := artifactColumnRule(col, kind); ok {
		return withSample(Decision{Class: governance.Artifact, Source: SourceRule, Confidence: confColumnRule, Settled: true, Reason: why})
	}
	if c, why, ok := tableRule(table, in.TableColumns); ok {
		return withSample(Decision{Class: c, Source: SourceRule, Confidence: confTableRule, Settled: true,
			Reason: why + ", the default for its columns"})
	}
	if why, ok := structuralRule(col, kind); ok {
		return withSample(Decision{Class: governance.Operational, Source: SourceRule, Confidence: confStructural, Settled: true, Reason: why})
	}
	def := p.Classes.Default
	if !def.Valid() {
		def = governance.Operational
	}
	return withSample(Decision{Class: def, Source: SourceDefault, Confidence: 0, Settled: false,
		Reason: fmt.Sprintf("no policy class, annotation or rule applies; policy default %s, confirm by review", def)})
}

// typeKind groups PostgreSQL types by what they can hold.
type typeKind int

const (
	typeUnknown  typeKind = iota // user-defined or unrecognised: sample it
	typeText                     // strings, json, xml and arrays of them
	typeBigNum                   // bigint and integral numeric: could hold card or phone digits
	typeSmallNum                 // smallint, integer, floats, numeric with a scale, money
	typeTemporal                 // dates, times, timestamps, intervals
	typeBool
	typeNetwork // inet, cidr, macaddr
	typeBinary  // bytea
	typeUUID
	typeEnum
	typeOther // geometric, ranges, tsvector, bit strings…: no detector applies
)

func typeKindOf(dataType string, category byte) typeKind {
	t := strings.ToLower(strings.TrimSpace(dataType))
	if strings.HasSuffix(t, "[]") {
		// Arrays are sampled as their text form when the element can hold text.
		switch k := typeKindOf(strings.TrimSuffix(t, "[]"), 0); k {
		case typeText, typeBigNum, typeUnknown:
			return typeText
		case typeNetwork:
			return typeNetwork
		default:
			return k
		}
	}
	if category == 'E' {
		return typeEnum
	}
	base := t
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i]) + base[strings.IndexByte(base, ')')+1:]
	}
	switch {
	case base == "text", base == "character varying", base == "varchar", base == "character", base == "char",
		base == "bpchar", base == "citext", base == "name", base == "json", base == "jsonb", base == "xml", base == `"char"`:
		return typeText
	case base == "bigint", base == "int8":
		return typeBigNum
	case base == "numeric", base == "decimal":
		// numeric(p,s) with s > 0 holds fractions, not digit strings.
		if i := strings.IndexByte(t, ','); i >= 0 && strings.TrimSpace(strings.TrimSuffix(t[i+1:], ")")) != "0" {
			return typeSmallNum
		}
		return typeBigNum
	case base == "smallint", base == "integer", base == "int", base == "int2", base == "int4", base == "real",
		base == "double precision", base == "float4", base == "float8", base == "money", base == "oid":
		return typeSmallNum
	case base == "date", base == "interval", strings.HasPrefix(base, "time"):
		return typeTemporal
	case base == "boolean", base == "bool":
		return typeBool
	case base == "inet", base == "cidr", base == "macaddr", base == "macaddr8":
		return typeNetwork
	case base == "bytea":
		return typeBinary
	case base == "uuid":
		return typeUUID
	case base == "point", base == "line", base == "lseg", base == "box", base == "path", base == "polygon",
		base == "circle", base == "tsvector", base == "tsquery", base == "bit", base == "bit varying",
		strings.HasSuffix(base, "range"), strings.HasSuffix(base, "multirange"):
		return typeOther
	}
	switch category {
	case 'S':
		return typeText
	case 'N':
		return typeSmallNum
	case 'D', 'T':
		return typeTemporal
	case 'B':
		return typeBool
	case 'I':
		return typeNetwork
	case 'G', 'R', 'V':
		return typeOther
	}
	return typeUnknown
}

// words splits a snake_case or camelCase name into lower-case words.
func words(name string) []string {
	var out []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, strings.ToLower(cur.String()))
			cur.Reset()
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' || c == '-' || c == ' ' || c == '.':
			flush()
		case c >= 'A' && c <= 'Z' && i > 0 && name[i-1] >= 'a' && name[i-1] <= 'z':
			flush()
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

func hasWord(ws []string, any ...string) bool {
	for _, w := range ws {
		for _, a := range any {
			if w == a {
				return true
			}
		}
	}
	return false
}

func isIDName(col string) bool {
	ws := words(col)
	return len(ws) > 0 && (ws[len(ws)-1] == "id" || ws[len(ws)-1] == "uuid")
}

// sensitiveColumnRule recognises column names of policy §5 sensitive data (credentials,
// e-mail addresses, auth tokens) and of contact data that needs the same care.
// Credential words only count on types that can hold a secret, so token_count integer
// and token_expires_at timestamptz stay operational.
func sensitiveColumnRule(col string, k typeKind) (string, bool) {
	ws := words(col)
	canHoldSecret := k == typeText || k == typeBinary || k == typeUnknown || k == typeBigNum
	if k == typeNetwork {
		return "column type holds network addresses (IP or MAC) of people's devices", true
	}
	switch {
	case !canHoldSecret:
		return "", false
	case hasWord(ws, "email", "emails", "mail") || strings.Contains(col, "email"):
		return "column name says it holds e-mail addresses", true
	case hasWord(ws, "password", "passwd", "pwd", "passphrase", "passhash") || strings.Contains(col, "password"):
		return "column name says it holds password material", true
	case hasWord(ws, "token", "tokens", "secret", "secrets", "apikey", "oauth", "otp", "totp", "mfa", "salt", "nonce") ||
		strings.Contains(col, "api_key") || strings.Contains(col, "private_key") || strings.Contains(col, "access_key") ||
		strings.Contains(col, "recovery_code") || strings.Contains(col, "session_key"):
		return "column name says it holds credentials (token, secret, API key or OAuth material)", true
	case hasWord(ws, "phone", "telephone", "mobile", "msisdn", "fax") || strings.Contains(col, "phone"):
		return "column name says it holds phone numbers", true
	case hasWord(ws, "ip", "ipaddr", "ipv4", "ipv6") || col == "remote_addr":
		return "column name says it holds IP addresses", true
	case hasWord(ws, "address", "street", "postcode", "zipcode", "zip") || (hasWord(ws, "postal") && hasWord(ws, "code")):
		return "column name says it holds postal addresses", true
	case hasWord(ws, "ssn", "iban", "passport", "dob") || strings.Contains(col, "card_number") ||
		strings.Contains(col, "credit_card") || strings.Contains(col, "birth"):
		return "column name says it holds identity or payment data", true
	}
	return "", false
}

// artifactColumnRule recognises object-storage keys and URLs of stored files (policy §5
// artifact data: report files and branding assets).
func artifactColumnRule(col string, k typeKind) (string, bool) {
	if k != typeText && k != typeUnknown {
		return "", false
	}
	ws := words(col)
	loc := hasWord(ws, "key", "url", "uri", "path", "location")
	if loc && hasWord(ws, "object", "file", "blob", "asset", "attachment", "upload", "s3", "storage", "bucket", "logo", "avatar", "image") {
		return "column name says it locates a stored file (object key or URL)", true
	}
	return "", false
}

// tableRule classifies by table name: the §5 examples and the usual shapes of LSOS
// tables. A *_log table is audit only when it records security or privileged actions
// (its name says so, or it has both an actor and an action column): a delivery or job
// log is operational (policy §5 audit data = "security and privileged action logs").
func tableRule(table string, cols []string) (governance.Class, string, bool) {
	ws := words(table)
	switch {
	case hasWord(ws, "audit", "audits"):
		return governance.Audit, fmt.Sprintf("table %s is an audit log (security and privileged actions)", table), true
	case hasWord(ws, "token", "tokens", "session", "sessions", "credential", "credentials", "secret", "secrets",
		"apikeys", "password", "passwords", "oauth") || strings.Contains(table, "api_key"):
		return governance.Sensitive, fmt.Sprintf("table %s holds credentials (auth tokens, sessions or secrets)", table), true
	case hasWord(ws, "log", "logs", "journal", "history", "events"):
		if hasWord(ws, "security", "access", "login", "logins", "auth", "admin", "privilege", "privileged", "permission", "permissions") {
			return governance.Audit, fmt.Sprintf("table %s logs security or privileged actions", table), true
		}
		if hasActorAndAction(cols) {
			return governance.Audit, fmt.Sprintf("table %s logs actions by actors (it has actor and action columns)", table), true
		}
		return governance.Operational, fmt.Sprintf("table %s is an operational log, not one of security or privileged actions", table), true
	case hasWord(ws, "file", "files", "asset", "assets", "attachment", "attachments", "upload", "uploads",
		"media", "blob", "blobs", "branding", "artifact", "artifacts"):
		return governance.Artifact, fmt.Sprintf("table %s describes stored files (report files or branding assets)", table), true
	case hasWord(ws, "tenant", "tenants", "location", "locations", "campaign", "campaigns", "keyword", "keywords",
		"ranking", "rankings", "rank", "ranks", "snapshot", "snapshots", "crawl", "crawls", "review", "reviews",
		"summary", "summaries", "serp", "metric", "metrics", "competitor", "competitors", "citation", "citations"):
		return governance.Operational, fmt.Sprintf("table %s holds operational data (campaigns, rankings, crawl outputs, reviews)", table), true
	}
	return "", "", false
}

func hasActorAndAction(cols []string) bool {
	actor, action := false, false
	for _, c := range cols {
		ws := words(c)
		actor = actor || hasWord(ws, "actor", "performed", "admin") || strings.HasPrefix(strings.ToLower(c), "actor")
		action = action || hasWord(ws, "action", "operation", "event", "activity")
	}
	return actor && action
}

// structuralRule settles columns that are structure rather than content: identifiers,
// timestamps, flags, small numbers and enum labels hold no personal data by their type.
func structuralRule(col string, k typeKind) (string, bool) {
	switch k {
	case typeTemporal:
		return "column type is a date or time", true
	case typeBool:
		return "column type is a flag", true
	case typeSmallNum:
		return "column type is a number or measure", true
	case typeEnum:
		return "column type is an enumeration of labels", true
	case typeUUID:
		return "column type is a UUID identifier", true
	case typeBigNum:
		if isIDName(col) {
			return "column is an identifier or reference", true
		}
	}
	return "", false
}

// unqualified strips a schema prefix ("public.users" → "users").
func unqualified(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}
