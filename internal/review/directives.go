package review

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// Directives are the `-- lsos:` comments of a forward file. Directives in the leading
// comment block apply to the file; an `allow` further down applies to the statement
// that follows it.
type Directives struct {
	NoTransaction   bool
	LockTimeout     string // "" when not set
	Deprecates      []Deprecation
	Allows          []Allow
	Breaking        []Breaking
	ApprovedBy      []governance.Approver
	RetentionChange bool
	// Problems are malformed directives, reported by the review instead of ignored.
	Problems []string
}

// Deprecation is `-- lsos:deprecates table[.column]`.
type Deprecation struct {
	Table  string // schema-qualified
	Column string // "" for the whole table
	Line   int
}

// Allow is `-- lsos:allow <check> reason="…"`.
type Allow struct {
	Check  string
	Reason string
	Line   int
	File   bool // in the leading block: applies to the whole file
}

// Breaking is `-- lsos:breaking flag=<flag> phase=expand|contract`.
type Breaking struct {
	Flag  string
	Phase string
	Line  int
}

var (
	directiveRe = regexp.MustCompile(`^\s*--\s*lsos:([A-Za-z_\-]+)\s*(.*?)\s*$`)
	reasonRe    = regexp.MustCompile(`^reason="([^"]*)"$`)
	kvRe        = regexp.MustCompile(`([a-z]+)=([^\s]+)`)
)

// ParseDirectives reads the directives of src. firstStmtLine is the line of the
// first statement (0 when unknown: then every directive counts as leading).
func ParseDirectives(src string, firstStmtLine int) *Directives {
	d := &Directives{}
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		m := directiveRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		leading := firstStmtLine == 0 || n < firstStmtLine
		name, args := m[1], m[2]
		bad := func(format string, a ...any) {
			d.Problems = append(d.Problems, fmt.Sprintf("line %d: lsos:%s: %s", n, name, fmt.Sprintf(format, a...)))
		}
		switch name {
		case "no-transaction":
			d.NoTransaction = true
		case "lock_timeout", "lock-timeout":
			if _, err := governance.ParseDuration(args); err != nil {
				bad("want a duration such as 5s")
				continue
			}
			d.LockTimeout = args
		case "statement_timeout", "statement-timeout", "maintenance-window":
		case "deprecates":
			ref := strings.TrimSpace(args)
			parts := strings.Split(ref, ".")
			switch len(parts) {
			case 1:
				d.Deprecates = append(d.Deprecates, Deprecation{Table: "public." + parts[0], Line: n})
			case 2:
				d.Deprecates = append(d.Deprecates, Deprecation{Table: "public." + parts[0], Column: parts[1], Line: n})
			case 3:
				d.Deprecates = append(d.Deprecates, Deprecation{Table: parts[0] + "." + parts[1], Column: parts[2], Line: n})
			default:
				bad("want table or table.column, got %q", ref)
			}
		case "allow":
			check, rest, _ := strings.Cut(args, " ")
			a := Allow{Check: check, Line: n, File: leading}
			if r := reasonRe.FindStringSubmatch(strings.TrimSpace(rest)); r != nil {
				a.Reason = strings.TrimSpace(r[1])
			}
			if !governance.KnownCheck(check) {
				bad("unknown check %q (use a name from the documented list, e.g. lock-risk)", check)
				continue
			}
			d.Allows = append(d.Allows, a)
		case "breaking":
			b := Breaking{Line: n}
			for _, kv := range kvRe.FindAllStringSubmatch(args, -1) {
				switch kv[1] {
				case "flag":
					b.Flag = kv[2]
				case "phase":
					b.Phase = kv[2]
				}
			}
			if b.Flag == "" || (b.Phase != "expand" && b.Phase != "contract") {
				bad(`want flag=<feature-flag> phase=expand|contract`)
				continue
			}
			d.Breaking = append(d.Breaking, b)
		case "approved-by":
			for _, r := range strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ' ' }) {
				d.ApprovedBy = append(d.ApprovedBy, governance.Approver(r))
			}
		case "retention-change":
			d.RetentionChange = true
		default:
			bad("unknown directive")
		}
	}
	return d
}

// contract returns the contract declaration of the file, if any.
func (d *Directives) contract() (Breaking, bool) {
	for _, b := range d.Breaking {
		if b.Phase == "contract" {
			return b, true
		}
	}
	return Breaking{}, false
}
