package retention

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrCycle is wrapped by [CycleError].
var ErrCycle = errors.New("retention: foreign-key cycle")

// CycleError lists tables whose foreign keys form a cycle, so no children-first delete
// order exists for them.
type CycleError struct {
	Tables []string // tables on a cycle (a self-reference included)
	Behind []string // tables that cannot go because a cycle member references them
}

func (e *CycleError) Error() string {
	msg := fmt.Sprintf("retention: foreign keys form a cycle among %s; no children-first delete order exists: "+
		"break the cycle (make one FK DEFERRABLE or nullable and clear it first) before offboarding", strings.Join(e.Tables, ", "))
	if len(e.Behind) > 0 {
		msg += fmt.Sprintf(" (%s wait behind it)", strings.Join(e.Behind, ", "))
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrCycle) true.
func (e *CycleError) Unwrap() error { return ErrCycle }

// DeleteOrder returns the tenant-owned tables of cat (those with the tenant column) and
// finally the root tenants table, children before parents, so every DELETE runs after
// the rows referencing it are gone. Ties break by name for a stable plan. Tables in a
// cycle (a self-reference included) are reported in a [CycleError].
func DeleteOrder(cat *TableCatalog) ([]*Table, error) {
	set := map[string]*Table{}
	for i := range cat.Tables {
		t := &cat.Tables[i]
		if t.TenantColumn != "" || t.Root {
			set[t.Key()] = t
		}
	}
	// referrers[p] = tables (in the set) with an FK to p.
	referrers := map[string]map[string]bool{}
	for k, t := range set {
		for _, fk := range t.ForeignKeys {
			pk := fk.Parent.String()
			if _, ok := set[pk]; !ok {
				continue
			}
			if referrers[pk] == nil {
				referrers[pk] = map[string]bool{}
			}
			referrers[pk][k] = true
		}
	}
	var order []*Table
	done := map[string]bool{}
	for len(done) < len(set) {
		var ready []string
		for k := range set {
			if done[k] {
				continue
			}
			blocked := false
			for r := range referrers[k] {
				if !done[r] {
					blocked = true
					break
				}
			}
			if !blocked {
				ready = append(ready, k)
			}
		}
		if len(ready) == 0 {
			return order, cycleError(set, referrers, done)
		}
		sort.Strings(ready)
		for _, k := range ready {
			done[k] = true
			order = append(order, set[k])
		}
	}
	// The root goes last even when nothing references it explicitly.
	sort.SliceStable(order, func(i, j int) bool { return !order[i].Root && order[j].Root })
	return order, nil
}

// unscopedReferrers lists tables without the tenant column that reference tenant-owned
// tables: their rows cannot be scoped to a tenant, so a hard delete could not finish.
func unscopedReferrers(cat *TableCatalog) []string {
	owned := map[string]bool{}
	for i := range cat.Tables {
		if t := &cat.Tables[i]; t.TenantColumn != "" || t.Root {
			owned[t.Key()] = true
		}
	}
	var out []string
	for i := range cat.Tables {
		t := &cat.Tables[i]
		if owned[t.Key()] {
			continue
		}
		for _, fk := range t.ForeignKeys {
			if owned[fk.Parent.String()] {
				out = append(out, fmt.Sprintf("%s (FK %s → %s)", t.Key(), fk.Name, fk.Parent))
			}
		}
	}
	sort.Strings(out)
	return out
}

// cycleError splits the tables left over by the topological sort into those on a cycle
// (they reach themselves through referrers) and those merely waiting behind one.
func cycleError(set map[string]*Table, referrers map[string]map[string]bool, done map[string]bool) *CycleError {
	e := &CycleError{}
	for k := range set {
		if done[k] {
			continue
		}
		// Depth-first search over referrers from k looking for k again.
		seen := map[string]bool{}
		stack := []string{k}
		onCycle := false
		for len(stack) > 0 && !onCycle {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for r := range referrers[n] {
				if r == k {
					onCycle = true
					break
				}
				if !seen[r] && !done[r] {
					seen[r] = true
					stack = append(stack, r)
				}
			}
		}
		if onCycle {
			e.Tables = append(e.Tables, k)
		} else {
			e.Behind = append(e.Behind, k)
		}
	}
	sort.Strings(e.Tables)
	sort.Strings(e.Behind)
	return e
}
