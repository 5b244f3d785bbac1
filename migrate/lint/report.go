package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// HasErrors reports whether any unsuppressed finding is of error severity.
func (r *Report) HasErrors() bool { return r.Findings.HasErrors() }

// WriteJSON writes the report as {"findings":[…], "approvals":[…], …}.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes one line per finding, then the approvals, flags and suppressions.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintln(&b, f.String())
	}
	if len(r.Findings) == 0 {
		fmt.Fprintf(&b, "no findings in %d reviewed version(s)\n", len(r.Reviewed))
	}
	for _, s := range r.Suppressed {
		fmt.Fprintf(&b, "suppressed (line %d, reason %q): %s\n", s.Line, s.Reason, s.Finding.String())
	}
	for _, f := range r.Flags {
		fmt.Fprintf(&b, "flag %s must be fully rolled out before %s deploys (expand step %s)\n", f.Flag, f.Version, f.ExpandVersion)
	}
	for _, a := range r.Approvals {
		fmt.Fprintf(&b, "approvals %s: required %s; missing %s\n", a.Version, joinApprovers(a.Required), joinApprovers(a.Missing))
	}
	for _, s := range r.Static {
		fmt.Fprintf(&b, "static: %s:%d could not run on the dev database (%s); reviewed from its parse tree\n", s.File, s.Line, s.Error)
	}
	if r.Atlas != nil {
		if r.Atlas.Skipped != "" {
			fmt.Fprintf(&b, "atlas: analyzers skipped: %s\n", r.Atlas.Skipped)
		}
		for _, d := range r.Atlas.Diagnostics {
			if d.Outcome == AtlasAccepted {
				fmt.Fprintf(&b, "atlas: %s:%d %s (%s) accepted by %s\n", d.File, d.Line, d.Code, d.Text, d.Check)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as a pull-request comment.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	errs, warns, infos := 0, 0, 0
	for _, f := range r.Findings {
		switch f.Severity.String() {
		case "error":
			errs++
		case "warning":
			warns++
		default:
			infos++
		}
	}
	fmt.Fprintf(&b, "## Migration review\n\n%d version(s) reviewed: **%d error(s)**, %d warning(s), %d info.\n\n", len(r.Reviewed), errs, warns, infos)
	if len(r.Findings) > 0 {
		b.WriteString("### Findings\n\n| severity | check | code | file:line | object | message |\n|---|---|---|---|---|---|\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "| %s | `%s` | %s | `%s:%d` | `%s` | %s |\n", f.Severity, f.Check, f.Code, f.File, f.Line, f.Object, mdCell(f.Message))
		}
		b.WriteString("\n")
	}
	if len(r.IndexImpact) > 0 {
		b.WriteString("### Index impact\n\n| action | index | table | columns | rows | table size | est. index size | est. build | concurrent |\n|---|---|---|---|---:|---:|---:|---:|---|\n")
		for _, i := range r.IndexImpact {
			fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s | %d | %s | %s | %.2f s | %t |\n", i.Action, i.Index, i.Table, mdCell(i.Columns),
				i.Rows, bytesText(i.TableBytes), bytesText(i.EstIndexBytes), i.EstBuildSeconds, i.Concurrent)
		}
		b.WriteString("\n")
	}
	if len(r.Flags) > 0 {
		b.WriteString("### Feature flags to roll out fully before deploying\n\n")
		for _, f := range r.Flags {
			fmt.Fprintf(&b, "- `%s` before `%s` (expand step `%s`)\n", f.Flag, f.Version, f.ExpandVersion)
		}
		b.WriteString("\n")
	}
	b.WriteString("### Approvals required (policy §10)\n\n| version | required | missing | why |\n|---|---|---|---|\n")
	for _, a := range r.Approvals {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", a.Version, joinApprovers(a.Required), joinApprovers(a.Missing), mdCell(strings.Join(a.Why, "; ")))
	}
	if r.Atlas != nil && (len(r.Atlas.Diagnostics) > 0 || r.Atlas.Skipped != "") {
		b.WriteString("\n### Atlas sqlcheck\n\n")
		if r.Atlas.Skipped != "" {
			fmt.Fprintf(&b, "Analyzers skipped: %s\n\n", mdCell(r.Atlas.Skipped))
		}
		if len(r.Atlas.Diagnostics) > 0 {
			b.WriteString("| code | file:line | diagnostic | outcome |\n|---|---|---|---|\n")
			for _, d := range r.Atlas.Diagnostics {
				fmt.Fprintf(&b, "| %s | `%s:%d` | %s | %s `%s` |\n", d.Code, d.File, d.Line, mdCell(d.Text), d.Outcome, d.Check)
			}
		}
	}
	if len(r.Suppressed) > 0 {
		b.WriteString("\n### Suppressed\n\n")
		for _, s := range r.Suppressed {
			fmt.Fprintf(&b, "- `%s` %s at `%s:%d`: %s\n", s.Finding.Check, s.Finding.Object, s.Finding.File, s.Finding.Line, mdCell(s.Reason))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func joinApprovers[T ~string](as []T) string {
	if len(as) == 0 {
		return "none"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
