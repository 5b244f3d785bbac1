package lint

import (
	"slices"

	"github.com/lsos/lsosgov/governance"
)

// The stable codes of the review's findings. A code never changes meaning; new
// situations get new codes. Each belongs to one check (governance.Check*), whose name is
// what severities, allow directives and JSON consumers key on.
const (
	// missing-rollback
	CodeNoRollbackFile    = "MR101" // the version has no .down.sql
	CodeEmptyRollbackFile = "MR102" // the .down.sql holds no statement

	// checksum-mismatch
	CodeEditedAfterHash = "CS101" // a file differs from its atlas.sum entry
	CodeNotInSum        = "CS102" // a file is not listed in atlas.sum
	CodeMissingFromDir  = "CS103" // atlas.sum lists a file the directory lacks
	CodeNoSum           = "CS104" // the directory has no atlas.sum
	CodeUnreadableSum   = "CS105" // atlas.sum cannot be read

	// destructive-change
	CodeDropTable     = "DC101" // DROP TABLE without an elapsed deprecation window
	CodeDropColumn    = "DC102" // DROP COLUMN without an elapsed deprecation window
	CodeTruncate      = "DC103" // TRUNCATE
	CodeDropDatabase  = "DC104" // DROP DATABASE
	CodeBIRenameTbl   = "BI101" // a rename of a table the running version uses
	CodeBIRenameCol   = "BI102" // a rename of a column the running version uses
	CodeBIDropTable   = "BI103" // DROP TABLE while the running version may read it
	CodeBIDropColumn  = "BI104" // DROP COLUMN while the running version reads it
	CodeBINotNullAdd  = "BI105" // ADD COLUMN NOT NULL without a default
	CodeBITypeChange  = "BI106" // a column type change
	CodeBISetNotNull  = "BI107" // SET NOT NULL on an existing column
	CodeBIDropDefault = "BI108" // DROP DEFAULT on an existing column
	CodeBIDropNotNull = "BI109" // DROP NOT NULL on an existing column

	// lock-risk
	CodeIndexNotConcurrent     = "LR101" // CREATE INDEX on an existing table without CONCURRENTLY
	CodeDropIndexNotConcurrent = "LR102" // DROP INDEX without CONCURRENTLY
	CodeConcurrentInTx         = "LR103" // CONCURRENTLY inside a transactional file
	CodeAddColumnReferences    = "LR104" // ADD COLUMN … REFERENCES validates under lock
	CodeCheckNotValid          = "LR105" // ADD CONSTRAINT CHECK without NOT VALID
	CodeTypeRewrite            = "LR106" // a type change that rewrites the table
	CodeAddColumnRewrite       = "LR107" // ADD COLUMN with a volatile default or a type that rewrites
	CodeNoLockTimeout          = "LR108" // ACCESS EXCLUSIVE without lock_timeout
	CodeDetachNotConcurrent    = "LR109" // DETACH PARTITION without CONCURRENTLY
	CodeConstraintIndexBuild   = "LR110" // ADD PRIMARY KEY / UNIQUE builds an index under lock
	CodeSetNotNullScan         = "LR111" // SET NOT NULL scans under ACCESS EXCLUSIVE
	CodeReindexNotConcurrent   = "LR112" // REINDEX without CONCURRENTLY
	CodeCluster                = "LR113" // CLUSTER rewrites the table under ACCESS EXCLUSIVE
	CodeVacuumFull             = "LR114" // VACUUM FULL rewrites the table under ACCESS EXCLUSIVE
	CodeDomainConstraint       = "LR115" // ALTER DOMAIN … ADD CONSTRAINT without NOT VALID
	CodeValidateInSameTx       = "LR116" // NOT VALID then VALIDATE in one transaction
	CodeAddColumnUnique        = "LR117" // ADD COLUMN … UNIQUE / PRIMARY KEY inline

	// index-impact
	CodeIndexCreated        = "II101" // an index created on an existing table, with its size
	CodeIndexDropped        = "II102" // an index dropped from an existing table
	CodeForeignKeyUnindexed = "II103" // a foreign key without an index on its columns
	CodeIndexMakesRedundant = "II104" // a new index makes an existing one redundant
	CodeIndexRedundant      = "II105" // a new index is redundant with an existing one

	// tenant-isolation
	CodeNoTenantColumn     = "TI101" // a tenant-owned table without the tenant column
	CodeNullableTenant     = "TI102" // the tenant column is nullable
	CodeUniqueNotScoped    = "TI103" // a unique key without the tenant column
	CodeForeignKeyUnscoped = "TI104" // a foreign key to a tenant-owned table without the tenant column
	CodeNoRowLevelSecurity = "TI105" // row-level security required but not enabled

	// unclassified-column, sensitive-change
	CodeUnclassified       = "UC101" // a new column matches no classification rule
	CodeNewSensitive       = "SC101" // a new sensitive column
	CodeSensitiveTouched   = "SC102" // a sensitive column dropped or changed
	CodeClassificationEdit = "SC103" // a column's classification annotation changed

	// missing-approval
	CodeApprovalMissing = "MA101" // a required sign-off is not recorded

	// invalid-migration
	CodeBadDirective     = "IM101" // a directive migrate.Load refuses
	CodeRefusedStatement = "IM102" // a statement the executor cannot run as the file is written
	CodeSyntax           = "IM103" // SQL that does not split or parse
	CodeUnknownAllow     = "IM104" // an allow names a check the review does not run
)

// Code describes one finding code: its check, what it means and the fix the review
// suggests. [Codes] lists them; every finding the review reports carries its code's
// fix in [governance.Finding].Fix unless the finding has a more specific one.
type Code struct {
	Code    string `json:"code"`
	Check   string `json:"check"`
	Summary string `json:"summary"`
	Fix     string `json:"fix"`
}

var catalogue = []Code{
	{CodeNoRollbackFile, governance.CheckMissingRollback, "the version has no rollback file", "add <version>_<name>.down.sql with the DDL that undoes the version"},
	{CodeEmptyRollbackFile, governance.CheckMissingRollback, "the rollback file holds no statement", "write the DDL that undoes the version, or a failing guard (DO $$ BEGIN RAISE EXCEPTION … END $$) for an irreversible step"},
	{CodeEditedAfterHash, governance.CheckChecksumMismatch, "a migration was edited after atlas.sum was written", "restore the file and add a new version; run govctl migrate hash only after reviewing an intended edit"},
	{CodeNotInSum, governance.CheckChecksumMismatch, "a file is not in atlas.sum", "run govctl migrate hash after adding a migration"},
	{CodeMissingFromDir, governance.CheckChecksumMismatch, "atlas.sum lists a file the directory lacks", "restore the file: applied migrations stay in the directory"},
	{CodeNoSum, governance.CheckChecksumMismatch, "the directory has no atlas.sum", "run govctl migrate hash and commit atlas.sum"},
	{CodeUnreadableSum, governance.CheckChecksumMismatch, "atlas.sum cannot be read", "regenerate it with govctl migrate hash"},
	{CodeDropTable, governance.CheckDestructiveChange, "DROP TABLE without an elapsed deprecation window", "ship -- lsos:deprecates <table> in an earlier version and drop after the policy's deprecation window"},
	{CodeDropColumn, governance.CheckDestructiveChange, "DROP COLUMN without an elapsed deprecation window", "ship -- lsos:deprecates <table>.<column> in an earlier version and drop after the policy's deprecation window"},
	{CodeTruncate, governance.CheckDestructiveChange, "TRUNCATE deletes every row", "archive the data first (policy §6-7), then allow it with -- lsos:allow destructive-change reason=\"…\""},
	{CodeDropDatabase, governance.CheckDestructiveChange, "DROP DATABASE destroys a whole database", "never drop databases from an application migration; do it by hand, with a backup, outside the directory"},
	{CodeBIDropNotNull, governance.CheckBackwardIncompatible, "DROP NOT NULL lets the new version write NULLs the running version may not expect", "ship code that tolerates NULL first (phase=expand), then drop NOT NULL (phase=contract)"},
	{CodeReindexNotConcurrent, governance.CheckLockRisk, "REINDEX without CONCURRENTLY blocks writes for the whole rebuild", "REINDEX … CONCURRENTLY in a version of its own with -- lsos:no-transaction"},
	{CodeCluster, governance.CheckLockRisk, "CLUSTER rewrites the table under ACCESS EXCLUSIVE", "reorder online with pg_repack (or pg_squeeze), outside the migration"},
	{CodeVacuumFull, governance.CheckLockRisk, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE", "reclaim space online with pg_repack (or pg_squeeze); plain VACUUM takes no blocking lock"},
	{CodeDomainConstraint, governance.CheckLockRisk, "ALTER DOMAIN … ADD CONSTRAINT checks every using column under lock", "ADD CONSTRAINT … NOT VALID, then ALTER DOMAIN … VALIDATE CONSTRAINT in a later version"},
	{CodeValidateInSameTx, governance.CheckLockRisk, "NOT VALID then VALIDATE in one transaction keeps the ADD's lock through the scan", "VALIDATE CONSTRAINT in a later version, or in a -- lsos:no-transaction file"},
	{CodeAddColumnUnique, governance.CheckLockRisk, "ADD COLUMN … UNIQUE / PRIMARY KEY builds an index under ACCESS EXCLUSIVE", "add the column, CREATE UNIQUE INDEX CONCURRENTLY (no-transaction version), then ADD CONSTRAINT … USING INDEX"},
	{CodeBIRenameTbl, governance.CheckBackwardIncompatible, "a table the running version uses is renamed", "expand/contract: add the new table or a view under the new name, switch the code behind a flag, remove the old name later"},
	{CodeBIRenameCol, governance.CheckBackwardIncompatible, "a column the running version uses is renamed", "expand/contract: add the new column, backfill, switch the code behind a flag, drop the old column after the deprecation window"},
	{CodeBIDropTable, governance.CheckBackwardIncompatible, "a table the running version may read is dropped", "deprecate it first (-- lsos:deprecates); the drop passes once the deprecation window has elapsed"},
	{CodeBIDropColumn, governance.CheckBackwardIncompatible, "a column the running version reads is dropped", "deprecate it first (-- lsos:deprecates); the drop passes once the deprecation window has elapsed"},
	{CodeBINotNullAdd, governance.CheckBackwardIncompatible, "ADD COLUMN NOT NULL without a default", "add the column with a DEFAULT, or nullable and backfill before SET NOT NULL"},
	{CodeBITypeChange, governance.CheckBackwardIncompatible, "a column's type changes under the running version", "add a column of the new type, write both, backfill, switch reads behind a flag"},
	{CodeBISetNotNull, governance.CheckBackwardIncompatible, "SET NOT NULL on a column the running version may omit", "ship the code that always writes the column first (phase=expand), then SET NOT NULL (phase=contract)"},
	{CodeBIDropDefault, governance.CheckBackwardIncompatible, "DROP DEFAULT on a column the running version may omit", "ship the code that always writes the column first, then drop the default"},
	{CodeIndexNotConcurrent, governance.CheckLockRisk, "CREATE INDEX on an existing table blocks writes", "CREATE INDEX CONCURRENTLY in a version of its own with -- lsos:no-transaction"},
	{CodeDropIndexNotConcurrent, governance.CheckLockRisk, "DROP INDEX takes ACCESS EXCLUSIVE", "DROP INDEX CONCURRENTLY in a version of its own with -- lsos:no-transaction"},
	{CodeConcurrentInTx, governance.CheckLockRisk, "a CONCURRENTLY command inside a transactional file (the executor refuses it)", "add -- lsos:no-transaction and keep the statement in a version of its own"},
	{CodeAddColumnReferences, governance.CheckLockRisk, "ADD COLUMN … REFERENCES validates the foreign key under lock", "add the column, then ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later version"},
	{CodeCheckNotValid, governance.CheckLockRisk, "ADD CONSTRAINT CHECK scans every row under ACCESS EXCLUSIVE", "ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later version"},
	{CodeTypeRewrite, governance.CheckLockRisk, "a type change rewrites the table under ACCESS EXCLUSIVE", "add a new column, backfill in batches, switch over"},
	{CodeAddColumnRewrite, governance.CheckLockRisk, "ADD COLUMN rewrites the table", "add the column without the volatile default, backfill in batches, then set the default"},
	{CodeNoLockTimeout, governance.CheckLockRisk, "an ACCESS EXCLUSIVE lock is requested with no lock_timeout", "add -- lsos:lock_timeout 5s (or set migrations.lock_timeout in the policy)"},
	{CodeDetachNotConcurrent, governance.CheckLockRisk, "DETACH PARTITION locks the parent ACCESS EXCLUSIVE", "DETACH PARTITION … CONCURRENTLY in a version with -- lsos:no-transaction"},
	{CodeConstraintIndexBuild, governance.CheckLockRisk, "ADD PRIMARY KEY / UNIQUE builds its index under ACCESS EXCLUSIVE", "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX"},
	{CodeSetNotNullScan, governance.CheckLockRisk, "SET NOT NULL scans the table under ACCESS EXCLUSIVE", "ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE it later, then SET NOT NULL"},
	{CodeIndexCreated, governance.CheckIndexImpact, "an index is built on an existing table (size and build time estimated)", "review the estimate; build CONCURRENTLY outside peak hours"},
	{CodeIndexDropped, governance.CheckIndexImpact, "an index is dropped from an existing table", "check that no query plan depends on it (pg_stat_user_indexes.idx_scan)"},
	{CodeForeignKeyUnindexed, governance.CheckIndexImpact, "a foreign key has no index on its columns", "add an index starting with the foreign key's columns (CONCURRENTLY on an existing table)"},
	{CodeIndexMakesRedundant, governance.CheckIndexImpact, "a new index makes an existing index redundant", "drop the old index in a later version with DROP INDEX CONCURRENTLY"},
	{CodeIndexRedundant, governance.CheckIndexImpact, "a new index is redundant with an existing one", "do not create it"},
	{CodeNoTenantColumn, governance.CheckTenantIsolation, "a tenant-owned table lacks the tenant column", "add the tenant column NOT NULL referencing the tenants table, or list the table under tenant.global_tables"},
	{CodeNullableTenant, governance.CheckTenantIsolation, "the tenant column is nullable", "declare it NOT NULL"},
	{CodeUniqueNotScoped, governance.CheckTenantIsolation, "a unique key does not include the tenant column", "add the tenant column as the first key column, or list the key under tenant.global_keys"},
	{CodeForeignKeyUnscoped, governance.CheckTenantIsolation, "a foreign key to a tenant-owned table lacks the tenant column", "use a composite key (tenant_id, …) referencing (tenant_id, id)"},
	{CodeNoRowLevelSecurity, governance.CheckTenantIsolation, "row-level security is required but not enabled", "ALTER TABLE … ENABLE ROW LEVEL SECURITY and add a tenant policy"},
	{CodeUnclassified, governance.CheckUnclassifiedColumn, "a new column matches no classification rule", "COMMENT ON COLUMN … IS 'lsos:class=<operational|sensitive|audit|artifact>' or classes.columns in the policy"},
	{CodeNewSensitive, governance.CheckSensitiveChange, "a new sensitive column", "get a security review (-- lsos:approved-by security-review) and keep its values out of logs"},
	{CodeSensitiveTouched, governance.CheckSensitiveChange, "a sensitive column is dropped or changed", "get a security review (-- lsos:approved-by security-review)"},
	{CodeClassificationEdit, governance.CheckSensitiveChange, "a column's classification changes", "get a security review for the new class (-- lsos:approved-by security-review)"},
	{CodeApprovalMissing, governance.CheckMissingApproval, "a required sign-off is not recorded", "record it in approvals.yaml under the version, or with -- lsos:approved-by <role>"},
	{CodeBadDirective, governance.CheckInvalidMigration, "a -- lsos: directive migrate.Load refuses", "fix the directive's spelling or arguments, or move it into the leading comment block"},
	{CodeRefusedStatement, governance.CheckInvalidMigration, "a statement the executor cannot run as the file is written", "remove transaction control (each file runs in one transaction), or move the statement into a -- lsos:no-transaction version"},
	{CodeSyntax, governance.CheckInvalidMigration, "SQL that does not split or parse", "fix the SQL at the reported line"},
	{CodeUnknownAllow, governance.CheckInvalidMigration, "an allow directive names a check the review does not run (a typo?)", "spell the check as the review names it, or add your check to Options.Checks"},
}

// Codes returns the catalogue of finding codes, in code order.
func Codes() []Code {
	out := slices.Clone(catalogue)
	slices.SortFunc(out, func(a, b Code) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	})
	return out
}

// LookupCode returns the catalogue entry of code.
func LookupCode(code string) (Code, bool) {
	for _, c := range catalogue {
		if c.Code == code {
			return c, true
		}
	}
	return Code{}, false
}
