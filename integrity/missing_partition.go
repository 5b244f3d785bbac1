package integrity

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// MissingPartition reports a table range-partitioned on one date or timestamp column
// with no partition covering the current or the next calendar month (in the policy's
// time zone) and no default partition: inserts for that month would fail. The clock is
// MissingPartition.Now, else Env.Now. Default severity: error.
type MissingPartition struct {
	// Now overrides Env.Now for this check.
	Now func() time.Time
}

// Name returns "missing-partition".
func (MissingPartition) Name() string { return governance.CheckMissingPartition }

// Code returns IN110.
func (MissingPartition) Code() string { return CodeMissingPartition }

// Run checks every selected partitioned table.
func (c MissingPartition) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if c.Now != nil {
		now = c.Now
	}
	loc := p.Location()
	t0 := now().In(loc)
	var out governance.Findings
	for _, t := range env.checkedTables(cat) {
		if !t.Partitioned || t.PartStrategy != "r" || len(t.PartKey) != 1 {
			continue
		}
		col := t.Column(t.PartKey[0])
		if col == nil {
			continue
		}
		var zone *time.Location
		switch {
		case col.Type == "date" || strings.HasPrefix(col.Type, "timestamp") && strings.HasSuffix(col.Type, "without time zone"):
			zone = time.UTC // bounds are zone-less calendar values
		case strings.HasPrefix(col.Type, "timestamp"):
			zone = loc
		default:
			continue // not a time key: monthly coverage does not apply
		}
		ranges, hasDefault := partitionRanges(t, zone)
		if hasDefault {
			continue
		}
		for i := range 2 {
			m := time.Date(t0.Year(), t0.Month()+time.Month(i), 1, 0, 0, 0, 0, zone)
			end := m.AddDate(0, 1, 0)
			if covered(ranges, m, end) {
				continue
			}
			which := "current"
			if i == 1 {
				which = "next"
			}
			out = append(out, finding(p, c.Name(), c.Code(), governance.SeverityError, t.Name.String(), fmt.Sprintf(
				"no partition of %s covers the %s month %s and there is no default partition, so its rows cannot be inserted; CREATE TABLE … PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')",
				t.Name, which, m.Format("2006-01"), t.Name.Quoted(), m.Format("2006-01-02"), end.Format("2006-01-02")), 0))
		}
	}
	return out, nil
}

type timeRange struct{ from, to time.Time }

var (
	rangeBound = regexp.MustCompile(`^FOR VALUES FROM \((.+)\) TO \((.+)\)$`)
	farPast    = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture  = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// partitionRanges parses the bounds of t's partitions; values are read in zone when
// they carry no offset.
func partitionRanges(t *Table, zone *time.Location) ([]timeRange, bool) {
	var out []timeRange
	for _, part := range t.Partitions {
		if part.Bound == "DEFAULT" {
			return nil, true
		}
		m := rangeBound.FindStringSubmatch(part.Bound)
		if m == nil {
			continue
		}
		from, ok1 := parseBound(m[1], zone, farPast)
		to, ok2 := parseBound(m[2], zone, farFuture)
		if ok1 && ok2 {
			out = append(out, timeRange{from, to})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from.Before(out[j].from) })
	return out, false
}

func parseBound(v string, zone *time.Location, inf time.Time) (time.Time, bool) {
	switch v {
	case "MINVALUE", "MAXVALUE":
		return inf, true
	}
	lit, ok := strings.CutPrefix(v, "'")
	if !ok {
		return time.Time{}, false
	}
	lit = strings.TrimSuffix(lit, "'")
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999", "2006-01-02"} {
		if tm, err := time.ParseInLocation(layout, lit, zone); err == nil {
			return tm, true
		}
	}
	return time.Time{}, false
}

// covered reports whether the union of sorted ranges covers [from, to).
func covered(ranges []timeRange, from, to time.Time) bool {
	cur := from
	for _, r := range ranges {
		if r.from.After(cur) {
			break
		}
		if r.to.After(cur) {
			cur = r.to
		}
		if !cur.Before(to) {
			return true
		}
	}
	return !cur.Before(to)
}
