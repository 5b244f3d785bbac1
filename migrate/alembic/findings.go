package alembic

import (
	"fmt"
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// CheckGraph is the check name of revision-graph findings (several heads, a dangling
// down_revision or depends_on, a cycle). It extends the documented set of
// governance check names.
const CheckGraph = governance.CheckAlembicGraph

// Finding codes, stable like the native review's.
const (
	CodeMultipleHeads   = "AG101" // several heads: `alembic upgrade head` refuses
	CodeDanglingDown    = "AG102" // down_revision names no revision
	CodeCycle           = "AG103" // the graph has a cycle
	CodeDanglingDepends = "AG104" // depends_on names no revision or branch label
	CodeNoDowngrade     = "MR201" // no downgrade() function
	CodeEmptyDowngrade  = "MR202" // downgrade() is empty or only `pass`
	CodeRaiseDowngrade  = "MR203" // downgrade() only raises
	CodeEdited          = "CS201" // file differs from its recorded checksum
	CodeNotRecorded     = "CS202" // file not in lsos-alembic.sum yet
	CodeRemoved         = "CS203" // recorded file is gone
	CodeNoSum           = "CS204" // no lsos-alembic.sum
	CodeCorruptSum      = "CS205" // lsos-alembic.sum unreadable
)

// Findings reviews the project on its own (no database, no Alembic run): the revision
// graph (alembic-graph), revisions without a usable downgrade() (missing-rollback)
// and revision files edited after their checksum was recorded (checksum-mismatch).
// Severities are the policy's ([governance.Policy.SeverityFor]); policy may be nil
// for the defaults. The object of a finding is the revision id.
func (p *Project) Findings(policy *governance.Policy) governance.Findings {
	var out governance.Findings
	add := func(check, code string, def governance.Severity, object, file string, line int, msg string) {
		sev := def
		if policy != nil {
			sev = policy.SeverityFor(check, def)
		}
		out = append(out, governance.Finding{Check: check, Code: code, Severity: sev, Object: object, Message: msg, File: file, Line: line})
	}
	g := p.graph
	if len(g.Heads) > 1 {
		for _, h := range g.Heads {
			add(CheckGraph, CodeMultipleHeads, governance.SeverityError, h.ID, h.File, h.Line,
				fmt.Sprintf("the script directory has %d heads (%s): `alembic upgrade head` refuses to run; merge them with `alembic merge -m \"merge\" %s`",
					len(g.Heads), strings.Join(g.HeadIDs(), ", "), strings.Join(g.HeadIDs(), " ")))
		}
	}
	for _, d := range g.Dangling {
		code := CodeDanglingDown
		if d.Field == "depends_on" {
			code = CodeDanglingDepends
		}
		add(CheckGraph, code, governance.SeverityError, d.Revision.ID, d.Revision.File, d.Line,
			fmt.Sprintf("%s %q names no revision of the script directory (a deleted or renamed revision file, or a typo); restore the revision or fix the reference", d.Field, d.Ref))
	}
	if len(g.Cycle) > 0 {
		r := p.byID[g.Cycle[0]]
		add(CheckGraph, CodeCycle, governance.SeverityError, r.ID, r.File, r.DownLine,
			fmt.Sprintf("the revision graph has a cycle: %s; no order can apply it — fix down_revision", strings.Join(append(slicesClone(g.Cycle), g.Cycle[0]), " -> ")))
	}
	for _, r := range p.Revisions {
		up := r.Upgrade != nil && !r.Upgrade.Empty
		switch {
		case r.Downgrade == nil:
			add(governance.CheckMissingRollback, CodeNoDowngrade, governance.SeverityError, r.ID, r.File, r.Line,
				"the revision has no downgrade() function: write one that undoes upgrade() (policy §2: every migration has a rollback path)")
		case r.Downgrade.Empty && up:
			add(governance.CheckMissingRollback, CodeEmptyDowngrade, governance.SeverityError, r.ID, r.File, r.Downgrade.Line,
				"downgrade() is empty (only pass): write the operations that undo upgrade() (policy §2: every migration has a rollback path)")
		case r.Downgrade.RaisesOnly && up:
			add(governance.CheckMissingRollback, CodeRaiseDowngrade, governance.SeverityError, r.ID, r.File, r.Downgrade.Line,
				"downgrade() only raises: the revision cannot be rolled back; write a rollback, or accept it explicitly with # lsos:allow missing-rollback reason=\"…\"")
		}
	}
	p.sumFindings(add)
	out = allowed(p, out)
	out.Sort()
	return out
}

// allowed drops findings a revision accepts with "# lsos:allow <check> reason=…".
func allowed(p *Project, fs governance.Findings) governance.Findings {
	var out governance.Findings
	for _, f := range fs {
		r := p.byID[f.Object]
		if r != nil && f.Check != governance.CheckChecksumMismatch && allows(r, f.Check) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func allows(r *Revision, check string) bool {
	for _, d := range r.Directives {
		rest, ok := strings.CutPrefix(d.Text, "-- lsos:allow ")
		if !ok {
			continue
		}
		name, reason, _ := strings.Cut(strings.TrimSpace(rest), " ")
		if name == check && strings.HasPrefix(strings.TrimSpace(reason), "reason=\"") && len(strings.TrimSpace(reason)) > len(`reason=""`) {
			return true
		}
	}
	return false
}

func (p *Project) sumFindings(add func(check, code string, def governance.Severity, object, file string, line int, msg string)) {
	const check = governance.CheckChecksumMismatch
	sumFile := p.show(p.sumPath())
	es, err := p.Sum()
	if err != nil {
		add(check, CodeCorruptSum, governance.SeverityError, SumFile, sumFile, 0, err.Error())
		return
	}
	if es == nil {
		add(check, CodeNoSum, governance.SeverityWarning, SumFile, sumFile, 0,
			"the script directory has no "+SumFile+": record the revision checksums (govctl migrate hash --alembic, or Project.RecordSum) and commit it, so edits to applied revisions are caught")
		return
	}
	recorded := map[string]string{}
	for _, e := range es {
		recorded[e.Name] = e.Hash
	}
	present := map[string]bool{}
	for _, r := range p.Revisions {
		present[r.Name] = true
		h, ok := recorded[r.Name]
		switch {
		case !ok:
			add(check, CodeNotRecorded, governance.SeverityWarning, r.ID, r.File, 0,
				r.Name+" is not in "+SumFile+" yet: record it (govctl migrate hash --alembic, or Project.RecordSum) once the revision is reviewed")
		case h != r.Checksum:
			add(check, CodeEdited, governance.SeverityError, r.ID, r.File, 0,
				r.Name+" was edited after its checksum was recorded: a revision that may already be applied must not change; restore it and add a new revision instead")
		}
	}
	for _, e := range es {
		if !present[e.Name] {
			add(check, CodeRemoved, governance.SeverityError, e.Name, sumFile, 0,
				SumFile+" lists "+e.Name+" but the file is gone: restore it (applied revisions must stay in the script directory)")
		}
	}
}
