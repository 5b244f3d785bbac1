package archive

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// ErrPrivilege is wrapped by [PrivilegeError]: the database role lacks a privilege a
// step of the archive lifecycle needs.
var ErrPrivilege = errors.New("archive: the database role lacks a privilege")

// PrivilegeError says which privilege the role running [Run] lacks for a partition.
// Run checks before the first step, so a role that could export a partition but not
// detach or drop it fails before anything is exported, detached or dropped, instead of
// leaving a half-done lifecycle behind for a better-privileged run to finish.
type PrivilegeError struct {
	Partition string
	Role      string // current_user
	Step      Step   // the first step that needs the privilege
	Privilege string // what to grant, e.g. "ownership of table public.ranking_snapshots (…)"
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("archive: %s: role %s lacks %s, which step %s needs; nothing was exported, detached or dropped: grant it (RELIABILITY.md lists the archive role's grants) and re-run",
		e.Partition, e.Role, e.Privilege, e.Step)
}

// Unwrap makes errors.Is(err, ErrPrivilege) true.
func (e *PrivilegeError) Unwrap() error { return ErrPrivilege }

// checkPrivileges refuses a partition whose lifecycle the role cannot finish: DETACH
// needs the parent's owner privileges, DROP the partition's, and the legal-hold check
// before the drop reads legal_holds in the policy's retention schema (lsos_retention by
// default; when the default HoldFunc asks
// package retention and the schema is installed). Owner privileges come from owning the
// table or from membership in the role that owns it (pg_has_role … 'USAGE', as
// PostgreSQL's own ownership check). With KeepDetached the move needs CREATE on the
// archive schema (or on the database while it is missing). A partition already gone
// needs nothing.
func (r *runner) checkPrivileges(ctx context.Context, db DB, name governance.QualifiedName, oid uint32) error {
	if oid == 0 {
		return nil
	}
	var (
		role, owner, parentOwner string
		parent                   governance.QualifiedName
		ownsPart                 bool
		ownsParent               *bool
	)
	if err := db.QueryRow(ctx, `
		SELECT current_user, pg_get_userbyid(c.relowner), pg_has_role(current_user, c.relowner, 'USAGE'),
		       coalesce(pn.nspname, ''), coalesce(p.relname, ''), coalesce(pg_get_userbyid(p.relowner), ''),
		       CASE WHEN p.oid IS NOT NULL THEN pg_has_role(current_user, p.relowner, 'USAGE') END
		FROM pg_class c
		LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
		LEFT JOIN pg_class p ON p.oid = i.inhparent
		LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
		WHERE c.oid = $1`, oid).Scan(&role, &owner, &ownsPart, &parent.Schema, &parent.Name, &parentOwner, &ownsParent); err != nil {
		return fmt.Errorf("archive: %s: check the role's privileges: %w", name, err)
	}
	fail := func(step Step, what string) error {
		return &PrivilegeError{Partition: name.String(), Role: role, Step: step, Privilege: what}
	}
	if ownsParent != nil && !*ownsParent {
		return fail(StepDetach, fmt.Sprintf("ownership of the parent table %s (be its owner or a member of role %s)", parent, parentOwner))
	}
	if !ownsPart {
		return fail(StepDrop, fmt.Sprintf("ownership of the partition %s (be its owner or a member of role %s)", name, owner))
	}
	if r.opts.KeepDetached {
		// The kept copy moves into DetachedSchema (ALTER TABLE … SET SCHEMA needs CREATE
		// on it), created first when missing (CREATE on the database).
		var exists, can bool
		if err := db.QueryRow(ctx, `
			SELECT n.oid IS NOT NULL,
			       CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')
			            ELSE has_schema_privilege(n.oid, 'CREATE') END
			FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`, r.opts.DetachedSchema).Scan(&exists, &can); err != nil {
			return fmt.Errorf("archive: %s: check the role's privileges: %w", name, err)
		}
		if !can {
			if exists {
				return fail(StepDrop, fmt.Sprintf("CREATE on schema %s (KeepDetached moves the partition there)", sqlident.Quote(r.opts.DetachedSchema)))
			}
			return fail(StepDrop, fmt.Sprintf("CREATE on the database (KeepDetached creates schema %s for the kept partition)", sqlident.Quote(r.opts.DetachedSchema)))
		}
	}
	if !r.defaultHolds {
		return nil // a caller's HoldFunc reads what it reads
	}
	holds := sqlident.Name{Schema: r.bk.retention().Schema(), Name: "legal_holds"}
	var canRead *bool
	err := db.QueryRow(ctx, `
		SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2`, holds.Schema, holds.Name).Scan(&canRead)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // retention is not installed: there are no holds to read
	case err != nil:
		return fmt.Errorf("archive: %s: check the role's privileges: %w", name, err)
	case canRead != nil && !*canRead:
		return fail(StepDrop, "USAGE on schema "+holds.Schema+" and SELECT on "+holds.String()+" (the legal-hold check before a drop)")
	}
	return nil
}
