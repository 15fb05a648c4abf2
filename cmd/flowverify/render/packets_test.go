package render

import (
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// appendTime appends the packet's time with its file's precision, without allocating.
func (o *Options) appendTime(b []byte, p *capture.Packet) []byte {
	if o.fileNano(p.File) {
		return p.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
	}
	return p.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
}

// TestPacketWriterTimeCache checks that the cached seconds of
// PacketWriter.appendTime format exactly like Options.appendTime and AppendTime.
func TestPacketWriterTimeCache(t *testing.T) {
	o := &Options{FileNano: []bool{false, true}}
	w := NewPacketWriter(o)
	base := time.Date(2026, 5, 1, 12, 0, 59, 999_999_999, time.FixedZone("x", 3600))
	for i, d := range []time.Duration{0, time.Nanosecond, time.Microsecond, 999 * time.Millisecond, time.Second, -time.Hour, 0, 24 * time.Hour * 365 * 200} {
		for file := range 2 {
			p := &capture.Packet{File: file, Time: base.Add(d)}
			got, want := string(w.appendTime(nil, p)), string(o.appendTime(nil, p))
			if got != want {
				t.Errorf("case %d file %d: %s, want %s", i, file, got, want)
			}
			if fast := string(AppendTime(nil, p.Time, file == 1)); fast != want {
				t.Errorf("case %d file %d: AppendTime %s, want %s", i, file, fast, want)
			}
		}
	}
}
