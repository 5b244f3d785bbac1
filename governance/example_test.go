package governance_test

import (
	"fmt"
	"time"

	"github.com/lsos/lsosgov/governance"
)

func ExampleParse() {
	p, err := governance.Parse([]byte(`
retention:
  - category: audit
    tables: [audit_log]
    keep: 12 months
`))
	fmt.Println(p == nil)
	fmt.Println(err)
	// Output:
	// true
	// 5:11: retention[0].keep: retention for audit logs (audit_log) keeps 12 months, below the policy floor of 24 months; set keep to at least 24 months
}

func ExampleKeep_Cutoff() {
	p := governance.Default()
	keep, _, _ := p.KeepFor("ranking_snapshots", "")
	cutoff, _ := keep.Cutoff(time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), p.Location())
	fmt.Println(keep, cutoff.Format("2006-01-02"))
	// Output: 13 months 2025-02-28
}

func ExampleDiffPolicies() {
	old := governance.Default()
	updated := governance.Default()
	updated.Retention[1].Keep = governance.Years(7) // audit logs
	fmt.Println(governance.DiffPolicies(old, updated).Approvals)
	// Output: [backend-owner platform-owner legal-compliance-review]
}

// A file that lists its own snapshot keys and relationships instead of the built-in ones.
func ExampleParse_replaceDefaults() {
	p, err := governance.Parse([]byte(`
replace_defaults: [snapshots, relationships]
snapshots:
  - table: crawl_outputs
    key: [tenant_id, url, crawled_on]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Snapshots, len(p.Relationships))
	fmt.Println(governance.Default().IsDefaultSnapshot(governance.Default().Snapshots[1]))

	_, err = governance.Parse([]byte("replace_defaults: [snapshot]\n"))
	fmt.Println(err)
	// Output:
	// [{crawl_outputs [tenant_id url crawled_on]}] 0
	// true
	// 1:20: replace_defaults[0]: replace_defaults names unknown list "snapshot" (allowed: snapshots, relationships, retention)
}
