package governance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keep is a retention period in calendar months, or forever. "13 months", "24 months",
// "7 years" and "forever" are its text forms; a year is twelve calendar months, never a
// number of hours.
type Keep struct {
	Months  int
	Forever bool
}

// Months returns a Keep of n calendar months.
func Months(n int) Keep { return Keep{Months: n} }

// Years returns a Keep of n calendar years.
func Years(n int) Keep { return Keep{Months: 12 * n} }

// Forever is a Keep that never expires.
var Forever = Keep{Forever: true}

// IsZero reports whether k was never set.
func (k Keep) IsZero() bool { return k.Months == 0 && !k.Forever }

// Less reports whether k keeps data for a shorter time than o.
func (k Keep) Less(o Keep) bool {
	switch {
	case k.Forever:
		return false
	case o.Forever:
		return true
	}
	return k.Months < o.Months
}

// String renders k in the form ParseKeep reads ("13 months", "24 months", "7 years", "forever").
func (k Keep) String() string {
	switch {
	case k.Forever:
		return "forever"
	case k.Months%12 == 0 && k.Months >= 36:
		// Short spans read as months, as the policy writes them ("24 months").
		return fmt.Sprintf("%d years", k.Months/12)
	case k.Months == 1:
		return "1 month"
	}
	return fmt.Sprintf("%d months", k.Months)
}

// ParseKeep reads "N month(s)", "N year(s)" or "forever".
func ParseKeep(s string) (Keep, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "forever" {
		return Forever, nil
	}
	f := strings.Fields(t)
	if len(f) != 2 {
		return Keep{}, fmt.Errorf("governance: retention keep %q: want \"N months\", \"N years\" or \"forever\"", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return Keep{}, fmt.Errorf("governance: retention keep %q: the count must be a whole number above zero", s)
	}
	switch f[1] {
	case "month", "months":
		return Keep{Months: n}, nil
	case "year", "years":
		return Keep{Months: 12 * n}, nil
	}
	return Keep{}, fmt.Errorf("governance: retention keep %q: unit must be months or years (calendar periods, not hours)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (k Keep) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Keep) UnmarshalText(b []byte) error {
	v, err := ParseKeep(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Cutoff returns the instant before which data kept for k may leave hot storage: now
// minus k in calendar months, computed in loc (UTC when nil), clamped to the month end.
// For Forever it returns the zero time and false.
func (k Keep) Cutoff(now time.Time, loc *time.Location) (time.Time, bool) {
	if k.Forever {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	return SubMonths(now.In(loc), k.Months), true
}

// SubMonths subtracts n calendar months from t, keeping the wall clock and location,
// and clamps the day to the last day of the target month: 13 months before 2026-03-31
// is 2025-02-28, not 2025-03-03 as time.AddDate would give.
func SubMonths(t time.Time, n int) time.Time { return AddMonths(t, -n) }

// AddMonths adds n calendar months to t with the same month-end clamping as SubMonths.
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	total := int(m) - 1 + n
	y += total / 12
	total %= 12
	if total < 0 {
		total += 12
		y--
	}
	month := time.Month(total + 1)
	if last := daysIn(y, month, t.Location()); d > last {
		d = last
	}
	return time.Date(y, month, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

func daysIn(y int, m time.Month, loc *time.Location) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, loc).Day()
}
