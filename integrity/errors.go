package integrity

import (
	"errors"
	"fmt"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrUnknownCheck: a check name that is not one of [Names].
	ErrUnknownCheck = errors.New("integrity: unknown check")
	// ErrUnknownTable: Options.Tables names a table the database does not have.
	ErrUnknownTable = errors.New("integrity: unknown table")
	// ErrBudgetExceeded: the run's time budget ran out before every check finished; the
	// report lists the checks that did not run.
	ErrBudgetExceeded = errors.New("integrity: time budget exceeded; raise Options.Budget or check fewer tables")
	// ErrInvalidOptions: an option value out of range.
	ErrInvalidOptions = errors.New("integrity: invalid options")
)

// CheckError says which check (and object) could not be checked, and why.
type CheckError struct {
	Check  string
	Object string
	Err    error
}

func (e *CheckError) Error() string {
	if e.Object != "" {
		return fmt.Sprintf("integrity: check %s on %s: %v", e.Check, e.Object, e.Err)
	}
	return fmt.Sprintf("integrity: check %s: %v", e.Check, e.Err)
}

// Unwrap returns the cause.
func (e *CheckError) Unwrap() error { return e.Err }
