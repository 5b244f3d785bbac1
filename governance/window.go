package governance

import (
	"fmt"
	"strings"
	"time"
)

// Window is an approved maintenance window (policy §3 step 5), such as
// "Sun 02:00-04:00 UTC" or "daily 01:00-02:30 Europe/Berlin". A window whose end is
// before its start runs past midnight.
type Window struct {
	Daily    bool
	Day      time.Weekday
	Start    time.Duration // since midnight
	End      time.Duration // since midnight
	Location *time.Location
	text     string
}

// String returns the text the window was parsed from.
func (w Window) String() string { return w.text }

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseWindow reads "<Day|daily> HH:MM-HH:MM [zone]"; the zone defaults to UTC.
func ParseWindow(s string) (Window, error) {
	bad := func(why string) (Window, error) {
		return Window{}, fmt.Errorf("maintenance window %q: %s (want e.g. \"Sun 02:00-04:00 UTC\" or \"daily 01:00-02:00 Europe/Berlin\")", s, why)
	}
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return bad("wrong number of parts")
	}
	w := Window{Location: time.UTC, text: s}
	day := strings.ToLower(f[0])
	if day == "daily" {
		w.Daily = true
	} else if d, ok := weekdays[day[:min(3, len(day))]]; ok {
		w.Day = d
	} else {
		return bad("unknown day " + f[0])
	}
	se := strings.Split(f[1], "-")
	if len(se) != 2 {
		return bad("the time range must be HH:MM-HH:MM")
	}
	var err error
	if w.Start, err = clock(se[0]); err != nil {
		return bad(err.Error())
	}
	if w.End, err = clock(se[1]); err != nil {
		return bad(err.Error())
	}
	if w.Start == w.End {
		return bad("the window is empty")
	}
	if len(f) == 3 {
		if w.Location, err = time.LoadLocation(f[2]); err != nil {
			return bad("unknown time zone " + f[2])
		}
	}
	return w, nil
}

func clock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// length is the window's duration.
func (w Window) length() time.Duration {
	if w.End > w.Start {
		return w.End - w.Start
	}
	return 24*time.Hour - w.Start + w.End
}

// opening returns the start of the window occurrence that begins on the calendar day of
// d (in the window's zone), and whether the window opens on that day at all.
func (w Window) opening(d time.Time) (time.Time, bool) {
	if !w.Daily && d.Weekday() != w.Day {
		return time.Time{}, false
	}
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, w.Location).Add(w.Start), true
}

// Contains reports whether t falls inside an occurrence of the window.
func (w Window) Contains(t time.Time) bool {
	lt := t.In(w.Location)
	for back := -1; back <= 0; back++ {
		if st, ok := w.opening(lt.AddDate(0, 0, back)); ok && !lt.Before(st) && lt.Before(st.Add(w.length())) {
			return true
		}
	}
	return false
}

// Next returns when the window next opens at or after t (t itself when t is inside it).
func (w Window) Next(t time.Time) time.Time {
	if w.Contains(t) {
		return t
	}
	lt := t.In(w.Location)
	for i := 0; i <= 8; i++ {
		if st, ok := w.opening(lt.AddDate(0, 0, i)); ok && !st.Before(lt) {
			return st
		}
	}
	return time.Time{}
}
