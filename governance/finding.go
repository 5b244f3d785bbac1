package governance

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity orders findings: info < warning < error.
type Severity int

// Severity levels.
const (
	SeverityInfo Severity = iota + 1
	SeverityWarning
	SeverityError
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "info", "warning" or "error".
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "info":
		return SeverityInfo, nil
	case "warning", "warn":
		return SeverityWarning, nil
	case "error":
		return SeverityError, nil
	}
	return 0, fmt.Errorf("governance: unknown severity %q (allowed: info, warning, error)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if s < SeverityInfo || s > SeverityError {
		return nil, fmt.Errorf("governance: invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one result of a check. Object is schema-qualified ("schema.table" or
// "schema.table.column"). A finding never carries a sensitive value from the data.
type Finding struct {
	Check    string   `json:"check"`
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Object   string   `json:"object"`
	Message  string   `json:"message"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Count    int64    `json:"count,omitempty"`
	// Fix is the suggested fix, when the check that reported the finding knows one
	// (the migration review fills it from its code catalogue).
	Fix string `json:"fix,omitempty"`
}

// String renders a finding on one line: "error missing-fk public.t.c: message".
func (f Finding) String() string {
	loc := ""
	if f.File != "" {
		loc = f.File
		if f.Line > 0 {
			loc += fmt.Sprintf(":%d", f.Line)
		}
		loc += ": "
	}
	return fmt.Sprintf("%s%s %s [%s] %s: %s", loc, f.Severity, f.Check, f.Code, f.Object, f.Message)
}

// Findings is a list of findings with helpers for gating.
type Findings []Finding

// HasErrors reports whether any finding is of error severity.
func (fs Findings) HasErrors() bool { return fs.Max() >= SeverityError }

// Max returns the highest severity present (0 when empty).
func (fs Findings) Max() Severity {
	var m Severity
	for _, f := range fs {
		m = max(m, f.Severity)
	}
	return m
}

// ByCheck returns the findings of one check.
func (fs Findings) ByCheck(check string) Findings {
	var out Findings
	for _, f := range fs {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

// Sort orders findings by file, line, severity (highest first), check and object.
func (fs Findings) Sort() {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Check, b.Check), cmp.Compare(a.Object, b.Object))
	})
}

// Report is the JSON document of findings: {"findings":[…]}.
type Report struct {
	Findings Findings `json:"findings"`
}

// SeverityFor returns the severity the policy assigns to check, or def when the policy
// does not override it.
func (p *Policy) SeverityFor(check string, def Severity) Severity {
	if s, ok := p.Severities[check]; ok {
		return s
	}
	return def
}
