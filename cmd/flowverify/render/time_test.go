package render

import "time"

// The slow references of the fast formatters, as net/netip keeps parseIPSlow.

// rfc3339 formats t in UTC with nanoseconds when nano is true, else
// microseconds, trailing zeros kept so columns line up.
func rfc3339(t time.Time, nano bool) string {
	if t.IsZero() {
		return ""
	}
	if nano {
		return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// humanDuration prints a duration rounded for people: 0s, 1.234s, 2m03s.
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Microsecond).String()
	case d < time.Minute:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
