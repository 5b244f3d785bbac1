package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// directivePrefix starts every directive line in a file's leading comment block.
const directivePrefix = "-- lsos:"

// Directives are the settings a migration file declares in "-- lsos:" comment lines
// (docs/DESIGN.md spells each one). They belong in the file's leading comment block, before
// the first statement:
//
//	-- lsos:no-transaction
//	-- lsos:lock_timeout 10s
//	-- lsos:statement_timeout 30m
//	-- lsos:deprecates reviews.author_name
//	-- lsos:allow lock-risk reason="table is empty in every environment"
//	-- lsos:maintenance-window
//	-- lsos:breaking flag=new_reviews phase=expand
//	-- lsos:approved-by backend-owner, platform-owner
//	-- lsos:retention-change
//
// The one directive that may also stand between statements is allow: written in the
// comment lines directly above a statement, it accepts the check for that statement
// only. Any other directive after the first statement is an error, so a misplaced
// no-transaction is never silently ignored. lock-timeout and statement-timeout are
// accepted as spellings of lock_timeout and statement_timeout. This one grammar is read
// by [Load] and [LoadFS] (so by the executor and lsosgov.Startup) and by the lint
// package, so a directory that passes lint also loads, and the reverse.
type Directives struct {
	// NoTransaction runs the file statement by statement outside a transaction, as
	// CREATE INDEX CONCURRENTLY and ALTER TYPE … ADD VALUE require.
	NoTransaction bool
	// LockTimeout and StatementTimeout override the policy defaults for this file; zero
	// means "use the policy".
	LockTimeout      time.Duration
	StatementTimeout time.Duration
	// Deprecates lists the tables and columns this version deprecates; the deprecation
	// date is the version's timestamp (or, reviewed against a target, when the version
	// was applied there).
	Deprecates []Deprecation
	// Allows lists the review checks this file explicitly accepts, each with its reason:
	// for the whole file (leading block) or for one statement.
	Allows []Allow
	// MaintenanceWindow restricts the version to a policy maintenance window.
	MaintenanceWindow bool
	// Breaking marks a breaking change gated behind a feature flag (policy §4).
	Breaking *Breaking
	// ApprovedBy lists the sign-offs given for this version (policy §10), e.g.
	// backend-owner, platform-owner, security-review, legal-compliance-review.
	ApprovedBy []governance.Approver
	// RetentionChange declares that the version changes retention or deletion behaviour,
	// which needs legal/compliance review (policy §10).
	RetentionChange bool
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

// QualifiedTable returns the table as schema.table, public when unqualified.
func (d Deprecation) QualifiedTable() string {
	if strings.Contains(d.Table, ".") {
		return d.Table
	}
	return "public." + d.Table
}

// Allow is one "-- lsos:allow <check> reason=\"…\"" directive.
type Allow struct {
	Check  string
	Reason string
	Line   int // line of the directive
	// StatementLine is the line of the statement the allow applies to, or 0 when it is
	// in the leading block and applies to the whole file.
	StatementLine int
}

// Breaking is the "-- lsos:breaking flag=<f> phase=expand|contract" directive.
type Breaking struct {
	Flag  string
	Phase string // "expand" or "contract"
	Line  int
}

// Allowed reports whether the file accepts check for the statement at stmtLine (0: for
// the whole file), and why: a leading-block allow covers every statement, a statement
// allow only its own.
func (d Directives) Allowed(check string, stmtLine int) (reason string, ok bool) {
	for _, a := range d.Allows {
		if a.Check == check && (a.StatementLine == 0 || a.StatementLine == stmtLine && stmtLine > 0) {
			return a.Reason, true
		}
	}
	return "", false
}

// directiveLine reports whether a trimmed comment line is a directive and returns
// the text after "lsos:". "-- lsos:" is the documented spelling; "--lsos:" is accepted.
func directiveLine(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "--")
	if !ok {
		return "", false
	}
	return strings.CutPrefix(strings.TrimLeft(rest, " \t"), "lsos:")
}

// parseDirectives reads the directives of a file. Only comment lines outside strings
// and function bodies count: the file is split into statements (in pure Go) when it
// mentions "lsos:" at all, which most files do not. It returns every malformed or
// misplaced directive, in line order, as a *FileError; the directives that could be
// read are returned too, so a review can go on and report all problems at once.
func parseDirectives(file string, src []byte, since time.Time) (Directives, []*FileError) {
	var d Directives
	if !bytes.Contains(src, []byte("lsos:")) {
		return d, nil // most files (and loads) end here
	}
	stmts, trailing, err := scanStatements(file, src)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return d, []*FileError{fe}
		}
		return d, []*FileError{{File: file, Err: err}}
	}
	var problems []*FileError
	read := func(cs []Comment, stmtLine int, leading bool) {
		for _, c := range cs {
			text, ok := directiveLine(c.Text)
			if !ok {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSpace(text), " ")
			switch {
			case leading:
				err = d.parseOne(text, since, c.Line, 0)
			case name == "allow" && stmtLine > 0:
				err = d.parseOne(text, since, c.Line, stmtLine)
			case name == "allow":
				err = fmt.Errorf("directive %q follows the last statement and applies to none; put it directly above the statement it accepts", c.Text)
			default:
				err = fmt.Errorf("directive %q is after the first statement; move it into the leading comment block (only allow may stand above a later statement)", c.Text)
			}
			if err != nil {
				problems = append(problems, &FileError{File: file, Line: c.Line, Err: fmt.Errorf("%w: %v", ErrBadDirective, err)})
			}
		}
	}
	for i, st := range stmts {
		read(st.Comments, st.Line, i == 0)
		for _, c := range st.inner {
			problems = append(problems, &FileError{File: file, Line: c.Line, Err: fmt.Errorf("%w: directive %q is inside a statement; put it in the comment lines above the statement", ErrBadDirective, c.Text)})
		}
	}
	slices.SortStableFunc(problems, func(a, b *FileError) int { return a.Line - b.Line })
	read(trailing, 0, len(stmts) == 0)
	return d, problems
}

func (d *Directives) parseOne(s string, since time.Time, line, stmtLine int) error {
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
	case "lock_timeout", "statement_timeout", "lock-timeout", "statement-timeout":
		v, err := governance.ParseDuration(arg)
		if err != nil || v <= 0 {
			return fmt.Errorf("directive %s wants a positive duration such as 10s or 5m, got %q", name, arg)
		}
		if name == "lock_timeout" || name == "lock-timeout" {
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
		if !approverRE.MatchString(check) {
			return fmt.Errorf("directive allow names %q, which is not a check name (lower-case words joined by -, e.g. %s)", check, strings.Join(governance.MigrationChecks(), ", "))
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "reason=") {
			return fmt.Errorf(`directive allow %s needs reason="why this is safe"`, check)
		}
		reason, err := strconv.Unquote(strings.TrimPrefix(rest, "reason="))
		if err != nil || strings.TrimSpace(reason) == "" {
			return fmt.Errorf(`directive allow %s: reason must be a non-empty double-quoted string, got %s`, check, strings.TrimPrefix(rest, "reason="))
		}
		d.Allows = append(d.Allows, Allow{Check: check, Reason: reason, Line: line, StatementLine: stmtLine})
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
	case "approved-by":
		roles := strings.FieldsFunc(arg, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(roles) == 0 {
			return fmt.Errorf("directive approved-by wants one or more roles, e.g. -- lsos:approved-by backend-owner, platform-owner")
		}
		for _, r := range roles {
			if !approverRE.MatchString(r) {
				return fmt.Errorf("directive approved-by: %q is not a role name (lower-case words joined by -, e.g. security-review)", r)
			}
			d.ApprovedBy = append(d.ApprovedBy, governance.Approver(r))
		}
	case "retention-change":
		d.RetentionChange = true
		return noArg()
	default:
		return fmt.Errorf("unknown directive %q (known: %s)", name, strings.Join(DirectiveNames(), ", "))
	}
	return nil
}

// approverRE is the shape of a role name in approved-by and of a check name in allow:
// the review's checks are extensible (lint.Check), so the loader checks the shape and the
// review reports a name that no check of the review carries.
var approverRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// DirectiveNames lists the directive names the grammar accepts, in the documented
// spelling (aliases left out).
func DirectiveNames() []string {
	return []string{"no-transaction", "lock_timeout", "statement_timeout", "deprecates", "allow",
		"maintenance-window", "breaking", "approved-by", "retention-change"}
}
