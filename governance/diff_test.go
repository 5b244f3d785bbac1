package governance

import (
	"slices"
	"testing"
)

func TestDiffPoliciesNamesApprovals(t *testing.T) {
	base := Default()
	if ch := DiffPolicies(base, Default()); len(ch.Changed) != 0 || len(ch.Approvals) != 0 {
		t.Fatalf("identical policies differ: %+v", ch)
	}

	longer := Default()
	longer.Retention[1].Keep = Years(7)
	ch := DiffPolicies(base, longer)
	if !slices.Equal(ch.Changed, []string{"retention"}) {
		t.Errorf("changed = %v; want [retention]", ch.Changed)
	}
	if !slices.Contains(ch.Approvals, ApproverLegalCompliance) || !slices.Contains(ch.Approvals, ApproverBackendOwner) {
		t.Errorf("retention change approvals = %v; want legal/compliance and the schema-change owners", ch.Approvals)
	}
	if slices.Contains(ch.Approvals, ApproverSecurity) {
		t.Errorf("retention change must not ask for security review: %v", ch.Approvals)
	}

	offboard := Default()
	offboard.Offboarding.ExportWindow *= 2
	if ch := DiffPolicies(base, offboard); !slices.Contains(ch.Approvals, ApproverLegalCompliance) {
		t.Errorf("deletion policy change approvals = %v; want legal/compliance", ch.Approvals)
	}

	sens := Default()
	sens.Classes.Columns["users.email"] = Sensitive
	ch = DiffPolicies(base, sens)
	if !slices.Contains(ch.Approvals, ApproverSecurity) || slices.Contains(ch.Approvals, ApproverLegalCompliance) {
		t.Errorf("sensitive class change approvals = %v; want security review only beyond the owners", ch.Approvals)
	}

	snap := Default()
	snap.Snapshots = snap.Snapshots[:1]
	ch = DiffPolicies(base, snap)
	if !slices.Equal(ch.Approvals, []Approver{ApproverBackendOwner, ApproverPlatformOwner}) {
		t.Errorf("plain change approvals = %v; want backend + platform owner", ch.Approvals)
	}
}

func TestFindingsHelpers(t *testing.T) {
	fs := Findings{
		{Check: CheckIndexImpact, Severity: SeverityInfo, Object: "public.a"},
		{Check: CheckLockRisk, Severity: SeverityError, Object: "public.b", File: "1.up.sql", Line: 3},
	}
	if !fs.HasErrors() || fs.Max() != SeverityError {
		t.Error("HasErrors/Max wrong")
	}
	if len(fs.ByCheck(CheckLockRisk)) != 1 {
		t.Error("ByCheck wrong")
	}
	fs.Sort()
	if fs[0].Check != CheckIndexImpact {
		t.Errorf("Sort put %s first; want findings without a file first", fs[0].Check)
	}
	p := Default()
	p.Severities[CheckIndexImpact] = SeverityWarning
	if p.SeverityFor(CheckIndexImpact, SeverityInfo) != SeverityWarning || p.SeverityFor(CheckLockRisk, SeverityError) != SeverityError {
		t.Error("SeverityFor ignores the policy")
	}
	b, err := SeverityError.MarshalText()
	if err != nil || string(b) != "error" {
		t.Errorf("severity text = %q %v", b, err)
	}
}
