package migrate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// directivePrefix starts every directive line in a file's leading comment block.
const directivePrefix = "-- lsos:"

// Directives are the settings a file declares in its leading "-- lsos:" comment block
// (DESIGN.md spells each one):
//
//	-- lsos:no-transaction
//	-- lsos:lock_timeout 10s
//	-- lsos:statement_timeout 30m
//	-- lsos:deprecates reviews.author_name
//	-- lsos:allow lock-risk reason="table is empty in every environment"
//	-- lsos:maintenance-window
//	-- lsos:breaking flag=new_reviews phase=expand
type Directives struct {
	// NoTransaction runs the file statement by statement outside a transaction, as
	// CREATE INDEX CONCURRENTLY and ALTER TYPE … ADD VALUE require.
	NoTransaction bool
	// LockTimeout and StatementTimeout override the policy defaults for this file; zero
	// means "use the policy".
	LockTimeout      time.Duration
	StatementTimeout time.Duration
	// Deprecates lists the tables and columns this version deprecates; the deprecation
	// date is the version's timestamp.
	Deprecates []Deprecation
	// Allows lists the review checks this file explicitly accepts, each with its reason.
	Allows []Allow
	// MaintenanceWindow restricts the version to a policy maintenance window.
	MaintenanceWindow bool
	// Breaking marks a breaking change gated behind a feature flag (policy §4).
	Breaking *Breaking
}

// Deprecation is one "-- lsos:deprecates table[.column]" directive.
type Deprecation struct {
	Table  string // as written: "table" or "schema.table"
	Column string // empty when the whole table is deprecated
	Since  time.Time
	Line   int
}

// Object returns table or table.column.
func (d Deprecation) Object() string {
	if d.Column == "" {
		return d.Table
	}
	return d.Table + "." + d.Column
}

// Allow is one "-- lsos:allow <check> reason=\"…\"" directive.
type Allow struct {
	Check  string
	Reason string
	Line   int
}

// Breaking is the "-- lsos:breaking flag=<f> phase=expand|contract" directive.
type Breaking struct {
	Flag  string
	Phase string // "expand" or "contract"
	Line  int
}

// Allowed reports whether the file accepts check, and why.
func (d Directives) Allowed(check string) (reason string, ok bool) {
	for _, a := range d.Allows {
		if a.Check == check {
			return a.Reason, true
		}
	}
	return "", false
}

// parseDirectives reads the leading comment block of a file (blank lines and "--"
// comments before the first statement). A "-- lsos:" line after the first statement is
// an error: a misplaced no-transaction must not be silently ignored.
func parseDirectives(file string, src []byte, since time.Time) (Directives, error) {
	var d Directives
	if !bytes.Contains(src, []byte(directivePrefix)) {
		return d, nil // no line can start with the prefix; most files (and loads) end here
	}
	lines := strings.Split(string(src), "\n")
	leading := true
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		lineNo := i + 1
		if leading && line != "" && !strings.HasPrefix(line, "--") {
			leading = false
		}
		if !strings.HasPrefix(line, directivePrefix) {
			continue
		}
		if !leading {
			return d, &FileError{File: file, Line: lineNo, Err: fmt.Errorf("directive %q is after the first statement; move it into the leading comment block", line)}
		}
		if err := d.parseOne(strings.TrimPrefix(line, directivePrefix), since, lineNo); err != nil {
			return d, &FileError{File: file, Line: lineNo, Err: err}
		}
	}
	return d, nil
}

func (d *Directives) parseOne(s string, since time.Time, line int) error {
	name, arg, _ := strings.Cut(strings.TrimSpace(s), " ")
	arg = strings.TrimSpace(arg)
	noArg := func() error {
		if arg != "" {
			return fmt.Errorf("directive %s takes no argument, got %q", name, arg)
		}
		return nil
	}
	switch name {
	case "no-transaction":
		d.NoTransaction = true
		return noArg()
	case "maintenance-window":
		d.MaintenanceWindow = true
		return noArg()
	case "lock_timeout", "statement_timeout":
		v, err := governance.ParseDuration(arg)
		if err != nil || v <= 0 {
			return fmt.Errorf("directive %s wants a positive duration such as 10s or 5m, got %q", name, arg)
		}
		if name == "lock_timeout" {
			d.LockTimeout = v.Std()
		} else {
			d.StatementTimeout = v.Std()
		}
	case "deprecates":
		if arg == "" || strings.ContainsAny(arg, " \t") {
			return fmt.Errorf("directive deprecates wants one table or table.column, got %q", arg)
		}
		parts := strings.Split(arg, ".")
		dep := Deprecation{Since: since, Line: line}
		switch len(parts) {
		case 1:
			dep.Table = parts[0]
		case 2:
			dep.Table, dep.Column = parts[0], parts[1]
		case 3:
			dep.Table, dep.Column = parts[0]+"."+parts[1], parts[2]
		default:
			return fmt.Errorf("directive deprecates wants table, table.column or schema.table.column, got %q", arg)
		}
		for _, p := range parts {
			if p == "" {
				return fmt.Errorf("directive deprecates has an empty name part in %q", arg)
			}
		}
		d.Deprecates = append(d.Deprecates, dep)
	case "allow":
		check, rest, _ := strings.Cut(arg, " ")
		if !governance.KnownCheck(check) {
			return fmt.Errorf("directive allow names unknown check %q (known: %s)", check, strings.Join(governance.MigrationChecks(), ", "))
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "reason=") {
			return fmt.Errorf(`directive allow %s needs reason="why this is safe"`, check)
		}
		reason, err := strconv.Unquote(strings.TrimPrefix(rest, "reason="))
		if err != nil || strings.TrimSpace(reason) == "" {
			return fmt.Errorf(`directive allow %s: reason must be a non-empty double-quoted string, got %s`, check, strings.TrimPrefix(rest, "reason="))
		}
		d.Allows = append(d.Allows, Allow{Check: check, Reason: reason, Line: line})
	case "breaking":
		b := &Breaking{Line: line}
		for _, kv := range strings.Fields(arg) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "flag":
				b.Flag = v
			case "phase":
				b.Phase = v
			default:
				return fmt.Errorf("directive breaking: unknown key %q (want flag=<feature-flag> phase=expand|contract)", k)
			}
		}
		if b.Flag == "" || (b.Phase != "expand" && b.Phase != "contract") {
			return fmt.Errorf("directive breaking wants flag=<feature-flag> phase=expand|contract, got %q", arg)
		}
		if d.Breaking != nil {
			return fmt.Errorf("directive breaking appears twice")
		}
		d.Breaking = b
	default:
		return fmt.Errorf("unknown directive %q (known: no-transaction, lock_timeout, statement_timeout, deprecates, allow, maintenance-window, breaking)", name)
	}
	return nil
}
