package archive

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/internal/sqlident"
)

// This file holds what Restore checks before it uses a manifest's text: a manifest may
// come from a store anyone with write access to the bucket could have rewritten
// (RebuildCatalog), so none of its text reaches the server as SQL. Names are quoted by
// this package, column types are resolved by the server from bind parameters, bounds
// are rendered from parsed times, and index definitions are rebuilt (restoreindex.go).

// errNotType is wrapped when a manifest's column type is refused.
var errNotType = errors.New("not a type name the server resolves to the same text")

// typeMods matches the modifier list of a type as format_type prints it: "(255)",
// "(12,2)", "(Point,4326)".
var typeMods = regexp.MustCompile(`^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$`)

// splitTypeText splits a type as format_type prints it into the type without its
// modifier list and the modifiers: "timestamp(3) with time zone" gives
// ("timestamp with time zone", ["3"]); "numeric(12,2)[]" gives ("numeric[]", ["12",
// "2"]). Parentheses inside double-quoted identifiers are part of the name. It refuses
// control characters, a second modifier list and an unterminated quote.
func splitTypeText(s string) (base string, mods []string, err error) {
	if s == "" || len(s) > 512 {
		return "", nil, fmt.Errorf("%w: empty or over 512 bytes", errNotType)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return "", nil, fmt.Errorf("%w: a control character", errNotType)
		case c == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return "", nil, fmt.Errorf("%w: an unterminated quoted identifier", errNotType)
			}
			b.WriteString(s[i : j+1])
			i = j
		case c == '(':
			end := strings.IndexByte(s[i:], ')')
			if mods != nil || end < 0 || !typeMods.MatchString(s[i+1:i+end]) {
				return "", nil, fmt.Errorf("%w: the modifiers are not one list of words and numbers", errNotType)
			}
			mods = strings.Split(s[i+1:i+end], ",")
			i += end
		case c == ')':
			return "", nil, fmt.Errorf("%w: unbalanced parentheses", errNotType)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), mods, nil
}

// intervalFields are the interval field restrictions format_type prints, with the
// range mask PostgreSQL's grammar gives intervaltypmodin for them (INTERVAL_MASK of
// MONTH=1, YEAR=2, DAY=3, HOUR=10, MINUTE=11, SECOND=12).
var intervalFields = map[string]int{
	"year": 1 << 2, "month": 1 << 1, "day": 1 << 3, "hour": 1 << 10, "minute": 1 << 11, "second": 1 << 12,
	"year to month":    1<<2 | 1<<1,
	"day to hour":      1<<3 | 1<<10,
	"day to minute":    1<<3 | 1<<10 | 1<<11,
	"day to second":    1<<3 | 1<<10 | 1<<11 | 1<<12,
	"hour to minute":   1<<10 | 1<<11,
	"hour to second":   1<<10 | 1<<11 | 1<<12,
	"minute to second": 1<<11 | 1<<12,
}

// intervalFullRange is INTERVAL_FULL_RANGE: no field restriction.
const intervalFullRange = 0x7FFF

// resolveType asks the server which type the manifest's type text names, passing the
// text only as a bind parameter, and returns format_type's text for that type and
// modifier: the only type text Restore puts into SQL. The result must equal the
// manifest's text exactly (which is how format_type printed it when the partition was
// archived); anything else is refused.
func resolveType(ctx context.Context, db DB, text string) (string, error) {
	base, mods, err := splitTypeText(text)
	if err != nil {
		return "", err
	}
	lookup := base
	if elem, ok := strings.CutPrefix(strings.TrimSuffix(base, "[]"), "interval "); ok {
		// interval's field restriction is part of its modifier, not of its name.
		mask, ok := intervalFields[elem]
		if !ok {
			return "", fmt.Errorf("%w: unknown interval fields %q", errNotType, elem)
		}
		lookup = "interval" + base[len("interval ")+len(elem):]
		mods = append([]string{strconv.Itoa(mask)}, mods...)
	} else if strings.TrimSuffix(base, "[]") == "interval" && len(mods) == 1 {
		mods = []string{strconv.Itoa(intervalFullRange), mods[0]}
	}
	var oid *uint32
	var modin uint32 // 0: the type takes no modifiers
	var modinSchema, modinName *string
	if err := db.QueryRow(ctx, `
		SELECT t.oid, coalesce(t.typmodin::oid, 0), n.nspname, p.proname
		FROM (SELECT to_regtype($1) AS oid) r
		LEFT JOIN pg_type t ON t.oid = r.oid
		LEFT JOIN pg_proc p ON p.oid = t.typmodin
		LEFT JOIN pg_namespace n ON n.oid = p.pronamespace`, lookup).Scan(&oid, &modin, &modinSchema, &modinName); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("%w: no such type", errNotType)
		}
		// PostgreSQL before 16 raises a syntax error for text that is not a type name.
		return "", fmt.Errorf("%w: %v", errNotType, err)
	}
	if oid == nil {
		return "", fmt.Errorf("%w: no such type", errNotType)
	}
	typmod := int32(-1)
	if len(mods) > 0 {
		if modin == 0 || modinSchema == nil || modinName == nil {
			return "", fmt.Errorf("%w: the type takes no modifiers", errNotType)
		}
		// The function is the type's typmodin from pg_type, named by the catalog and
		// quoted here; the modifiers are a bind parameter.
		if err := db.QueryRow(ctx, `SELECT `+sqlident.Quote(*modinSchema)+`.`+sqlident.Quote(*modinName)+`($1::text[]::cstring[])`, mods).Scan(&typmod); err != nil {
			return "", fmt.Errorf("%w: modifiers: %v", errNotType, err)
		}
	}
	var canonical string
	if err := db.QueryRow(ctx, `SELECT format_type($1::oid, $2::int4)`, *oid, typmod).Scan(&canonical); err != nil {
		return "", fmt.Errorf("%w: %v", errNotType, err)
	}
	if canonical != text {
		return "", fmt.Errorf("%w: the server spells it %q", errNotType, canonical)
	}
	return canonical, nil
}

// resolveColumns returns the manifest's columns with each type replaced by the
// server's spelling of it (see resolveType), after checking each name. Queries that
// fail are run in a savepoint of db, so that a refused type leaves db usable.
func resolveColumns(ctx context.Context, db TxDB, m *Manifest) ([]ColumnDef, error) {
	out := make([]ColumnDef, len(m.Columns))
	seen := map[string]string{}
	for i, c := range m.Columns {
		if err := sqlident.Check(c.Name); err != nil {
			return nil, invalidManifest(m, fmt.Sprintf("columns[%d].name", i), err)
		}
		t, ok := seen[c.Type]
		if !ok {
			sp, err := db.Begin(ctx)
			if err != nil {
				return nil, err
			}
			t, err = resolveType(ctx, sp, c.Type)
			sp.Rollback(ctx) // it changed nothing either way
			if err != nil {
				return nil, invalidManifest(m, fmt.Sprintf("columns[%d].type %q", i, c.Type), err)
			}
			seen[c.Type] = t
		}
		out[i] = ColumnDef{Name: c.Name, Type: t, NotNull: c.NotNull}
	}
	return out, nil
}

// boundValue is one side of a range bound: a time, or MINVALUE/MAXVALUE (zero time).
type boundValue struct {
	t       time.Time
	keyword string // "MINVALUE" or "MAXVALUE" when t is zero
}

// parseBoundSide reads one side of "FOR VALUES FROM (x) TO (y)": MINVALUE, MAXVALUE or a
// quoted date/time literal without embedded quotes.
func parseBoundSide(s string) (boundValue, bool) {
	if s == "MINVALUE" || s == "MAXVALUE" {
		return boundValue{keyword: s}, true
	}
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' || strings.ContainsRune(s[1:len(s)-1], '\'') {
		return boundValue{}, false
	}
	t := parseBoundValue(s)
	return boundValue{t: t}, !t.IsZero()
}

// literal renders v as SQL: a keyword from this package's constants, or the time as a
// quoted literal in UTC with an explicit offset, which a date, timestamp or timestamptz
// partition key reads as the same value the original bound had.
func (v boundValue) literal() string {
	if v.keyword != "" {
		return v.keyword
	}
	return sqlident.QuoteLiteral(v.t.UTC().Format("2006-01-02 15:04:05.999999") + "+00")
}

// attachBounds returns the bound clause for re-attaching the archived partition,
// rebuilt from the manifest's from/to times; the manifest's bound text is only read to
// check that it says the same (a single-column time range, MINVALUE/MAXVALUE allowed),
// never put into SQL. Anything else (list or hash partitions, non-time keys) is refused:
// restore into a new table and attach it by hand after reviewing the bounds.
func attachBounds(m *Manifest) (string, error) {
	const pre, mid = "FOR VALUES FROM (", ") TO ("
	rest, ok := strings.CutPrefix(m.Bounds, pre)
	i := strings.Index(rest, mid)
	if !ok || i < 0 || !strings.HasSuffix(rest, ")") {
		return "", invalidManifest(m, "bounds", fmt.Errorf("%q is not a single-column time range (restore into a new table and attach it yourself)", m.Bounds))
	}
	from, ok1 := parseBoundSide(rest[:i])
	to, ok2 := parseBoundSide(rest[i+len(mid) : len(rest)-1])
	if !ok1 || !ok2 || from.keyword == "MAXVALUE" || to.keyword == "MINVALUE" {
		return "", invalidManifest(m, "bounds", fmt.Errorf("%q is not a single-column time range (restore into a new table and attach it yourself)", m.Bounds))
	}
	if !from.t.Equal(m.From) || !to.t.Equal(m.To) {
		return "", invalidManifest(m, "bounds", fmt.Errorf("%q does not match the manifest's from %s and to %s", m.Bounds, m.From.Format(time.RFC3339Nano), m.To.Format(time.RFC3339Nano)))
	}
	if !from.t.IsZero() && !to.t.IsZero() && !from.t.Before(to.t) {
		return "", invalidManifest(m, "bounds", fmt.Errorf("from %s is not before to %s", m.From.Format(time.RFC3339Nano), m.To.Format(time.RFC3339Nano)))
	}
	return pre + from.literal() + mid + to.literal() + ")", nil
}

// execOne runs one statement over the extended protocol, which the server refuses to
// run when the text holds more than one: a second line of defence under the checks
// above for every statement Restore builds with manifest-derived parts.
func execOne(ctx context.Context, tx pgx.Tx, sql string) error {
	_, err := tx.Conn().PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Close()
	return err
}
