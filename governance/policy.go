package governance

import (
	"strings"
	"time"
)

// Policy is the LSOS migration and data-governance policy as data. The zero value is not
// useful: start from [Default] or [Load].
type Policy struct {
	// Version names this policy revision; archives and audit records carry it.
	Version string `yaml:"version" json:"version"`
	// Tenant says how tenant ownership is recognised (policy §2 tenant isolation, §9).
	Tenant TenantPolicy `yaml:"tenant" json:"tenant"`
	// DeprecationWindow is the minimum time between deprecating a column or table and
	// dropping it (policy §2 "no destructive column drops without deprecation window").
	DeprecationWindow Duration `yaml:"deprecation_window" json:"deprecation_window"`
	// Snapshots lists natural keys that must not repeat (policy §9 duplicate snapshots).
	Snapshots []SnapshotKey `yaml:"snapshots" json:"snapshots"`
	// Relationships lists critical relationships that must be FK-enforced (policy §9).
	Relationships []Relationship `yaml:"relationships" json:"relationships"`
	// Classes holds explicit data classes that override rules and sampling (policy §5).
	Classes ClassPolicy `yaml:"classes" json:"classes"`
	// DataClasses describes the four classes of policy §5 with the seed's examples.
	DataClasses []DataClass `yaml:"data_classes" json:"data_classes"`
	// Retention assigns keeps to tables by category (policy §6).
	Retention []RetentionRule `yaml:"retention" json:"retention"`
	// RetentionFloors may raise a category floor above the seed's; never lower it.
	RetentionFloors map[Category]Keep `yaml:"retention_floors" json:"retention_floors"`
	// TimeZone is the IANA zone in which calendar retention is computed (UTC default).
	TimeZone string `yaml:"time_zone" json:"time_zone"`
	// Approvals are the sign-offs of policy §10.
	Approvals ApprovalRules `yaml:"approvals" json:"approvals"`
	// Migrations holds executor defaults (policy §3).
	Migrations MigrationPolicy `yaml:"migrations" json:"migrations"`
	// Offboarding holds staged tenant deletion settings (policy §8).
	Offboarding OffboardingPolicy `yaml:"offboarding" json:"offboarding"`
	// Severities raises or lowers the default severity of a check, by check name.
	Severities map[string]Severity `yaml:"severities" json:"severities"`
	// SDK names the schemas of the SDK's own bookkeeping, which every check and catalog
	// leaves out ([Policy.IsSDKSchema]).
	SDK SDKPolicy `yaml:"sdk" json:"sdk"`
	// ReplaceDefaults names lists of the policy file that replace the built-in list
	// wholesale instead of merging over it: any of snapshots, relationships, retention
	// ([ReplaceableLists]). A named list holds exactly the file's entries (none when the
	// file gives none). It only matters to [Parse] and [Load]; the effective policy
	// keeps it so that its YAML and JSON read back as the same policy.
	ReplaceDefaults []string `yaml:"replace_defaults,omitempty" json:"replace_defaults,omitempty"`

	source    string            // file the policy was loaded from, for messages
	positions map[string][2]int // key path → line, column in source
	named     map[string]bool   // list entries the file named (see namedKey)
}

// TenantPolicy names the tenant column and the root table.
type TenantPolicy struct {
	Column string `yaml:"column" json:"column"`
	Table  string `yaml:"table" json:"table"`
	// GlobalKeys lists "table.column" (or "table.(a,b)") unique keys allowed to be global,
	// i.e. exempt from tenant scoping, such as users.email for a global login.
	GlobalKeys []string `yaml:"global_keys" json:"global_keys"`
	// Global lists tables that are not tenant-owned (lookup tables), besides Table.
	Global []string `yaml:"global_tables" json:"global_tables"`
	// RequireRLS asks that tenant-owned tables enable row-level security.
	RequireRLS bool `yaml:"require_rls" json:"require_rls"`
}

// SnapshotKey is a natural key that must not repeat in a snapshot table.
type SnapshotKey struct {
	Table string   `yaml:"table" json:"table"`
	Key   []string `yaml:"key" json:"key"`
}

// Relationship is a critical relationship, "table.column" → "table.column".
type Relationship struct {
	From string `yaml:"from" json:"from"`
	To   string `yaml:"to" json:"to"`
}

// ClassPolicy holds explicit classes: columns as "table.column", tables by name. Default
// is the class for what no source settles (policy: operational), reported for review.
type ClassPolicy struct {
	Columns map[string]Class `yaml:"columns" json:"columns"`
	Tables  map[string]Class `yaml:"tables" json:"tables"`
	Default Class            `yaml:"default" json:"default"`
}

// MigrationPolicy holds executor defaults.
type MigrationPolicy struct {
	// LockTimeout bounds how long a migration statement waits for a lock, so a migration
	// never queues behind production traffic forever.
	LockTimeout Duration `yaml:"lock_timeout" json:"lock_timeout"`
	// StatementTimeout bounds one migration statement.
	StatementTimeout Duration `yaml:"statement_timeout" json:"statement_timeout"`
	// MaintenanceWindows are the approved windows of policy §3 step 5, such as
	// "Sun 02:00-04:00 UTC".
	MaintenanceWindows []string `yaml:"maintenance_windows" json:"maintenance_windows"`
}

// OffboardingPolicy holds the staged deletion settings of policy §8.
type OffboardingPolicy struct {
	// ExportWindow is the time between soft-delete and the earliest hard-delete.
	ExportWindow Duration `yaml:"export_window" json:"export_window"`
	// BatchSize bounds the rows one hard-delete statement removes.
	BatchSize int `yaml:"batch_size" json:"batch_size"`
}

// DefaultDeprecationWindow is the seed's deprecation window: 30 days.
const DefaultDeprecationWindow = Duration(720 * time.Hour)

// Default returns the seed policy. Each call returns a fresh copy.
func Default() *Policy {
	return &Policy{
		Version:           "seed",
		Tenant:            TenantPolicy{Column: "tenant_id", Table: "tenants"},
		DeprecationWindow: DefaultDeprecationWindow,
		Snapshots: []SnapshotKey{
			{Table: "ranking_snapshots", Key: []string{"tenant_id", "keyword_id", "captured_on"}},
			{Table: "crawl_outputs", Key: []string{"tenant_id", "location_id", "url", "crawled_on"}},
		},
		Relationships: []Relationship{
			{From: "keywords.campaign_id", To: "campaigns.id"},
			{From: "ranking_snapshots.keyword_id", To: "keywords.id"},
		},
		Classes: ClassPolicy{
			Columns: map[string]Class{},
			Tables:  map[string]Class{},
			Default: Operational,
		},
		DataClasses: []DataClass{
			{Name: Operational, Description: "Operational data", Examples: []string{"campaigns", "rankings", "crawl outputs", "reviews"}},
			{Name: Sensitive, Description: "Sensitive data", Examples: []string{"user credentials", "email addresses", "auth tokens"}},
			{Name: Audit, Description: "Audit data", Examples: []string{"security and privileged action logs"}},
			{Name: Artifact, Description: "Artifact data", Examples: []string{"report files", "branding assets"}},
		},
		Retention: []RetentionRule{
			{Category: CategorySnapshots, Tables: []string{"ranking_snapshots", "crawl_outputs"}, Keep: Months(13)},
			{Category: CategoryAudit, Tables: []string{"audit_log"}, Keep: Months(24)},
			{Category: CategoryDelivery, Tables: []string{"delivery_log"}, Keep: Months(12)},
			{Category: CategorySummaries, Tables: []string{"report_summaries"}, Keep: Forever},
		},
		RetentionFloors: SeedFloors(),
		TimeZone:        "UTC",
		SDK:             SDKPolicy{Prefix: DefaultSDKPrefix},
		Approvals: ApprovalRules{
			SchemaChange:    []Approver{ApproverBackendOwner, ApproverPlatformOwner},
			SensitiveChange: []Approver{ApproverSecurity},
			RetentionChange: []Approver{ApproverLegalCompliance},
		},
		Migrations: MigrationPolicy{
			LockTimeout:      Duration(5 * time.Second),
			StatementTimeout: Duration(15 * time.Minute),
		},
		Offboarding: OffboardingPolicy{
			ExportWindow: Duration(30 * 24 * time.Hour),
			BatchSize:    5000,
		},
		Severities: map[string]Severity{},
	}
}

// Location returns the policy's time zone, UTC when unset or unknown (Validate reports
// an unknown zone).
func (p *Policy) Location() *time.Location {
	if p.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ExplicitClass returns the class the policy sets for table.column, then for the table.
func (p *Policy) ExplicitClass(table, column string) (Class, string, bool) {
	t := unqualified(table)
	for k, c := range p.Classes.Columns {
		if kt, kc, ok := splitColumnRef(k); ok && unqualified(kt) == t && kc == column {
			return c, "column", true
		}
	}
	for k, c := range p.Classes.Tables {
		if unqualified(k) == t {
			return c, "table", true
		}
	}
	return "", "", false
}

// IsGlobalTable reports whether table is exempt from tenant scoping.
func (p *Policy) IsGlobalTable(table string) bool {
	t := unqualified(table)
	if t == unqualified(p.Tenant.Table) {
		return true
	}
	for _, g := range p.Tenant.Global {
		if unqualified(g) == t {
			return true
		}
	}
	return false
}

// unqualified strips a schema prefix ("public.users" → "users").
func unqualified(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// splitColumnRef splits "table.column" or "schema.table.column" at the last dot.
func splitColumnRef(s string) (table, column string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}
