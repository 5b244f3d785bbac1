package governance

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Validate returns a *PolicyError listing every violation at once, or nil. Each message
// says what is wrong and what is allowed.
func (p *Policy) Validate() error {
	v := validator{p: p}
	v.tenant()
	if p.DeprecationWindow <= 0 {
		v.add("deprecation_window", "the deprecation window must be a positive duration (seed: 720h); got %s", p.DeprecationWindow)
	}
	v.snapshots()
	v.relationships()
	v.classes()
	v.retention()
	v.approvals()
	if _, err := time.LoadLocation(p.TimeZone); p.TimeZone != "" && err != nil {
		v.add("time_zone", "unknown time zone %q (use an IANA name such as UTC or Europe/Berlin)", p.TimeZone)
	}
	if p.Migrations.LockTimeout < 0 || p.Migrations.StatementTimeout < 0 {
		v.add("migrations", "lock_timeout and statement_timeout must not be negative (0 disables)")
	}
	for i, w := range p.Migrations.MaintenanceWindows {
		if _, err := ParseWindow(w); err != nil {
			v.add(fmt.Sprintf("migrations.maintenance_windows[%d]", i), "%v", err)
		}
	}
	if p.Offboarding.ExportWindow <= 0 {
		v.add("offboarding.export_window", "the export window must be a positive duration, e.g. 720h; got %s", p.Offboarding.ExportWindow)
	}
	if p.Offboarding.BatchSize <= 0 {
		v.add("offboarding.batch_size", "the batch size must be above zero; got %d", p.Offboarding.BatchSize)
	}
	v.sdk()
	v.replaceDefaults()
	for _, k := range sortedKeys(p.Severities) {
		if !KnownCheck(k) {
			v.add("severities."+k, "unknown check %q (allowed: %s)", k, strings.Join(append(MigrationChecks(), IntegrityChecks()...), ", "))
		}
	}
	if len(v.probs) == 0 {
		return nil
	}
	return &PolicyError{File: p.source, Problems: v.probs}
}

type validator struct {
	p     *Policy
	probs []Problem
}

func (v *validator) add(path, format string, args ...any) {
	pr := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	// Point at the nearest key the file actually wrote.
	for q := path; q != ""; q = parentPath(q) {
		if at, ok := v.p.positions[q]; ok {
			pr.Line, pr.Column = at[0], at[1]
			break
		}
	}
	v.probs = append(v.probs, pr)
}

func parentPath(p string) string {
	i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
	if i < 0 {
		return ""
	}
	return p[:i]
}

func (v *validator) tenant() {
	if v.p.Tenant.Column == "" {
		v.add("tenant.column", "the tenant column must be named (seed: tenant_id)")
	}
	if v.p.Tenant.Table == "" {
		v.add("tenant.table", "the tenant root table must be named (seed: tenants)")
	}
	for i, k := range v.p.Tenant.GlobalKeys {
		if _, _, ok := splitColumnRef(k); !ok {
			v.add(fmt.Sprintf("tenant.global_keys[%d]", i), "global key %q must have the form table.column", k)
		}
	}
}

func (v *validator) snapshots() {
	seen := map[string]bool{}
	for i, s := range v.p.Snapshots {
		path := fmt.Sprintf("snapshots[%d]", i)
		if s.Table == "" {
			v.add(path+".table", "a snapshot key must name its table")
		}
		if len(s.Key) == 0 {
			v.add(path+".key", "the snapshot key for table %q names no column list; give the natural key, e.g. [tenant_id, keyword_id, captured_on]", s.Table)
		}
		if slices.Contains(s.Key, "") {
			v.add(path+".key", "the snapshot key for table %q has an empty column name", s.Table)
		}
		t := unqualified(s.Table)
		if s.Table != "" && seen[t] {
			v.add(path+".table", "duplicate snapshot key for table %q; give one key per table", s.Table)
		}
		seen[t] = true
	}
}

func (v *validator) relationships() {
	seen := map[string]bool{}
	for i, r := range v.p.Relationships {
		path := fmt.Sprintf("relationships[%d]", i)
		if _, _, ok := splitColumnRef(r.From); !ok {
			v.add(path+".from", "relationship source %q is not of the form table.column", r.From)
		}
		if _, _, ok := splitColumnRef(r.To); !ok {
			v.add(path+".to", "relationship target %q is not of the form table.column", r.To)
		}
		key := r.From + "→" + r.To
		if seen[key] {
			v.add(path, "duplicate relationship %s → %s", r.From, r.To)
		}
		seen[key] = true
	}
}

func (v *validator) classes() {
	allowed := "allowed: operational, sensitive, audit, artifact"
	for _, k := range sortedKeys(v.p.Classes.Columns) {
		c := v.p.Classes.Columns[k]
		if _, _, ok := splitColumnRef(k); !ok {
			v.add("classes.columns."+k, "column class key %q is not of the form table.column", k)
		}
		if !c.Valid() {
			v.add("classes.columns."+k, "unknown data class %q for %s (%s)", c, k, allowed)
		}
	}
	for _, k := range sortedKeys(v.p.Classes.Tables) {
		if c := v.p.Classes.Tables[k]; !c.Valid() {
			v.add("classes.tables."+k, "unknown data class %q for table %s (%s)", c, k, allowed)
		}
	}
	if !v.p.Classes.Default.Valid() {
		v.add("classes.default", "unknown default data class %q (%s; seed: operational)", v.p.Classes.Default, allowed)
	}
	seen := map[Class]bool{}
	for i, d := range v.p.DataClasses {
		if !d.Name.Valid() {
			v.add(fmt.Sprintf("data_classes[%d].name", i), "unknown data class %q (%s)", d.Name, allowed)
		}
		if seen[d.Name] {
			v.add(fmt.Sprintf("data_classes[%d].name", i), "duplicate data class %q", d.Name)
		}
		seen[d.Name] = true
	}
}

func (v *validator) retention() {
	seeds := SeedFloors()
	for _, c := range sortedKeys(v.p.RetentionFloors) {
		f := v.p.RetentionFloors[c]
		path := "retention_floors." + string(c)
		if !c.Valid() {
			v.add(path, "unknown retention category %q (allowed: snapshots, audit, delivery, summaries)", c)
			continue
		}
		if f.Less(seeds[c]) {
			v.add(path, "the floor for %s may be raised but never lowered: the policy floor is %s, got %s", c.describe(), seeds[c], f)
		}
	}
	tables := map[string]int{}
	for i, r := range v.p.Retention {
		path := fmt.Sprintf("retention[%d]", i)
		if !r.Category.Valid() {
			v.add(path+".category", "unknown retention category %q (allowed: snapshots, audit, delivery, summaries)", r.Category)
		}
		if len(r.Tables) == 0 {
			v.add(path+".tables", "a retention rule must list the tables it covers")
		}
		for _, t := range r.Tables {
			u := unqualified(t)
			if j, dup := tables[u]; dup {
				v.add(path+".tables", "table %q is covered by retention[%d] and retention[%d]; give each table one rule", t, j, i)
			}
			tables[u] = i
		}
		if r.Category.Valid() {
			floor := v.p.Floor(r.Category)
			if r.Keep.IsZero() {
				v.add(path+".keep", "a retention rule must say how long to keep (at least %s for %s, or forever)", floor, r.Category.describe())
			} else if r.Keep.Less(floor) {
				v.add(path+".keep", "retention for %s (%s) keeps %s, below the policy floor of %s; set keep to at least %s",
					r.Category.describe(), strings.Join(r.Tables, ", "), r.Keep, floor, floor)
			}
			for _, plan := range sortedKeys(r.Plans) {
				if k := r.Plans[plan]; k.Less(floor) {
					v.add(path+".plans."+plan, "plan %q keeps %s for %s, below the policy floor of %s", plan, k, r.Category.describe(), floor)
				}
			}
		}
		if r.TimeColumn != "" && strings.ContainsAny(r.TimeColumn, ".\x00") {
			v.add(path+".time_column", "time_column %q must be a plain column name", r.TimeColumn)
		}
	}
}

func (v *validator) approvals() {
	need := func(path string, list []Approver, must ...Approver) {
		for _, m := range must {
			if !slices.Contains(list, m) {
				v.add(path, "policy §10 requires %s here; approvers may be added, not removed", m)
			}
		}
	}
	need("approvals.schema_change", v.p.Approvals.SchemaChange, ApproverBackendOwner, ApproverPlatformOwner)
	need("approvals.sensitive_change", v.p.Approvals.SensitiveChange, ApproverSecurity)
	need("approvals.retention_change", v.p.Approvals.RetentionChange, ApproverLegalCompliance)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// sdk checks the names of the SDK's own schemas: the prefix must start a valid
// unquoted identifier, so that every schema derived from it is one.
func (v *validator) sdk() {
	pre := v.p.SDK.Prefix
	if pre == "" {
		v.add("sdk.prefix", "the SDK schema prefix must not be empty (default %q)", DefaultSDKPrefix)
	} else if !sdkNameRE.MatchString(pre) || len(pre) > 40 {
		v.add("sdk.prefix", "the SDK schema prefix must be lower-case letters, digits and underscores, start with a letter and be at most 40 bytes, e.g. %q; got %q", DefaultSDKPrefix, pre)
	}
	for i, t := range v.p.SDK.Tables {
		schema, table, ok := strings.Cut(t, ".")
		if !ok || !sdkNameRE.MatchString(schema) || table == "" || strings.Contains(table, ".") {
			v.add(fmt.Sprintf("sdk.tables[%d]", i), "want schema.table in lower case, e.g. public.alembic_version; got %q", t)
		}
	}
	for i, s := range v.p.SDK.Schemas {
		if !sdkNameRE.MatchString(s) || len(s) > 63 {
			v.add(fmt.Sprintf("sdk.schemas[%d]", i), "a schema name must be lower-case letters, digits and underscores, start with a letter and be at most 63 bytes; got %q", s)
		}
	}
}

var sdkNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// replaceDefaults checks the names of replace_defaults.
func (v *validator) replaceDefaults() {
	allowed := ReplaceableLists()
	seen := map[string]bool{}
	for i, l := range v.p.ReplaceDefaults {
		path := fmt.Sprintf("replace_defaults[%d]", i)
		switch {
		case !slices.Contains(allowed, l):
			v.add(path, "replace_defaults names unknown list %q (allowed: %s)", l, strings.Join(allowed, ", "))
		case seen[l]:
			v.add(path, "replace_defaults names %q twice", l)
		}
		seen[l] = true
	}
}
