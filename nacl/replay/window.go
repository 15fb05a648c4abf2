package replay

import (
	"fmt"
	"strings"
	"time"
)

// TimeBound is one end of a time window: an absolute time, or a duration
// relative to the capture start (the first packet's time).
type TimeBound struct {
	// Set is false for an open end.
	Set bool
	Abs time.Time
	// Rel is used when IsRel is true.
	Rel   time.Duration
	IsRel bool
}

// ParseTimeBound parses an RFC 3339 time (fractional seconds allowed) or a
// Go duration relative to the capture start ("5m", "+90s", "1h30m").
// The empty string is an open end.
func ParseTimeBound(s string) (TimeBound, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return TimeBound{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return TimeBound{Set: true, Abs: t.UTC()}, nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil || strings.HasPrefix(s, "-") {
		return TimeBound{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-01-02T15:04:05Z) nor a non-negative duration after the capture start (5m, +90s)", s)
	}
	return TimeBound{Set: true, Rel: d, IsRel: true}, nil
}

// resolve returns the absolute time given the capture start.
func (b TimeBound) resolve(start time.Time) time.Time {
	if b.IsRel {
		return start.Add(b.Rel)
	}
	return b.Abs
}

// String returns the bound as given ("" when open).
func (b TimeBound) String() string {
	switch {
	case !b.Set:
		return ""
	case b.IsRel:
		return "+" + b.Rel.String()
	}
	return b.Abs.Format(time.RFC3339Nano)
}

// Window restricts judging to packets with Since <= time <= Until.
// Packets outside still enter the conversation table, so conversation IDs
// and client/server roles are those of the whole capture.
type Window struct {
	Since, Until TimeBound
}

// windowState is a Window resolved against the capture start.
type windowState struct {
	w            Window
	resolved     bool
	since, until time.Time
}

// in reports whether t is inside the window, resolving relative bounds
// at the first call (the capture start).
func (s *windowState) in(t time.Time) bool {
	if !s.resolved {
		s.resolved = true
		s.since = s.w.Since.resolve(t)
		s.until = s.w.Until.resolve(t)
	}
	if s.w.Since.Set && t.Before(s.since) {
		return false
	}
	if s.w.Until.Set && t.After(s.until) {
		return false
	}
	return true
}
