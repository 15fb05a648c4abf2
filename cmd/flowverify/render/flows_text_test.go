package render

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/pcaps"
)

// TestStreamTableWriteBytes checks that writeBytes prints what write prints.
func TestStreamTableWriteBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	words := []string{"", "a", "tcp", "10.0.0.1:443", "[2001:db8::1]:53", "500µs", "é", "rejected", "low", "x y", "trailing "}
	for round := 0; round < 200; round++ {
		ncol := 1 + rng.IntN(6)
		headers := make([]string, ncol)
		for i := range headers {
			headers[i] = strings.ToUpper(words[rng.IntN(len(words))])
		}
		rows := make([][]string, rng.IntN(20))
		for i := range rows {
			rows[i] = make([]string, ncol+rng.IntN(2)-rng.IntN(2))
			for j := range rows[i] {
				rows[i][j] = words[rng.IntN(len(words))]
			}
		}
		for _, colour := range []bool{false, true} {
			tb := newStreamTable(headers...).alignRight(rng.IntN(ncol), rng.IntN(ncol))
			tb.colour = func(row, col int, cell string) string {
				if cell == "rejected" || (cell == "low" && row%2 == 0) {
					return ansiYellow
				}
				return ""
			}
			var want, got bytes.Buffer
			if err := tb.write(&want, colour, func(emit func(cells ...string) error) error {
				for _, r := range rows {
					if err := emit(r...); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if err := tb.writeBytes(&got, colour, func(emit func(cells [][]byte) error) error {
				for _, r := range rows {
					cells := make([][]byte, len(r))
					for i, c := range r {
						cells[i] = []byte(c)
					}
					if err := emit(cells); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("round %d colour %v: got\n%q\nwant\n%q", round, colour, got.String(), want.String())
			}
		}
	}
}

func TestAppendEndpointText(t *testing.T) {
	addrs := []netip.Addr{{}, netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("fe80::1%eth0")}
	for _, proto := range []uint8{capture.ProtoTCP, capture.ProtoUDP, capture.ProtoICMP, capture.ProtoICMPv6, 47} {
		for _, ev := range []flows.Evidence{flows.EvidenceICMPEcho, flows.EvidenceFirstPacket} {
			for _, a := range addrs {
				for _, b := range addrs {
					c := &flows.Conversation{Proto: proto, Evidence: ev, EchoID: 77,
						Client: flows.Endpoint{Addr: a, Port: 40000}, Server: flows.Endpoint{Addr: b, Port: 443}}
					for _, e := range []flows.Endpoint{c.Client, c.Server} {
						if got, want := string(appendEndpointText(nil, c, e)), endpointText(c, e); got != want {
							t.Errorf("%d %s %v: got %q want %q", proto, ev, e, got, want)
						}
					}
				}
			}
		}
	}
}

// The flows table prints endpoints without allocating (its rows are
// generated twice over millions of conversations).
func TestAppendEndpointTextAllocs(t *testing.T) {
	c := &flows.Conversation{Proto: capture.ProtoICMP, Evidence: flows.EvidenceICMPEcho, EchoID: 77,
		Client: flows.Endpoint{Addr: netip.MustParseAddr("2001:db8::1")}, Server: flows.Endpoint{Addr: netip.MustParseAddr("10.1.2.3")}}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = appendEndpointText(buf[:0], c, c.Client) }); n != 0 {
		t.Errorf("appendEndpointText allocates %.0f times", n)
	}
	c.Proto = capture.ProtoTCP
	if n := testing.AllocsPerRun(100, func() { buf = appendEndpointText(buf[:0], c, c.Server) }); n != 0 {
		t.Errorf("appendEndpointText allocates %.0f times with ports", n)
	}
}

func TestAppendHumanDuration(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ds := []time.Duration{-1, 0, 1, 999, time.Microsecond, 1500 * time.Microsecond, time.Second - 1, time.Second, time.Minute - 1, time.Minute, 90 * time.Minute, 1<<63 - 1, -1 << 63}
	for i := 0; i < 10000; i++ {
		ds = append(ds, time.Duration(rng.Int64N(int64(1)<<(1+rng.IntN(62)))))
	}
	for _, d := range ds {
		if got, want := string(appendHumanDuration(nil, d)), humanDuration(d); got != want {
			t.Fatalf("%d: got %q want %q", d, got, want)
		}
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = appendHumanDuration(buf[:0], 1234567*time.Microsecond) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// TestFlowsSpoolToFile: text and JSON reports whose rows moved from
// memory to the spool's temporary file print exactly what they print
// from memory.
func TestFlowsSpoolToFile(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(pcaps.Dir(), "*.pcap"))
	if len(paths) == 0 {
		t.Fatal("no bundled captures")
	}
	report := func(format string) string {
		s, err := capture.Open(paths, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var out bytes.Buffer
		r := NewFlows(s, &out, format, false)
		sum := flows.StreamConversations(s, flows.Config{}, func(c *flows.Conversation) { r.Add(c) })
		if err := r.Close(sum); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	defer func(m int) { spoolMemory = m }(spoolMemory)
	for _, format := range []string{"text", "json"} {
		spoolMemory = 32 << 20
		mem := report(format)
		spoolMemory = 100
		file := report(format)
		if mem != file {
			t.Errorf("%s: the report spooled to a file differs from the one spooled in memory", format)
		}
		if n := strings.Count(mem, "\n"); n < 50 {
			t.Errorf("%s: %d lines, want the bundled captures' conversations", format, n)
		}
	}
}

// endpointText prints addr:port ([v6]:port) or the address alone for
// protocols without ports (with the echo id for ICMP echo).
func endpointText(c *flows.Conversation, e flows.Endpoint) string {
	if c.HasPorts() {
		return netip.AddrPortFrom(e.Addr, e.Port).String()
	}
	if c.Evidence == flows.EvidenceICMPEcho && e == c.Client {
		return fmt.Sprintf("%s id=%d", e.Addr, c.EchoID)
	}
	return e.Addr.String()
}
