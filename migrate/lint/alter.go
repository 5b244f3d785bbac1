package lint

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lsos/lsosgov/governance"
)

// Lock levels an ALTER TABLE subcommand takes (PostgreSQL's AlterTableGetLockLevel).
const (
	lockAccessExclusive      = "ACCESS EXCLUSIVE"
	lockShareRowExclusive    = "SHARE ROW EXCLUSIVE"
	lockShareUpdateExclusive = "SHARE UPDATE EXCLUSIVE"
)

// lockLevel returns the lock an ALTER TABLE subcommand takes on its table.
func lockLevel(c *pg.AlterTableCmd) string {
	switch c.Subtype {
	case pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_ValidateConstraint, pg.AlterTableType_AT_ClusterOn,
		pg.AlterTableType_AT_DropCluster, pg.AlterTableType_AT_SetRelOptions, pg.AlterTableType_AT_ResetRelOptions,
		pg.AlterTableType_AT_AttachPartition, pg.AlterTableType_AT_SetOptions, pg.AlterTableType_AT_ResetOptions:
		return lockShareUpdateExclusive
	case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_EnableAlwaysTrig, pg.AlterTableType_AT_EnableReplicaTrig,
		pg.AlterTableType_AT_DisableTrig, pg.AlterTableType_AT_EnableTrigAll, pg.AlterTableType_AT_DisableTrigAll,
		pg.AlterTableType_AT_EnableTrigUser, pg.AlterTableType_AT_DisableTrigUser:
		return lockShareRowExclusive
	case pg.AlterTableType_AT_AddConstraint:
		if k := c.Def.GetConstraint(); k != nil && k.Contype == pg.ConstrType_CONSTR_FOREIGN {
			return lockShareRowExclusive
		}
	case pg.AlterTableType_AT_DetachPartition:
		if pc := c.Def.GetPartitionCmd(); pc != nil && pc.Concurrent {
			return lockShareUpdateExclusive
		}
	}
	return lockAccessExclusive
}

// volatileFallback names volatile functions for a statement that cannot run on dev.
var volatileFallback = []string{"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4",
	"clock_timestamp", "timeofday", "nextval", "txid_current"}

func (r *reviewer) alterTable(ctx context.Context, fc *fileCtx, a *pg.AlterTableStmt) error {
	if a.Objtype != pg.ObjectType_OBJECT_TABLE {
		return nil
	}
	t := qname(a.Relation)
	exists := fc.existing(t)
	aeWhat := ""
	for _, n := range a.Cmds {
		c := n.GetAlterTableCmd()
		if c == nil {
			continue
		}
		if aeWhat == "" && lockLevel(c) == lockAccessExclusive {
			aeWhat = "ALTER TABLE " + strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(c.Subtype.String(), "AT_"), "_", " "))
		}
		col := c.Name
		switch c.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			cd := c.Def.GetColumnDef()
			if cd == nil {
				continue
			}
			r.classifyNew(fc, t, cd.Colname, typeName(cd.TypeName), "")
			if exists {
				if err := r.addColumn(ctx, fc, t, cd); err != nil {
					return err
				}
			}
		case pg.AlterTableType_AT_DropColumn:
			if !exists {
				continue
			}
			if err := r.sensitiveExisting(ctx, fc, t, col, "SC102", "drops"); err != nil {
				return err
			}
			// A deprecation whose window has passed is the expand/contract sequence of a
			// drop: the running version stopped using the column when it was deprecated.
			if !r.destructive(fc, t, col, "DC102", "DROP COLUMN "+col) {
				r.incompatible(fc, "BI104", t+"."+col, fmt.Sprintf("dropping column %s breaks the running version, which still reads or writes it", col))
			}
		case pg.AlterTableType_AT_AlterColumnType:
			if !exists {
				continue
			}
			if err := r.alterType(ctx, fc, t, c); err != nil {
				return err
			}
		case pg.AlterTableType_AT_SetNotNull:
			if !exists {
				continue
			}
			t0 := time.Now()
			ok, err := hasValidatedNotNullCheck(ctx, r.dev, t, col)
			r.devTime += time.Since(t0)
			if err != nil {
				return err
			}
			if !ok {
				r.incompatible(fc, "BI107", t+"."+col, fmt.Sprintf("SET NOT NULL on %s makes inserts of the running version that omit it fail", col))
				r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR111", t+"."+col,
					fmt.Sprintf("SET NOT NULL on %s scans the whole table under ACCESS EXCLUSIVE: first ADD CONSTRAINT … CHECK (%s IS NOT NULL) NOT VALID, VALIDATE it in a later step, then SET NOT NULL", col, col))
			}
		case pg.AlterTableType_AT_DropNotNull:
			if exists {
				r.incompatible(fc, "BI109", t+"."+col, fmt.Sprintf("DROP NOT NULL on %s lets the new version write NULLs that the running version may not expect when it reads them", col))
			}
		case pg.AlterTableType_AT_ValidateConstraint:
			if fc.notValid[t+"."+col] && !fc.d.NoTransaction {
				r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR116", t,
					fmt.Sprintf("VALIDATE CONSTRAINT %s in the same transaction that added it NOT VALID holds the ADD's lock through the validation scan, which NOT VALID was meant to avoid: validate in a later version (or a -- lsos:no-transaction file)", col))
			}
		case pg.AlterTableType_AT_ColumnDefault:
			if exists && c.Def == nil {
				r.incompatible(fc, "BI108", t+"."+col, fmt.Sprintf("DROP DEFAULT on %s makes inserts of the running version that rely on the default fail or store NULL", col))
			}
		case pg.AlterTableType_AT_AddConstraint:
			k := c.Def.GetConstraint()
			if k == nil || !exists {
				continue
			}
			if k.SkipValidation && k.Conname != "" {
				fc.notValid[t+"."+k.Conname] = true
			}
			if err := r.addConstraint(ctx, fc, t, k); err != nil {
				return err
			}
		case pg.AlterTableType_AT_DetachPartition:
			pc := c.Def.GetPartitionCmd()
			if pc == nil {
				continue
			}
			child := qname(pc.Name)
			r.markRetention(fc, child)
			if pc.Concurrent && !fc.d.NoTransaction {
				r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR103", child,
					"DETACH PARTITION CONCURRENTLY cannot run inside a transaction: add -- lsos:no-transaction")
			}
			if !pc.Concurrent && exists {
				r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR109", child,
					fmt.Sprintf("DETACH PARTITION %s without CONCURRENTLY locks %s ACCESS EXCLUSIVE: use DETACH PARTITION … CONCURRENTLY in a -- lsos:no-transaction version", child, t))
			}
		}
	}
	if aeWhat != "" {
		r.accessExclusive(fc, t, aeWhat)
	}
	return nil
}

func (r *reviewer) addColumn(ctx context.Context, fc *fileCtx, t string, cd *pg.ColumnDef) error {
	obj := t + "." + cd.Colname
	notNull, def := cd.IsNotNull, cd.RawDefault
	generated, identity, fk := cd.Generated != "", cd.Identity != "", false
	inlineIndex := ""
	for _, n := range cd.Constraints {
		k := n.GetConstraint()
		if k == nil {
			continue
		}
		switch k.Contype {
		case pg.ConstrType_CONSTR_UNIQUE:
			inlineIndex = "UNIQUE"
		case pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_PRIMARY:
			notNull = true
			if k.Contype == pg.ConstrType_CONSTR_PRIMARY {
				inlineIndex = "PRIMARY KEY"
			}
		case pg.ConstrType_CONSTR_DEFAULT:
			def = k.RawExpr
		case pg.ConstrType_CONSTR_GENERATED:
			generated = true
		case pg.ConstrType_CONSTR_IDENTITY:
			identity = true
		case pg.ConstrType_CONSTR_FOREIGN:
			fk = !k.SkipValidation
		}
	}
	typ := strings.ToLower(typeName(cd.TypeName))
	serial := typ == "serial" || typ == "bigserial" || typ == "smallserial" || typ == "serial4" || typ == "serial8"
	if notNull && def == nil && !generated && !identity && !serial {
		r.incompatible(fc, "BI105", obj, fmt.Sprintf("ADD COLUMN %s NOT NULL without a default fails on a non-empty table and breaks inserts of the running version: add it with a DEFAULT, or nullable and backfill", cd.Colname))
	}
	rewrite := ""
	switch {
	case serial, identity:
		rewrite = "an identity/serial column fills every row from a sequence"
	case generated:
		rewrite = "a stored generated column computes every row"
	case def != nil:
		names := funcNames(def)
		t0 := time.Now()
		vol, err := isVolatile(ctx, r.dev, names)
		r.devTime += time.Since(t0)
		if err != nil {
			return err
		}
		for _, n := range names {
			vol = vol || slices.Contains(volatileFallback, n)
		}
		if vol {
			rewrite = "a volatile default (" + strings.Join(names, ", ") + ") is evaluated for every row"
		}
	}
	if rewrite != "" {
		r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR107", obj,
			fmt.Sprintf("ADD COLUMN %s rewrites %s under ACCESS EXCLUSIVE: %s; add the column without it, backfill in batches, then set the default", cd.Colname, t, rewrite))
	}
	if inlineIndex != "" {
		r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR117", obj,
			fmt.Sprintf("ADD COLUMN %s %s builds a unique index on %s under ACCESS EXCLUSIVE: add the column, CREATE UNIQUE INDEX CONCURRENTLY in a -- lsos:no-transaction version, then ADD CONSTRAINT … %s USING INDEX", cd.Colname, inlineIndex, t, inlineIndex))
	}
	if fk {
		r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR104", obj,
			fmt.Sprintf("ADD COLUMN %s REFERENCES validates the foreign key while locking both tables: add the column, then ADD CONSTRAINT … FOREIGN KEY … NOT VALID and VALIDATE CONSTRAINT in a later step", cd.Colname))
	}
	return nil
}

func (r *reviewer) alterType(ctx context.Context, fc *fileCtx, t string, c *pg.AlterTableCmd) error {
	col := c.Name
	obj := t + "." + col
	if err := r.sensitiveExisting(ctx, fc, t, col, "SC102", "changes the type of"); err != nil {
		return err
	}
	t0 := time.Now()
	old, err := columnType(ctx, r.dev, t, col)
	r.devTime += time.Since(t0)
	if err != nil {
		return err
	}
	cd := c.Def.GetColumnDef()
	using := cd != nil && cd.RawDefault != nil
	si, line := fc.cur, fc.line
	fc.post = append(fc.post, func(executed bool) error {
		newT := ""
		if executed {
			t0 := time.Now()
			var err error
			newT, err = columnType(ctx, r.dev, t, col)
			r.devTime += time.Since(t0)
			if err != nil {
				return err
			}
		}
		if !using && newT != "" && safeTypeChange(old, newT) {
			return nil
		}
		if newT == "" {
			newT = typeName(cd.TypeName)
		}
		r.add(fc.f, si, line, governance.CheckLockRisk, "LR106", obj,
			fmt.Sprintf("changing %s from %s to %s rewrites %s and its indexes under ACCESS EXCLUSIVE: add a new column, backfill in batches, and switch over", col, old, newT, t))
		r.incompatibleAt(fc, si, line, "BI106", obj,
			fmt.Sprintf("changing %s from %s to %s can reject or alter values the running version writes", col, old, newT))
		return nil
	})
	return nil
}

var typeRe = regexp.MustCompile(`^(character varying|numeric|varchar|bit varying)(?:\((\d+)(?:,(\d+))?\))?$`)

// safeTypeChange reports a change PostgreSQL applies without rewriting the table and that
// accepts every old value: widening varchar/numeric precision, or varchar to text.
func safeTypeChange(old, new string) bool {
	if old == new {
		return true
	}
	if new == "text" && strings.HasPrefix(old, "character varying") {
		return true
	}
	if new == "character varying" && (old == "text" || strings.HasPrefix(old, "character varying")) {
		return true
	}
	o, n := typeRe.FindStringSubmatch(old), typeRe.FindStringSubmatch(new)
	if o == nil || n == nil || o[1] != n[1] {
		return false
	}
	if n[2] == "" {
		return true // unconstrained accepts everything, no rewrite for varchar/numeric
	}
	if o[2] == "" {
		return false
	}
	op, _ := strconv.Atoi(o[2])
	np, _ := strconv.Atoi(n[2])
	return np >= op && o[3] == n[3]
}

func (r *reviewer) addConstraint(ctx context.Context, fc *fileCtx, t string, k *pg.Constraint) error {
	name := k.Conname
	switch k.Contype {
	case pg.ConstrType_CONSTR_FOREIGN:
		if !k.SkipValidation {
			r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR104", t,
				fmt.Sprintf("ADD CONSTRAINT %s FOREIGN KEY validates every row while blocking writes on %s and %s: add it NOT VALID, then VALIDATE CONSTRAINT in a later step", name, t, qname(k.Pktable)))
		}
	case pg.ConstrType_CONSTR_CHECK:
		if !k.SkipValidation {
			r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR105", t,
				fmt.Sprintf("ADD CONSTRAINT %s CHECK scans every row under ACCESS EXCLUSIVE: add it NOT VALID, then VALIDATE CONSTRAINT in a later step", name))
		}
	case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE:
		if k.Indexname != "" {
			return nil // USING INDEX: the index was built beforehand
		}
		var cols []string
		for _, n := range k.Keys {
			if s := n.GetString_(); s != nil {
				cols = append(cols, s.Sval)
			}
		}
		what := "CONSTRAINT " + name
		if name == "" {
			kind := "UNIQUE"
			if k.Contype == pg.ConstrType_CONSTR_PRIMARY {
				kind = "PRIMARY KEY"
			}
			what = kind + " (" + strings.Join(cols, ", ") + ")"
			name = "(unnamed)"
		}
		r.add(fc.f, fc.cur, fc.line, governance.CheckLockRisk, "LR110", t,
			fmt.Sprintf("ADD %s builds its index under ACCESS EXCLUSIVE: CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX", what))
		return r.indexImpact(ctx, fc, "create", name, t, cols, false)
	}
	return nil
}
