package governance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes Go duration text ("720h",
// "30m") and also whole days ("30 days", "30d"), as policy files are written by people.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String renders d as Go duration text.
func (d Duration) String() string { return time.Duration(d).String() }

// ParseDuration reads Go duration text or a whole number of days.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	f := strings.Fields(strings.ToLower(t))
	if len(f) == 2 && (f[1] == "day" || f[1] == "days") || len(f) == 1 && strings.HasSuffix(f[0], "d") && !strings.ContainsAny(strings.TrimSuffix(f[0], "d"), "hmsuµn") {
		num := strings.TrimSuffix(f[0], "d")
		n, err := strconv.Atoi(num)
		if err != nil {
			return 0, fmt.Errorf("governance: duration %q: want Go duration text such as \"720h\" or whole days such as \"30 days\"", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	v, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("governance: duration %q: want Go duration text such as \"720h\" or whole days such as \"30 days\"", s)
	}
	return Duration(v), nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
