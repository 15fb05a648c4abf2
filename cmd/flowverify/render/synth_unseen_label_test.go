package render

import (
	"testing"
	"time"

	"github.com/flowverify/flowverify/nacl/synth"
)

// TestUnseenLabel: a file is named as given; the held-out part of the
// capture is described by its share and cut, to the millisecond in UTC.
func TestUnseenLabel(t *testing.T) {
	cut := time.Date(2026, 11, 24, 4, 19, 1, 212_345_678, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		u    synth.Unseen
		want string
	}{
		{synth.Unseen{Label: "other.pcap"}, "other.pcap"},
		{synth.Unseen{Label: "holdout", Holdout: 0.3, Cut: cut},
			"held out: the last 30% of the capture time, conversations starting at or after 2026-11-24T03:19:01.212Z"},
		{synth.Unseen{Label: "holdout", Holdout: 0.2, Cut: cut, Estimate: true},
			"rules learned from the first 80% of the capture time, replayed on the conversations starting at or after 2026-11-24T03:19:01.212Z; --holdout sets the share, --holdout off skips this"},
	} {
		if got := unseenLabel(&tc.u); got != tc.want {
			t.Errorf("unseenLabel(%+v) = %q, want %q", tc.u.Label, got, tc.want)
		}
	}
}
