package lint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// ErrDesired: a desired schema file of [Plan] cannot be read (SQL that does not parse or
// load, Atlas HCL with a syntax or evaluation error, or a mix of the two kinds).
var ErrDesired = errors.New("review: plan: bad desired schema")

// DesiredError says which desired schema file (and line, when known) [Plan] could not
// load. It wraps [ErrDesired] and the cause.
type DesiredError struct {
	File string // the name from PlanOptions.DesiredNames, or "desired schema file N"
	Line int    // 1-based; 0 when the cause has no position
	Err  error
}

func (e *DesiredError) Error() string {
	at := e.File
	if e.Line > 0 {
		at = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return fmt.Sprintf("review: plan: desired schema %s: %v", at, e.Err)
}

// Unwrap returns ErrDesired and the cause.
func (e *DesiredError) Unwrap() []error { return []error{ErrDesired, e.Err} }

// IsHCL reports whether a desired schema file name marks Atlas HCL (it ends in .hcl).
func IsHCL(name string) bool { return strings.EqualFold(path.Ext(name), ".hcl") }

// desiredKind tells whether the desired sources are HCL, refusing a mix of SQL and HCL:
// the two cannot reference each other's objects, so a mix would be a half-loaded schema.
func desiredKind(names []string, n int) (hclFiles bool, err error) {
	if len(names) != 0 && len(names) != n {
		return false, fmt.Errorf("review: plan: PlanOptions.DesiredNames has %d names for %d desired schema sources; give one name per source, or none", len(names), n)
	}
	var sqlName, hclName string
	for _, nm := range names {
		if IsHCL(nm) {
			if hclName == "" {
				hclName = nm
			}
		} else if sqlName == "" {
			sqlName = nm
		}
	}
	if sqlName != "" && hclName != "" {
		return false, &DesiredError{File: hclName, Err: fmt.Errorf("the desired schema mixes SQL (%s) and Atlas HCL (%s); give files of one kind (convert the SQL to HCL, or the other way round)", sqlName, hclName)}
	}
	return hclName != "", nil
}

// desiredName is the name errors use for desired source i.
func desiredName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("desired schema file %d", i+1)
}

// evalHCL parses the Atlas HCL sources (PostgreSQL dialect) and evaluates them together,
// as Atlas does with several files, into the one schema they must declare: "public",
// the schema a migration directory's unqualified names land in.
func evalHCL(names, srcs []string) (*schema.Schema, error) {
	p := hclparse.NewParser()
	for i, src := range srcs {
		name := desiredName(names, i)
		if _, diags := p.ParseHCL([]byte(src), name); diags.HasErrors() {
			return nil, diagError(name, diags)
		}
	}
	var r schema.Realm
	if err := postgres.EvalHCL.Eval(p, &r, nil); err != nil {
		var diags hcl.Diagnostics
		if errors.As(err, &diags) {
			return nil, diagError(desiredName(names, 0), diags)
		}
		file := desiredName(names, 0)
		if len(srcs) > 1 {
			file = strings.Join(names, ", ")
		}
		return nil, &DesiredError{File: file, Err: fmt.Errorf("atlas HCL: %w", err)}
	}
	all := strings.Join(names, ", ")
	if all == "" {
		all = desiredName(nil, 0)
	}
	switch {
	case len(r.Schemas) == 0:
		return nil, &DesiredError{File: all, Err: errors.New(`no schema block: declare schema "public" {} and give each table schema = schema.public`)}
	case len(r.Schemas) > 1 || r.Schemas[0].Name != "public":
		var ss []string
		for _, s := range r.Schemas {
			ss = append(ss, s.Name)
		}
		return nil, &DesiredError{File: all, Err: fmt.Errorf(`the HCL declares schema %s; plan compares the schema "public" that the migration directory builds, so declare only schema "public"`, strings.Join(ss, ", "))}
	}
	return r.Schemas[0], nil
}

// diagError turns HCL diagnostics into a DesiredError at the first error's file and line.
func diagError(file string, diags hcl.Diagnostics) error {
	e := &DesiredError{File: file, Err: diags}
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil {
			e.File, e.Line = d.Subject.Filename, d.Subject.Start.Line
			msg := d.Summary
			if d.Detail != "" {
				msg += ": " + d.Detail
			}
			e.Err = errors.New(msg)
			break
		}
	}
	return e
}

// loadHCL creates the evaluated schema s in the (empty) scratch schema target through
// Atlas's own planner, so the desired state is then inspected exactly as the SQL desired
// schema is: the same normalised types, defaults and names on both paths.
func loadHCL(ctx context.Context, conn *sql.Conn, s *schema.Schema, target, file string) error {
	drv, err := postgres.Open(conn)
	if err != nil {
		return fmt.Errorf("review: plan: atlas: %w", err)
	}
	s.Name = target // tables, enums and FKs point at s: they all move with it
	changes, err := drv.SchemaDiff(schema.New(target), s)
	if err != nil {
		return &DesiredError{File: file, Err: fmt.Errorf("atlas diff: %w", err)}
	}
	var keep []schema.Change
	for _, c := range changes {
		if _, ok := c.(*schema.ModifySchema); ok {
			continue // schema-level attributes (its comment) are not planned
		}
		keep = append(keep, c)
	}
	if len(keep) == 0 {
		return nil
	}
	plan, err := drv.PlanChanges(ctx, "desired", keep)
	if err != nil {
		return &DesiredError{File: file, Err: fmt.Errorf("atlas plan: %w", err)}
	}
	for _, c := range plan.Changes {
		if _, err := conn.ExecContext(ctx, c.Cmd); err != nil {
			return &DesiredError{File: file, Err: fmt.Errorf("%v, running %s", err, compact(c.Cmd))}
		}
	}
	return nil
}

var spaceRe = regexp.MustCompile(`\s+`)

// compact folds white space and caps a text for a one-line message.
func compact(s string) string {
	s = strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
