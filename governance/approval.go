package governance

// Approver is a role whose sign-off policy §10 requires.
type Approver string

// The approvers of policy §10.
const (
	ApproverBackendOwner    Approver = "backend-owner"
	ApproverPlatformOwner   Approver = "platform-owner"
	ApproverSecurity        Approver = "security-review"
	ApproverLegalCompliance Approver = "legal-compliance-review"
)

// ApprovalRules says who must approve which kind of change (policy §10).
type ApprovalRules struct {
	// SchemaChange approvers sign every schema change: backend + platform owner.
	SchemaChange []Approver `yaml:"schema_change" json:"schema_change"`
	// SensitiveChange approvers sign changes to the sensitive data model.
	SensitiveChange []Approver `yaml:"sensitive_change" json:"sensitive_change"`
	// RetentionChange approvers sign retention and deletion policy changes.
	RetentionChange []Approver `yaml:"retention_change" json:"retention_change"`
}

// Required returns the approvers a change needs, in a stable order without repeats.
func (a ApprovalRules) Required(schema, sensitive, retention bool) []Approver {
	var out []Approver
	seen := map[Approver]bool{}
	add := func(list []Approver) {
		for _, x := range list {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	if schema {
		add(a.SchemaChange)
	}
	if sensitive {
		add(a.SensitiveChange)
	}
	if retention {
		add(a.RetentionChange)
	}
	return out
}
