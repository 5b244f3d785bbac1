package governance

import (
	"os"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestSubMonthsClampsToMonthEnd(t *testing.T) {
	for _, c := range []struct {
		from time.Time
		n    int
		want time.Time
	}{
		{day(2026, 3, 31), 13, day(2025, 2, 28)},
		{day(2025, 3, 31), 13, day(2024, 2, 29)}, // leap year
		{day(2026, 11, 26), 13, day(2025, 10, 26)},
		{day(2026, 11, 26), 24, day(2024, 11, 26)},
		{day(2026, 1, 15), 1, day(2025, 12, 15)},
		{day(2026, 5, 31), 3, day(2026, 2, 28)},
		{day(2026, 12, 31), 0, day(2026, 12, 31)},
	} {
		if got := SubMonths(c.from, c.n); !got.Equal(c.want) {
			t.Errorf("SubMonths(%s, %d) = %s; want %s", c.from.Format("2006-01-02"), c.n, got.Format("2006-01-02"), c.want.Format("2006-01-02"))
		}
	}
	if got := AddMonths(day(2024, 1, 31), 1); !got.Equal(day(2024, 2, 29)) {
		t.Errorf("AddMonths(2024-01-31, 1) = %s", got)
	}
}

func TestKeepCutoffUsesCalendarInZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC) // already April 1st in Berlin
	utc, _ := Months(13).Cutoff(now, nil)
	if !utc.Equal(time.Date(2025, 2, 28, 23, 30, 0, 0, time.UTC)) {
		t.Errorf("UTC cutoff = %s", utc)
	}
	b, _ := Months(13).Cutoff(now, berlin)
	if want := time.Date(2025, 3, 1, 1, 30, 0, 0, berlin); !b.Equal(want) {
		t.Errorf("Berlin cutoff = %s; want %s", b, want)
	}
	if _, ok := Forever.Cutoff(now, nil); ok {
		t.Error("forever must have no cutoff")
	}
}

func TestParseKeep(t *testing.T) {
	for in, want := range map[string]Keep{"13 months": Months(13), "1 month": Months(1), "7 years": Months(84), "1 year": Months(12), "Forever": Forever} {
		got, err := ParseKeep(in)
		if err != nil || got != want {
			t.Errorf("ParseKeep(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "13", "13 weeks", "-1 months", "0 months", "8760h", "x months"} {
		if _, err := ParseKeep(bad); err == nil {
			t.Errorf("ParseKeep(%q) accepted", bad)
		}
	}
	if s := Months(24).String(); s != "24 months" {
		t.Errorf("24 months renders as %q", s)
	}
	if s := Years(7).String(); s != "7 years" {
		t.Errorf("7 years renders as %q", s)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"720h": 720 * time.Hour, "30 days": 720 * time.Hour, "30d": 720 * time.Hour, "90m": 90 * time.Minute, "1 day": 24 * time.Hour} {
		got, err := ParseDuration(in)
		if err != nil || got.Std() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "3 weeks", "xd"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestMaintenanceWindow(t *testing.T) {
	w, err := ParseWindow("Sun 02:00-04:00 UTC")
	if err != nil {
		t.Fatal(err)
	}
	sun := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC) // a Sunday
	if !w.Contains(sun) {
		t.Error("Sunday 03:00 is inside the window")
	}
	if w.Contains(sun.Add(time.Hour)) {
		t.Error("Sunday 04:00 is outside the window")
	}
	thu := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if next := w.Next(thu); !next.Equal(time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("Next(Thu) = %s", next)
	}
	night, err := ParseWindow("daily 23:00-01:00 Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	berlin := night.Location
	if !night.Contains(time.Date(2026, 11, 27, 0, 30, 0, 0, berlin)) {
		t.Error("00:30 is inside a window that runs past midnight")
	}
	for _, bad := range []string{"", "Sun", "Sun 2-4", "Sun 04:00-04:00", "Sun 02:00-04:00 Nowhere/Zone"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) accepted", bad)
		}
	}
}
