package replay

import (
	"testing"
	"time"
)

func TestParseTimeBound(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		set  bool
	}{
		{"", time.Time{}, false},
		{"5m", start.Add(5 * time.Minute), true},
		{"+90s", start.Add(90 * time.Second), true},
		{"2026-01-02T03:10:00Z", time.Date(2026, 1, 2, 3, 10, 0, 0, time.UTC), true},
		{"2026-01-02T04:10:00.5+01:00", time.Date(2026, 1, 2, 3, 10, 0, 5e8, time.UTC), true},
	}
	for _, c := range cases {
		b, err := ParseTimeBound(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if b.Set != c.set || (c.set && !b.resolve(start).Equal(c.want)) {
			t.Errorf("%q: got %+v (resolves to %v), want %v", c.in, b, b.resolve(start), c.want)
		}
	}
	for _, bad := range []string{"-5m", "yesterday", "2026-13-01T00:00:00Z"} {
		if _, err := ParseTimeBound(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWindowState(t *testing.T) {
	since, _ := ParseTimeBound("10s")
	until, _ := ParseTimeBound("20s")
	w := windowState{w: Window{Since: since, Until: until}}
	t0 := time.Unix(1000, 0)
	got := []bool{w.in(t0), w.in(t0.Add(10 * time.Second)), w.in(t0.Add(20 * time.Second)), w.in(t0.Add(21 * time.Second))}
	want := []bool{false, true, true, false}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("packet %d: in window %v, want %v", i, got[i], want[i])
		}
	}
}

func FuzzParseTimeBound(f *testing.F) {
	for _, s := range []string{"5m", "+90s", "2026-01-02T03:10:00Z", "", "-1s", "1h30m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseTimeBound(s)
		if err != nil {
			return
		}
		if b.IsRel && b.Rel < 0 {
			t.Fatalf("%q: negative relative bound %v", s, b.Rel)
		}
	})
}
