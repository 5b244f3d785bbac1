package migrate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrPrivilege is wrapped by [PrivilegeError]: the database role lacks a privilege.
var ErrPrivilege = errors.New("migrate: the database role lacks a privilege")

// PrivilegeError is PostgreSQL refusing a statement for lack of privilege (SQLSTATE
// 42501), with what to grant. Like any failed statement it changed nothing of a
// transactional file; it wraps [ErrPrivilege] and the PostgreSQL error.
type PrivilegeError struct {
	// Op is what was being done, when the error is not already inside a
	// [StatementError] naming the file and statement ("create the revisions table …").
	Op string
	// Object is the object PostgreSQL named ("database app", "table tenants").
	Object string
	// Privilege is what the role needs on it ("CREATE on database app", "ownership of
	// table tenants").
	Privilege string
	Err       error
}

func (e *PrivilegeError) Error() string {
	msg := fmt.Sprintf("the role lacks %s; grant it to the role that runs migrations, or run them as the owner of the objects (RELIABILITY.md lists the roles each operation needs): %v", e.Privilege, e.Err)
	if e.Op != "" {
		return "migrate: " + e.Op + ": " + msg
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrPrivilege) true and keeps the PostgreSQL error.
func (e *PrivilegeError) Unwrap() []error { return []error{ErrPrivilege, e.Err} }

// asPrivilegeError returns a *PrivilegeError for an insufficient-privilege error of
// statement stmt, else nil.
func asPrivilegeError(op, stmt string, err error) *PrivilegeError {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		return nil
	}
	obj, priv := missingPrivilege(stmt, pe.Message)
	return &PrivilegeError{Op: op, Object: obj, Privilege: priv, Err: err}
}

// withPrivilege returns err as a *PrivilegeError when it is one, else unchanged.
func withPrivilege(stmt string, err error) error {
	if pe := asPrivilegeError("", stmt, err); pe != nil {
		return pe
	}
	return err
}

// missingPrivilege reads PostgreSQL's message ("must be owner of table t", "permission
// denied for schema s") and the statement's verb into the object and the privilege it
// needs.
func missingPrivilege(stmt, msg string) (object, privilege string) {
	if o, ok := strings.CutPrefix(msg, "must be owner of "); ok {
		return o, "ownership of " + o + " (be its owner or a member of the role that owns it)"
	}
	o, ok := strings.CutPrefix(msg, "permission denied for ")
	if !ok {
		return "", "a privilege (" + msg + ")"
	}
	verb := firstWord(stmt)
	switch kind, _, _ := strings.Cut(o, " "); kind {
	case "database":
		return o, "CREATE on " + o
	case "schema":
		if verb == "SELECT" || verb == "INSERT" || verb == "UPDATE" || verb == "DELETE" {
			return o, "USAGE on " + o
		}
		return o, "USAGE and CREATE on " + o
	case "table", "sequence", "view", "materialized":
		switch verb {
		case "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE":
			return o, verb + " on " + o
		}
		return o, "a privilege " + verb + " needs on " + o + " (REFERENCES for a foreign key, SELECT to read it)"
	}
	return o, "a privilege on " + o
}

// firstWord returns the statement's first keyword in upper case, skipping comments.
func firstWord(stmt string) string {
	for _, line := range strings.Split(stmt, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		w, _, _ := strings.Cut(line, " ")
		return strings.ToUpper(strings.TrimRight(w, ";("))
	}
	return ""
}
