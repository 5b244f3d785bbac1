// Package governance holds the LSOS migration and data-governance policy as typed
// data, and the [Finding] type every other package reports with.
//
//	policy, err := governance.Load("lsos-policy.yaml") // merged over governance.Default()
//	if err != nil {
//		return err // a *PolicyError listing every problem with its line
//	}
//	keep, rule, _ := policy.KeepFor("ranking_snapshots", "pro") // 13 months, category snapshots
//	fmt.Println(keep, rule.Category, policy.IsSDKSchema("lsos_retention")) // … true
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
// # Merging and the built-in lists
//
// A file's list entries merge over the built-in ones by identity: a snapshots entry
// replaces the default for its table, a relationships entry the one with its from
// column, a retention rule takes over the tables it names. The built-in snapshots,
// relationships and retention entries describe a typical LSOS schema; a file whose schema
// differs drops them with replace_defaults, naming the lists it gives in full:
//
//	replace_defaults: [snapshots, relationships]
//	snapshots:
//	  - table: crawl_outputs
//	    key: [tenant_id, url, crawled_on]
//
// [Policy.ReplaceDefaults] accepts snapshots, relationships and retention
// ([ReplaceableLists]); any other name is a [PolicyError] with its position. Checks tell
// an entry the policy inherited from [Default] without the file naming it
// ([Policy.IsDefaultSnapshot], [Policy.IsDefaultRelationship],
// [Policy.IsDefaultRetention]) from one the file states: a default entry that names a
// table or column the database lacks is reported at info at most, never as a warning.
// [Policy.FromFile] tells whether the file wrote a given key path.
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
