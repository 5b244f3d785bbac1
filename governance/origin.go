package governance

import (
	"maps"
	"slices"
	"sync"
)

// Lists of the policy whose built-in entries a policy file may drop with
// replace_defaults (see [Policy.ReplaceDefaults]).
const (
	ListSnapshots     = "snapshots"
	ListRelationships = "relationships"
	ListRetention     = "retention"
)

// ReplaceableLists returns the list names replace_defaults accepts, in document order.
func ReplaceableLists() []string {
	return []string{ListSnapshots, ListRelationships, ListRetention}
}

// seedLists holds the built-in list entries, for telling inherited entries apart.
var seedLists = sync.OnceValue(Default)

// FromFile reports whether the policy file wrote the key at path, such as
// "tenant.column", "snapshots[0]" or "retention[1].keep" (the key paths of
// [Problem.Path]). The file's list entries come first in a merged list, in file order,
// so their indexes are the file's. A policy that did not come from a file wrote nothing.
func (p *Policy) FromFile(path string) bool {
	_, ok := p.positions[path]
	return ok
}

// IsDefaultSnapshot reports whether s is a built-in snapshot key of [Default] that the
// policy file did not name (by table): a guess about a typical LSOS schema rather than
// a claim about this one. Checks report such an entry at info severity at most when the
// database lacks its table or columns; an entry the file (or the program, with other
// values) states is reported as a warning.
func (p *Policy) IsDefaultSnapshot(s SnapshotKey) bool {
	if p.named[namedKey(ListSnapshots, unqualified(s.Table))] {
		return false
	}
	return slices.ContainsFunc(seedLists().Snapshots, func(d SnapshotKey) bool {
		return d.Table == s.Table && slices.Equal(d.Key, s.Key)
	})
}

// IsDefaultRelationship reports whether r is a built-in relationship of [Default] that
// the policy file did not name (by its from column). See [Policy.IsDefaultSnapshot].
func (p *Policy) IsDefaultRelationship(r Relationship) bool {
	if p.named[namedKey(ListRelationships, r.From)] {
		return false
	}
	return slices.Contains(seedLists().Relationships, r)
}

// IsDefaultRetention reports whether the rule that covers table is a built-in rule of
// [Default] for that table (same category, keep, plans and time column) that the policy
// file did not name the table in. See [Policy.IsDefaultSnapshot].
func (p *Policy) IsDefaultRetention(table string) bool {
	t := unqualified(table)
	if p.named[namedKey(ListRetention, t)] {
		return false
	}
	r, ok := p.RetentionFor(t)
	if !ok {
		return false
	}
	d, ok := seedLists().RetentionFor(t)
	return ok && r.Category == d.Category && r.Keep == d.Keep && r.TimeColumn == d.TimeColumn && maps.Equal(r.Plans, d.Plans)
}

// namedKey identifies a list entry a policy file named: the list and the entry's
// identity (snapshot table, relationship source, retention table).
func namedKey(list, id string) string { return list + "\x00" + id }

// recordNamed notes the identities of the entries the file's lists hold.
func (p *Policy) recordNamed(snaps []SnapshotKey, rels []Relationship, rules []RetentionRule) {
	p.named = map[string]bool{}
	for _, s := range snaps {
		p.named[namedKey(ListSnapshots, unqualified(s.Table))] = true
	}
	for _, r := range rels {
		p.named[namedKey(ListRelationships, r.From)] = true
	}
	for _, r := range rules {
		for _, t := range r.Tables {
			p.named[namedKey(ListRetention, unqualified(t))] = true
		}
	}
}
