// Package governance holds the LSOS migration and data-governance policy as typed
// data, and the [Finding] type every other package reports with.
//
// # The policy
//
// [Default] returns the seed policy (docs/MIGRATION_AND_DATA_GOVERNANCE.md) exactly: the four
// data classes of §5, the retention floors of §6, the deprecation window for destructive
// drops of §2, the approval rules of §10, and the tenant column and root table that
// tenant isolation is checked against. [Load] and [Parse] read a YAML or JSON policy file
// merged over that default; unknown keys are rejected with their file position, and
// [Policy.Validate] lists every violation at once (a retention keep below its floor, a
// zero deprecation window, an unknown class, a malformed relationship, duplicates).
//
// # Retention arithmetic
//
// Retention keeps such as "13 months" or "7 years" are calendar periods, not hours:
// [Keep.Cutoff] and [SubMonths] subtract whole months and clamp to the month end, so
// 13 months before 2026-03-31 is 2025-02-28.
//
// # Findings
//
// Every check in this module reports a [Finding] with a stable check name (see the
// Check… constants), a code, a severity the policy can raise or lower
// ([Policy.SeverityFor]) and a schema-qualified object. A finding never carries a
// sensitive value.
//
// # Approvals
//
// [DiffPolicies] compares two policies and says which §10 approvals the change needs:
// retention or deletion changes need legal/compliance review, class changes that touch
// sensitive data need security review.
package governance
