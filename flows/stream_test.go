package flows

import (
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/pcaps"
)

// TestClassifyStream: the batched read classifies what Add on every
// packet does: the same conversations with the same packet counts.
func TestClassifyStream(t *testing.T) {
	path := pcaps.Path("webserver.pcap")
	s, err := capture.Open([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := ClassifyStream(s, DefaultConfig())
	want, _, _, _ := readCapture(t, path)
	if got.Len() == 0 || got.Len() != len(want) {
		t.Fatalf("ClassifyStream: %d conversations, Add: %d", got.Len(), len(want))
	}
	i := 0
	for c := range got.Conversations() {
		w := want[i]
		if c.ID != w.ID || c.ToServer.Packets+c.ToClient.Packets != w.ToServer.Packets+w.ToClient.Packets {
			t.Errorf("#%d: %d+%d packets, want #%d %d+%d", c.ID, c.ToServer.Packets, c.ToClient.Packets, w.ID, w.ToServer.Packets, w.ToClient.Packets)
		}
		i++
	}
}
