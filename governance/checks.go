package governance

// Check names are a stable contract (docs/DESIGN.md): extend the list, never rename.
const (
	// Migration review.
	CheckMissingRollback      = "missing-rollback"
	CheckChecksumMismatch     = "checksum-mismatch"
	CheckDestructiveChange    = "destructive-change"
	CheckBackwardIncompatible = "backward-incompatible"
	CheckLockRisk             = "lock-risk"
	CheckIndexImpact          = "index-impact"
	CheckTenantIsolation      = "tenant-isolation" // also an integrity check
	CheckUnclassifiedColumn   = "unclassified-column"
	CheckSensitiveChange      = "sensitive-change"
	CheckMissingApproval      = "missing-approval"
	// CheckInvalidMigration: a file the loader or the executor would refuse (a
	// malformed or misplaced directive, a statement that cannot run as the file is
	// written, SQL that does not parse), reported by the review first.
	CheckInvalidMigration = "invalid-migration"

	// Integrity.
	CheckMissingFK          = "missing-fk"
	CheckOrphanedRows       = "orphaned-rows"
	CheckUnscopedUnique     = "unscoped-unique"
	CheckDuplicateSnapshots = "duplicate-snapshots"
	CheckFKMissingIndex     = "fk-missing-index"
	CheckNotValidConstraint = "not-valid-constraint"
	CheckInvalidIndex       = "invalid-index"
	CheckMissingPartition   = "missing-partition"
)

// MigrationChecks lists the migration review check names.
func MigrationChecks() []string {
	return []string{CheckMissingRollback, CheckChecksumMismatch, CheckDestructiveChange,
		CheckBackwardIncompatible, CheckLockRisk, CheckIndexImpact, CheckTenantIsolation,
		CheckUnclassifiedColumn, CheckSensitiveChange, CheckMissingApproval, CheckInvalidMigration}
}

// IntegrityChecks lists the integrity check names.
func IntegrityChecks() []string {
	return []string{CheckMissingFK, CheckOrphanedRows, CheckUnscopedUnique, CheckDuplicateSnapshots,
		CheckFKMissingIndex, CheckNotValidConstraint, CheckInvalidIndex, CheckMissingPartition,
		CheckTenantIsolation}
}

// KnownCheck reports whether name is a documented check name.
func KnownCheck(name string) bool {
	for _, c := range append(append(append(MigrationChecks(), IntegrityChecks()...), AtlasChecks()...), AlembicChecks()...) {
		if c == name {
			return true
		}
	}
	return false
}

// CheckAlembicGraph: the revision graph of an Alembic project is broken (more than one
// head, a dangling down_revision or depends_on, a cycle).
const CheckAlembicGraph = "alembic-graph"

// AlembicChecks lists the check names only an Alembic project can produce; its
// revisions are otherwise reviewed with the migration checks.
func AlembicChecks() []string { return []string{CheckAlembicGraph} }
