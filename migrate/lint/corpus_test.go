package lint

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
)

const (
	caseVersion = "20260301000000"
	caseFile    = caseVersion + "_change.up.sql"
	prevVersion = "20260201000000"
)

// want is one expected finding: file:line code object (the check follows from the code).
type want struct {
	file string
	line int
	code string
	obj  string
}

func (w want) key() string {
	return fmt.Sprintf("%s:%d %s %s %s", w.file, w.line, codeCheck(w.code), w.code, w.obj)
}

func codeCheck(code string) string {
	return map[string]string{"MR": governance.CheckMissingRollback, "CS": governance.CheckChecksumMismatch,
		"DC": governance.CheckDestructiveChange, "BI": governance.CheckBackwardIncompatible, "LR": governance.CheckLockRisk,
		"II": governance.CheckIndexImpact, "TI": governance.CheckTenantIsolation, "UC": governance.CheckUnclassifiedColumn,
		"SC": governance.CheckSensitiveChange, "MA": governance.CheckMissingApproval,
		// Atlas sqlcheck codes that no check of ours covers become atlas-* findings.
		"DS": governance.CheckAtlasDestructive, "MF": governance.CheckAtlasDataDepend,
		"CD": governance.CheckAtlasConDrop, "BC": governance.CheckAtlasIncompatible,
		"IM": governance.CheckInvalidMigration}[code[:2]]
}

// w is an expected finding in the case's own file.
func w(line int, code, obj string) want { return want{caseFile, line, code, obj} }

func one(up string) []mig { return []mig{{version: caseVersion, name: "change", up: up}} }

func two(prev, up string) []mig {
	return []mig{{version: prevVersion, name: "prev", up: prev}, {version: caseVersion, name: "change", up: up}}
}

func noLockTimeout(p *governance.Policy) { p.Migrations.LockTimeout = 0 }

// corpusCase is one case of the corpus: a directory and the exact findings expected.
type corpusCase struct {
	name string
	dir  dirCase
	want []want
	// negative names the checks this case proves silent on a safe migration.
	negative []string
}

// corpus is modelled on the rules of Squawk and strong_migrations, written for LSOS.
var corpus = []corpusCase{
	// lock-risk
	{name: "index-without-concurrently", dir: dirCase{migs: one("CREATE INDEX projects_title_idx ON projects (title);")},
		want: []want{w(1, "LR101", "public.projects"), w(1, "II101", "public.projects")}},
	{name: "index-concurrently", dir: dirCase{migs: one("-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_title_idx ON projects (title);")},
		want: []want{w(2, "II101", "public.projects")}, negative: []string{governance.CheckLockRisk}},
	{name: "concurrently-in-transaction", dir: dirCase{migs: one("CREATE INDEX CONCURRENTLY projects_title_idx ON projects (title);")},
		want: []want{w(1, "LR103", "public.projects"), w(1, "II101", "public.projects")}},
	{name: "index-on-new-table", dir: dirCase{migs: one("CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), title text);\nCREATE INDEX notes_tenant_idx ON notes (tenant_id);")},
		negative: []string{governance.CheckLockRisk, governance.CheckIndexImpact, governance.CheckTenantIsolation, governance.CheckUnclassifiedColumn}},
	{name: "drop-index-without-concurrently", dir: dirCase{migs: one("DROP INDEX projects_created_idx;")},
		want: []want{w(1, "LR102", "public.projects"), w(1, "II102", "public.projects")}},
	{name: "drop-index-concurrently", dir: dirCase{migs: one("-- lsos:no-transaction\nDROP INDEX CONCURRENTLY projects_created_idx;")},
		want: []want{w(2, "II102", "public.projects")}, negative: []string{governance.CheckLockRisk}},
	{name: "fk-without-not-valid", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN owner_id bigint;\nALTER TABLE projects ADD CONSTRAINT projects_owner_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES accounts (tenant_id, id);")},
		want: []want{w(2, "LR104", "public.projects"), w(2, "II103", "public.projects.(tenant_id,owner_id)")}},
	{name: "fk-not-valid", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN owner_id bigint;\nALTER TABLE projects ADD CONSTRAINT projects_owner_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES accounts (tenant_id, id) NOT VALID;")},
		want: []want{w(2, "II103", "public.projects.(tenant_id,owner_id)")}, negative: []string{governance.CheckLockRisk}},
	{name: "add-column-references", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN account_id bigint REFERENCES accounts (id);")},
		want: []want{w(1, "LR104", "public.projects.account_id"), w(1, "TI104", "public.projects.(account_id)"), w(1, "II103", "public.projects.(account_id)")}},
	{name: "check-without-not-valid", dir: dirCase{migs: one("ALTER TABLE projects ADD CONSTRAINT projects_title_len CHECK (length(title) < 200);")},
		want: []want{w(1, "LR105", "public.projects")}},
	{name: "check-not-valid", dir: dirCase{migs: one("ALTER TABLE projects ADD CONSTRAINT projects_title_len CHECK (length(title) < 200) NOT VALID;")},
		negative: []string{governance.CheckLockRisk}},
	{name: "type-change-rewrite", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN budget TYPE integer;")},
		want: []want{w(1, "LR106", "public.projects.budget"), w(1, "BI106", "public.projects.budget")}},
	{name: "type-change-using", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN status TYPE varchar(50) USING upper(status);")},
		want: []want{w(1, "LR106", "public.projects.status"), w(1, "BI106", "public.projects.status")}},
	{name: "varchar-widen", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN status TYPE varchar(50);")},
		negative: []string{governance.CheckLockRisk, governance.CheckBackwardIncompatible}},
	{name: "varchar-to-text", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN status TYPE text;")},
		negative: []string{governance.CheckLockRisk, governance.CheckBackwardIncompatible}},
	{name: "numeric-widen", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN budget TYPE numeric(14,2);")},
		negative: []string{governance.CheckLockRisk}},
	{name: "volatile-default", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN public_id uuid DEFAULT gen_random_uuid();")},
		want: []want{w(1, "LR107", "public.projects.public_id")}},
	{name: "serial-column", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN seq_no bigserial;")},
		want: []want{w(1, "LR107", "public.projects.seq_no")}},
	{name: "stable-default", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN archived_at timestamptz DEFAULT now();")},
		negative: []string{governance.CheckLockRisk}},
	{name: "no-lock-timeout", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN due_on date;"), policy: noLockTimeout},
		want: []want{w(1, "LR108", "public.projects")}},
	{name: "lock-timeout-directive", dir: dirCase{migs: one("-- lsos:lock_timeout 3s\nALTER TABLE projects ADD COLUMN due_on date;"), policy: noLockTimeout},
		negative: []string{governance.CheckLockRisk}},
	{name: "set-lock-timeout", dir: dirCase{migs: one("SET lock_timeout = '2s';\nALTER TABLE projects ADD COLUMN due_on date;"), policy: noLockTimeout},
		negative: []string{governance.CheckLockRisk}},
	{name: "share-update-exclusive-needs-no-timeout", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN title SET STATISTICS 500;"), policy: noLockTimeout},
		negative: []string{governance.CheckLockRisk}},
	{name: "detach-without-concurrently", dir: dirCase{migs: one("ALTER TABLE ranking_snapshots DETACH PARTITION ranking_snapshots_2026_01;")},
		want: []want{w(1, "LR109", "public.ranking_snapshots_2026_01")}},
	{name: "detach-concurrently", dir: dirCase{migs: one("-- lsos:no-transaction\nALTER TABLE ranking_snapshots DETACH PARTITION ranking_snapshots_2026_01 CONCURRENTLY;")},
		negative: []string{governance.CheckLockRisk}},
	{name: "unique-constraint-without-index", dir: dirCase{migs: one("ALTER TABLE projects ADD CONSTRAINT projects_title_uq UNIQUE (tenant_id, title);")},
		want: []want{w(1, "LR110", "public.projects"), w(1, "II101", "public.projects"), w(1, "MF101", "public.projects")}},
	{name: "unique-using-index", dir: dirCase{migs: one("-- lsos:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY projects_title_uq ON projects (tenant_id, title);\nALTER TABLE projects ADD CONSTRAINT projects_title_uq UNIQUE USING INDEX projects_title_uq;")},
		want: []want{w(2, "II101", "public.projects"), w(2, "MF101", "public.projects")}, negative: []string{governance.CheckLockRisk}},

	// backward-incompatible
	{name: "set-not-null", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN legacy_code SET NOT NULL;")},
		want: []want{w(1, "BI107", "public.projects.legacy_code"), w(1, "LR111", "public.projects.legacy_code")}},
	{name: "set-not-null-after-validated-check", dir: dirCase{migs: []mig{
		{version: prevVersion, name: "prev", up: "UPDATE projects SET legacy_code = 'none' WHERE legacy_code IS NULL;\nALTER TABLE projects ADD CONSTRAINT projects_legacy_nn CHECK (legacy_code IS NOT NULL) NOT VALID;"},
		{version: "20260215000000", name: "validate", up: "ALTER TABLE projects VALIDATE CONSTRAINT projects_legacy_nn;"},
		{version: caseVersion, name: "change", up: "ALTER TABLE projects ALTER COLUMN legacy_code SET NOT NULL;"}}},
		negative: []string{governance.CheckBackwardIncompatible, governance.CheckLockRisk}},
	{name: "rename-column", dir: dirCase{migs: one("ALTER TABLE projects RENAME COLUMN title TO name;")},
		want: []want{w(1, "BI102", "public.projects.title")}},
	{name: "rename-table", dir: dirCase{migs: one("ALTER TABLE projects RENAME TO initiatives;")},
		want: []want{w(1, "BI101", "public.projects")}},
	{name: "add-not-null-without-default", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN priority integer NOT NULL;")},
		want: []want{w(1, "BI105", "public.projects.priority")}},
	{name: "add-not-null-with-default", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN priority integer NOT NULL DEFAULT 0;")},
		negative: []string{governance.CheckBackwardIncompatible, governance.CheckLockRisk}},
	{name: "drop-default", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN status DROP DEFAULT;")},
		want: []want{w(1, "BI108", "public.projects.status")}},
	{name: "set-default", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN status SET DEFAULT 'open';")},
		negative: []string{governance.CheckBackwardIncompatible}},
	{name: "contract-after-expand", dir: dirCase{migs: two(
		"-- lsos:breaking flag=project_label phase=expand\nALTER TABLE projects ADD COLUMN label text;",
		"-- lsos:breaking flag=project_label phase=contract\nALTER TABLE projects RENAME COLUMN title TO old_title;")},
		negative: []string{governance.CheckBackwardIncompatible}},
	{name: "contract-without-expand", dir: dirCase{migs: one("-- lsos:breaking flag=project_label phase=contract\nALTER TABLE projects RENAME COLUMN title TO name;")},
		want: []want{w(2, "BI102", "public.projects.title")}},
	{name: "new-table-not-null-column", dir: dirCase{migs: one("CREATE TABLE labels (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), label text NOT NULL);\nCREATE INDEX labels_tenant_idx ON labels (tenant_id);")},
		negative: []string{governance.CheckBackwardIncompatible, governance.CheckLockRisk}},

	// destructive-change
	{name: "drop-column-without-deprecation", dir: dirCase{migs: one("ALTER TABLE projects DROP COLUMN legacy_code;")},
		want: []want{w(1, "DC102", "public.projects.legacy_code"), w(1, "BI104", "public.projects.legacy_code")}},
	{name: "drop-column-after-window", dir: dirCase{migs: two(
		"-- lsos:deprecates projects.legacy_code\n-- lsos:breaking flag=drop_legacy phase=expand\nCOMMENT ON COLUMN projects.legacy_code IS 'deprecated: unused since 2026-02';",
		"-- lsos:breaking flag=drop_legacy phase=contract\nALTER TABLE projects DROP COLUMN legacy_code;")},
		negative: []string{governance.CheckDestructiveChange, governance.CheckBackwardIncompatible}},
	{name: "drop-column-window-not-passed", dir: dirCase{migs: []mig{
		{version: "20260520000000", name: "deprecate", up: "-- lsos:deprecates projects.legacy_code\nSELECT 1;"},
		{version: "20260525000000", name: "drop", up: "ALTER TABLE projects DROP COLUMN legacy_code;"}}},
		want: []want{{"20260525000000_drop.up.sql", 1, "DC102", "public.projects.legacy_code"}, {"20260525000000_drop.up.sql", 1, "BI104", "public.projects.legacy_code"}}},
	{name: "drop-table", dir: dirCase{migs: one("DROP TABLE accounts;")},
		want: []want{w(1, "DC101", "public.accounts"), w(1, "BI103", "public.accounts")}},
	{name: "drop-table-deprecated", dir: dirCase{migs: two("-- lsos:deprecates accounts\n-- lsos:breaking flag=no_accounts phase=expand\nSELECT 1;",
		"-- lsos:breaking flag=no_accounts phase=contract\nDROP TABLE accounts;")},
		negative: []string{governance.CheckDestructiveChange}},
	{name: "drop-table-created-in-same-file", dir: dirCase{migs: one("CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;")},
		negative: []string{governance.CheckDestructiveChange, governance.CheckTenantIsolation}},
	{name: "truncate", dir: dirCase{migs: one("TRUNCATE projects;")},
		want: []want{w(1, "DC103", "public.projects")}},

	// tenant-isolation
	{name: "table-without-tenant", dir: dirCase{migs: one("CREATE TABLE tags (id bigint PRIMARY KEY, label text NOT NULL);")},
		want: []want{w(1, "TI101", "public.tags")}},
	{name: "global-table-without-tenant", dir: dirCase{migs: one("CREATE TABLE countries (id bigint PRIMARY KEY, label text NOT NULL);"),
		policy: func(p *governance.Policy) { p.Tenant.Global = []string{"countries"} }},
		negative: []string{governance.CheckTenantIsolation}},
	{name: "nullable-tenant", dir: dirCase{migs: one("CREATE TABLE tags (id bigint PRIMARY KEY, tenant_id bigint REFERENCES tenants (id), label text NOT NULL);")},
		want: []want{w(1, "TI102", "public.tags.tenant_id"), w(1, "II103", "public.tags.(tenant_id)")}},
	{name: "unique-without-tenant", dir: dirCase{migs: one("CREATE TABLE tags (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), label text NOT NULL UNIQUE);\nCREATE INDEX tags_tenant_idx ON tags (tenant_id);")},
		want: []want{w(1, "TI103", "public.tags.(label)")}},
	{name: "unique-global-key", dir: dirCase{migs: one("CREATE TABLE tags (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), label text NOT NULL UNIQUE);\nCREATE INDEX tags_tenant_idx ON tags (tenant_id);"),
		policy: func(p *governance.Policy) { p.Tenant.GlobalKeys = []string{"tags.label"} }},
		negative: []string{governance.CheckTenantIsolation}},
	{name: "unique-index-on-existing-without-tenant", dir: dirCase{migs: one("-- lsos:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY accounts_email_uq ON accounts (email);")},
		want: []want{w(2, "TI103", "public.accounts.(email)"), w(2, "II101", "public.accounts"), w(2, "MF101", "public.accounts")}},
	{name: "fk-without-tenant", dir: dirCase{migs: one("CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), project_id bigint NOT NULL REFERENCES projects (id), UNIQUE (tenant_id, id));")},
		want: []want{w(1, "TI104", "public.tasks.(project_id)"), w(1, "II103", "public.tasks.(project_id)")}},
	{name: "fk-with-tenant", dir: dirCase{migs: one("CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), project_id bigint NOT NULL,\n  FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id));\nCREATE INDEX tasks_project_idx ON tasks (tenant_id, project_id);")},
		negative: []string{governance.CheckTenantIsolation, governance.CheckIndexImpact}},
	{name: "rls-required", dir: dirCase{migs: one("CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id));\nCREATE INDEX notes_tenant_idx ON notes (tenant_id);"),
		policy: func(p *governance.Policy) { p.Tenant.RequireRLS = true }},
		want: []want{w(1, "TI105", "public.notes")}},
	{name: "rls-enabled", dir: dirCase{migs: one("CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id));\nCREATE INDEX notes_tenant_idx ON notes (tenant_id);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;"),
		policy: func(p *governance.Policy) { p.Tenant.RequireRLS = true }},
		negative: []string{governance.CheckTenantIsolation}},

	// unclassified-column, sensitive-change
	{name: "unclassified-column", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN notes text;")},
		want: []want{w(1, "UC101", "public.projects.notes")}},
	{name: "annotated-column", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN notes text;\nCOMMENT ON COLUMN projects.notes IS 'free text, lsos:class=operational';")},
		negative: []string{governance.CheckUnclassifiedColumn, governance.CheckSensitiveChange}},
	{name: "sensitive-column-added", dir: dirCase{migs: one("ALTER TABLE accounts ADD COLUMN phone text;")},
		want: []want{w(1, "SC101", "public.accounts.phone")}},
	{name: "sensitive-column-narrowed", dir: dirCase{migs: one("ALTER TABLE accounts ALTER COLUMN email TYPE varchar(320);")},
		want: []want{w(1, "SC102", "public.accounts.email"), w(1, "LR106", "public.accounts.email"), w(1, "BI106", "public.accounts.email")}},
	{name: "classification-changed", dir: dirCase{migs: one("COMMENT ON COLUMN projects.legacy_code IS 'lsos:class=sensitive';")},
		want: []want{w(1, "SC103", "public.projects.legacy_code")}},
	{name: "operational-comment", dir: dirCase{migs: one("COMMENT ON COLUMN projects.title IS 'shown on reports';")},
		negative: []string{governance.CheckSensitiveChange}},

	// missing-rollback, checksum-mismatch
	{name: "missing-rollback", dir: dirCase{migs: []mig{{version: caseVersion, name: "change", up: "ALTER TABLE projects ADD COLUMN due_on date;", noDown: true}}},
		want: []want{w(0, "MR101", caseVersion)}},
	{name: "empty-rollback", dir: dirCase{migs: []mig{{version: caseVersion, name: "change", up: "ALTER TABLE projects ADD COLUMN due_on date;", down: "-- nothing to undo\n"}}},
		want: []want{w(0, "MR102", caseVersion)}},
	{name: "rollback-present", dir: dirCase{migs: []mig{{version: caseVersion, name: "change", up: "ALTER TABLE projects ADD COLUMN due_on date;", down: "ALTER TABLE projects DROP COLUMN due_on;"}}},
		negative: []string{governance.CheckMissingRollback, governance.CheckChecksumMismatch}},
	{name: "edited-after-hashing", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN due_on date;"), tamper: true},
		want: []want{{baseName, 0, "CS101", baseName}}},
	{name: "not-in-atlas-sum", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN due_on date;"), unhashed: true},
		want: []want{w(0, "CS102", caseFile), w(0, "CS102", caseVersion+"_change.down.sql")}},

	// missing-approval
	{name: "no-approvals", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN due_on date;"), approvals: "-"},
		want: []want{w(1, "MA101", caseVersion)}},
	{name: "approved-by-directive", dir: dirCase{migs: one("-- lsos:approved-by backend-owner, platform-owner\nALTER TABLE projects ADD COLUMN due_on date;"), approvals: "-"},
		negative: []string{governance.CheckMissingApproval}},
	{name: "sensitive-needs-security", dir: dirCase{migs: one("ALTER TABLE accounts ADD COLUMN phone text;"),
		approvals: "approvals:\n  \"" + caseVersion + "\": [backend-owner, platform-owner]\n"},
		want: []want{w(1, "SC101", "public.accounts.phone"), w(1, "MA101", caseVersion)}},
	{name: "retention-needs-legal", dir: dirCase{migs: one("-- lsos:no-transaction\nALTER TABLE ranking_snapshots DETACH PARTITION ranking_snapshots_2026_01 CONCURRENTLY;"),
		approvals: "approvals:\n  \"" + caseVersion + "\": [backend-owner, platform-owner]\n"},
		want: []want{w(1, "MA101", caseVersion)}},
	{name: "fully-approved", dir: dirCase{migs: one("ALTER TABLE accounts ADD COLUMN phone text;")},
		want: []want{w(1, "SC101", "public.accounts.phone")}, negative: []string{governance.CheckMissingApproval}},

	// Atlas sqlcheck diagnostics that no check of ours covers (atlas-* checks).
	{name: "atlas-drop-foreign-key", dir: dirCase{migs: one("ALTER TABLE projects DROP CONSTRAINT projects_tenant_id_fkey;")},
		want: []want{w(1, "CD101", "public.projects")}},
	{name: "atlas-drop-schema", dir: dirCase{migs: two("CREATE SCHEMA staging;\nCREATE TABLE staging.imports (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id));\nCREATE INDEX imports_tenant_idx ON staging.imports (tenant_id);",
		"DROP SCHEMA staging CASCADE;")},
		want: []want{w(1, "DS101", "staging")}},
	{name: "atlas-unique-on-new-column", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN slug text;\nCOMMENT ON COLUMN projects.slug IS 'lsos:class=operational';\n-- lsos:allow lock-risk reason=\"the column is new and empty\"\nCREATE UNIQUE INDEX projects_slug_uq ON projects (slug);"),
		policy: func(p *governance.Policy) { p.Tenant.GlobalKeys = []string{"projects.slug"} }},
		want: []want{w(4, "II101", "public.projects")}, negative: []string{governance.CheckAtlasDataDepend}},

	// lock-safety rules of Squawk and strong_migrations (issue 16)
	{name: "reindex-table", dir: dirCase{migs: one("REINDEX TABLE projects;")},
		want: []want{w(1, "LR112", "public.projects")}},
	{name: "reindex-index", dir: dirCase{migs: one("REINDEX INDEX projects_created_idx;")},
		want: []want{w(1, "LR112", "public.projects_created_idx")}},
	{name: "reindex-schema", dir: dirCase{migs: one("REINDEX SCHEMA public;")},
		want: []want{w(1, "LR112", "public")}},
	{name: "reindex-concurrently", dir: dirCase{migs: one("-- lsos:no-transaction\nREINDEX TABLE CONCURRENTLY projects;")},
		negative: []string{governance.CheckLockRisk, governance.CheckInvalidMigration}},
	{name: "cluster", dir: dirCase{migs: one("CLUSTER projects USING projects_created_idx;")},
		want: []want{w(1, "LR113", "public.projects")}},
	{name: "cluster-on-marks-only", dir: dirCase{migs: one("ALTER TABLE projects CLUSTER ON projects_created_idx;")},
		negative: []string{governance.CheckLockRisk}},
	{name: "vacuum-full", dir: dirCase{migs: one("-- lsos:no-transaction\nVACUUM FULL projects;")},
		want: []want{w(2, "LR114", "public.projects")}},
	{name: "vacuum-analyze", dir: dirCase{migs: one("-- lsos:no-transaction\nVACUUM (ANALYZE) projects;")},
		negative: []string{governance.CheckLockRisk, governance.CheckInvalidMigration}},
	{name: "vacuum-in-transaction", dir: dirCase{migs: one("VACUUM projects;")},
		want: []want{w(1, "IM102", caseVersion)}},
	{name: "drop-not-null", dir: dirCase{migs: one("ALTER TABLE projects ALTER COLUMN title DROP NOT NULL;")},
		want: []want{w(1, "BI109", "public.projects.title")}},
	{name: "drop-not-null-as-contract", dir: dirCase{migs: two("-- lsos:breaking flag=nullable_title phase=expand\nSELECT 1;",
		"-- lsos:breaking flag=nullable_title phase=contract\nALTER TABLE projects ALTER COLUMN title DROP NOT NULL;")},
		negative: []string{governance.CheckBackwardIncompatible}},
	{name: "drop-database", dir: dirCase{migs: one("-- lsos:no-transaction\nDROP DATABASE IF EXISTS lsos_corpus_never_created;")},
		want: []want{w(2, "DC104", "lsos_corpus_never_created")}},
	{name: "drop-database-in-transaction", dir: dirCase{migs: one("DROP DATABASE IF EXISTS lsos_corpus_never_created;")},
		want: []want{w(1, "DC104", "lsos_corpus_never_created"), w(1, "IM102", caseVersion)}},
	{name: "domain-constraint", dir: dirCase{migs: two("CREATE DOMAIN short_text AS text;",
		"ALTER DOMAIN short_text ADD CONSTRAINT short_text_len CHECK (length(VALUE) < 200);")},
		want: []want{w(1, "LR115", "public.short_text")}},
	{name: "domain-constraint-not-valid", dir: dirCase{migs: two("CREATE DOMAIN short_text AS text;",
		"ALTER DOMAIN short_text ADD CONSTRAINT short_text_len CHECK (length(VALUE) < 200) NOT VALID;")},
		negative: []string{governance.CheckLockRisk}},
	{name: "validate-in-same-transaction", dir: dirCase{migs: one("ALTER TABLE projects ADD CONSTRAINT title_len CHECK (length(title) < 500) NOT VALID;\nALTER TABLE projects VALIDATE CONSTRAINT title_len;")},
		want: []want{w(2, "LR116", "public.projects")}},
	{name: "validate-in-no-transaction-file", dir: dirCase{migs: one("-- lsos:no-transaction\nALTER TABLE projects ADD CONSTRAINT title_len CHECK (length(title) < 500) NOT VALID;\nALTER TABLE projects VALIDATE CONSTRAINT title_len;")},
		negative: []string{governance.CheckLockRisk}},
	{name: "validate-in-later-version", dir: dirCase{migs: two("ALTER TABLE projects ADD CONSTRAINT title_len CHECK (length(title) < 500) NOT VALID;",
		"ALTER TABLE projects VALIDATE CONSTRAINT title_len;")},
		negative: []string{governance.CheckLockRisk}},
	{name: "add-column-unique-inline", dir: dirCase{migs: one("ALTER TABLE projects ADD COLUMN slug text UNIQUE;\nCOMMENT ON COLUMN projects.slug IS 'lsos:class=operational';"),
		policy: func(p *governance.Policy) { p.Tenant.GlobalKeys = []string{"projects.slug"} }},
		want: []want{w(1, "LR117", "public.projects.slug")}},
	{name: "drop-column-after-window-without-flag", dir: dirCase{migs: []mig{
		{version: "20260401000000", name: "deprecate", up: "-- lsos:deprecates projects.legacy_code\nSELECT 1;"},
		{version: "20260525000000", name: "drop", up: "ALTER TABLE projects DROP COLUMN legacy_code;"}}},
		negative: []string{governance.CheckDestructiveChange, governance.CheckBackwardIncompatible}},
	{name: "drop-table-after-window-without-flag", dir: dirCase{migs: []mig{
		{version: "20260401000000", name: "deprecate", up: "-- lsos:deprecates accounts\nSELECT 1;"},
		{version: "20260525000000", name: "drop", up: "DROP TABLE accounts;"}}},
		negative: []string{governance.CheckDestructiveChange, governance.CheckBackwardIncompatible}},

	// suppression
	{name: "allow-with-reason", dir: dirCase{migs: one("-- lsos:allow lock-risk reason=\"projects has 40 rows\"\nCREATE INDEX projects_title_idx ON projects (title);")},
		want: []want{w(2, "II101", "public.projects")}},
	{name: "allow-without-reason", dir: dirCase{migs: one("-- lsos:allow lock-risk\nCREATE INDEX projects_title_idx ON projects (title);")},
		want: []want{w(1, "IM101", caseVersion), w(2, "LR101", "public.projects"), w(2, "II101", "public.projects")}},

	// invalid-migration: what migrate.Load or the executor would refuse
	{name: "transaction-control-in-file", dir: dirCase{migs: one("SELECT 1;\nCOMMIT;")},
		want: []want{w(2, "IM102", caseVersion)}},
	{name: "begin-commit-around-concurrent-index", dir: dirCase{migs: one("-- lsos:no-transaction\nBEGIN;\nCREATE INDEX CONCURRENTLY projects_title_idx ON projects (title);\nCOMMIT;")},
		want: []want{w(2, "IM102", caseVersion), w(3, "II101", "public.projects")}},
	{name: "misplaced-directive", dir: dirCase{migs: one("SELECT 1;\n-- lsos:no-transaction\nSELECT 2;")},
		want: []want{w(2, "IM101", caseVersion)}},
	{name: "command-typo", dir: dirCase{migs: one("SELECT 1;\nCREAT TABLE x (id int);")},
		want: []want{w(2, "IM103", caseVersion)}},
	{name: "sql-standard-function-body", dir: dirCase{migs: one("CREATE FUNCTION one() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;")},
		negative: []string{governance.CheckInvalidMigration}},
	{name: "allow-scoped-to-statement", dir: dirCase{migs: one("CREATE INDEX projects_title_idx ON projects (title);\n-- lsos:allow lock-risk reason=\"tiny\"\nCREATE INDEX projects_status_idx ON projects (status);")},
		want: []want{w(1, "LR101", "public.projects"), w(1, "II101", "public.projects"), w(3, "II101", "public.projects")}},
}

// TestCorpus reviews every corpus case and requires 100% precision and recall.
func TestCorpus(t *testing.T) {
	if len(corpus) < 40 {
		t.Fatalf("corpus has %d cases, want at least 40", len(corpus))
	}
	var mu sync.Mutex
	tp, fp, fn := 0, 0, 0
	// Per check: true positives, false positives, false negatives.
	byCheck := map[string]*[3]int{}
	count := func(key string, k int) {
		check := strings.Fields(key)[1]
		if byCheck[check] == nil {
			byCheck[check] = &[3]int{}
		}
		byCheck[check][k]++
	}
	positive, negative := map[string]int{}, map[string]int{}
	t.Run("cases", func(t *testing.T) {
		for _, c := range corpus {
			for _, x := range c.want {
				positive[codeCheck(x.code)]++
			}
			for _, n := range c.negative {
				negative[n]++
			}
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				rep := reviewCase(t, c.dir)
				mu.Lock()
				defer mu.Unlock()
				got := map[string]bool{}
				for _, f := range rep.Findings {
					got[fmt.Sprintf("%s:%d %s %s %s", f.File, f.Line, f.Check, f.Code, f.Object)] = true
					if c, ok := LookupCode(f.Code); ok && (c.Check != f.Check || f.Fix == "") {
						t.Errorf("finding %s %s: catalogue check %s, fix %q; want the finding's check and a fix", f.Check, f.Code, c.Check, f.Fix)
					}
				}
				exp := map[string]bool{}
				for _, x := range c.want {
					exp[x.key()] = true
				}
				for k := range got {
					if exp[k] {
						tp++
						count(k, 0)
					} else {
						fp++
						count(k, 1)
						t.Errorf("unexpected finding %s", k)
					}
				}
				for k := range exp {
					if !got[k] {
						fn++
						count(k, 2)
						t.Errorf("missing finding %s", k)
					}
				}
				for _, n := range c.negative {
					if fs := rep.Findings.ByCheck(n); len(fs) > 0 && !slices.ContainsFunc(c.want, func(x want) bool { return codeCheck(x.code) == n }) {
						t.Errorf("negative case flagged %s: %v", n, fs)
					}
				}
				if t.Failed() {
					for _, f := range rep.Findings {
						t.Logf("got: %s", f)
					}
				}
			})
		}
	})
	precision := float64(tp) / float64(max(tp+fp, 1))
	recall := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("corpus: %d cases, %d expected findings, tp=%d fp=%d fn=%d precision=%.1f%% recall=%.1f%%",
		len(corpus), tp+fn, tp, fp, fn, 100*precision, 100*recall)
	fmt.Printf("review corpus: %d cases precision=%.1f%% recall=%.1f%%\n", len(corpus), 100*precision, 100*recall)
	checks := slices.Sorted(maps.Keys(byCheck))
	for _, c := range checks {
		n := byCheck[c]
		fmt.Printf("  %-22s tp=%-3d fp=%-2d fn=%-2d precision=%5.1f%% recall=%5.1f%% negative cases=%d\n", c, n[0], n[1], n[2],
			100*float64(n[0])/float64(max(n[0]+n[1], 1)), 100*float64(n[0])/float64(max(n[0]+n[2], 1)), negative[c])
	}
	if precision != 1 || recall != 1 {
		t.Errorf("precision %.3f recall %.3f, want 1 and 1", precision, recall)
	}
	var missing []string
	for _, c := range governance.MigrationChecks() {
		if positive[c] == 0 || negative[c] == 0 {
			missing = append(missing, fmt.Sprintf("%s(+%d/-%d)", c, positive[c], negative[c]))
		}
	}
	if len(missing) > 0 {
		t.Errorf("checks without a positive and a negative case: %s", strings.Join(missing, ", "))
	}
}

var _ = time.Second
