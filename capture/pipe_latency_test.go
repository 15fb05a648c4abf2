package capture

import (
	"os"
	"testing"
	"time"
)

// TestPipeDeliversPromptly: from a pipe that stays open (tcpdump -U -w - |
// flowverify flows -), each record is delivered as soon as it has arrived,
// classic pcap and pcapng, plain and gzipped: neither the read-ahead (which
// fills whole chunks from a file) nor the decode-ahead (batches of packets)
// may wait for more input than the record it returns.
func TestPipeDeliversPromptly(t *testing.T) {
	frames := threeFrames()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"pcap", pcapFile(t, LinkTypeEthernet, false, false, frames)},
		{"pcapng", pcapngFile(t, []uint16{LinkTypeEthernet}, frames)},
	} {
		for _, batch := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				defer func(old *os.File) { os.Stdin = old }(os.Stdin)
				os.Stdin = r
				// Everything but the last record; the writer then waits.
				cut := len(tc.data) - (16 + len(frames[2].data))
				if tc.name == "pcapng" {
					cut = len(tc.data) - (32 + (len(frames[2].data)+3)&^3)
				}
				if _, err := w.Write(tc.data[:cut]); err != nil {
					t.Fatal(err)
				}
				s, err := Open([]string{"-"}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				got := make(chan int, 4)
				go func() {
					var p Packet
					n := 0
					for {
						if batch {
							ps, err := s.NextBatch(256)
							if err != nil {
								break
							}
							n += len(ps)
						} else if s.Next(&p) != nil {
							break
						} else {
							n++
						}
						got <- n
					}
					close(got)
				}()
				deadline := time.After(5 * time.Second)
				n := 0
				for n < 2 {
					select {
					case m, ok := <-got:
						if !ok {
							t.Fatalf("stream ended after %d packets", n)
						}
						n = m
					case <-deadline:
						t.Fatalf("batch=%v: %d of the 2 records written were delivered within 5 s while the pipe stayed open", batch, n)
					}
				}
				if _, err := w.Write(tc.data[cut:]); err != nil {
					t.Fatal(err)
				}
				w.Close()
				for m := range got {
					n = m
				}
				if n != 3 {
					t.Errorf("batch=%v: %d packets in all, want 3", batch, n)
				}
			})
		}
	}
}
