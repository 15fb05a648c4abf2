package capture

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// TestClassicPcapBadTimestampFraction: a record whose microsecond (or
// nanosecond) field is a second or more is reported as a problem of its
// frame at its offset, the packet is kept at its whole second, and the
// records after it read normally (before, time.Unix silently carried the
// excess into the seconds).
func TestClassicPcapBadTimestampFraction(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		for _, nano := range []bool{false, true} {
			file := pcapFile(t, LinkTypeEthernet, nano, false, threeFrames())
			bad := uint32(1_500_000)
			if nano {
				bad = 4_000_000_000
			}
			// Frame 2's record header starts after the file header and frame 1.
			off := 24 + 16 + len(threeFrames()[0].data)
			binary.LittleEndian.PutUint32(file[off+4:], bad)
			ps, s := readAll(t, Options{}, file)
			if len(ps) != 3 {
				t.Fatalf("nano %v: %d packets, want 3", nano, len(ps))
			}
			if want := t0.Unix(); ps[1].Time.Unix() != want || ps[1].Time.Nanosecond() != 0 {
				t.Errorf("nano %v: frame 2 at %v, want the whole second %d", nano, ps[1].Time, want)
			}
			if !ps[2].Time.Equal(threeFrames()[2].ts.Truncate(usOrNs(nano))) {
				t.Errorf("nano %v: frame 3 at %v", nano, ps[2].Time)
			}
			probs := s.Problems()
			if len(probs) != 1 || probs[0].Frame != 2 || probs[0].Offset != int64(off) || probs[0].Fatal ||
				!strings.Contains(probs[0].Reason, "timestamp out of range") || !s.Complete() {
				t.Errorf("nano %v: problems %+v, complete %v; want one non-fatal problem of frame 2 at offset %d", nano, probs, s.Complete(), off)
			}
		}
	})
}

// TestClassicPcapBadTimestampsBounded: a file whose every record has a
// bad fraction lists a bounded number of problems, the last saying so.
func TestClassicPcapBadTimestampsBounded(t *testing.T) {
	var frames []frame
	for range 50 {
		frames = append(frames, threeFrames()[0])
	}
	file := pcapFile(t, LinkTypeEthernet, false, false, frames)
	rec := 16 + len(frames[0].data)
	for i := range frames {
		binary.LittleEndian.PutUint32(file[24+i*rec+4:], 2_000_000)
	}
	ps, s := readAll(t, Options{}, file)
	probs := s.Problems()
	if len(ps) != 50 || len(probs) != maxTimeWarnings || !strings.Contains(probs[len(probs)-1].Reason, "not listed") {
		t.Errorf("%d packets, %d problems (last %+v); want 50 and %d", len(ps), len(probs), probs[len(probs)-1], maxTimeWarnings)
	}
}

// usOrNs is the resolution of a classic pcap file.
func usOrNs(nano bool) time.Duration {
	if nano {
		return time.Nanosecond
	}
	return time.Microsecond
}
