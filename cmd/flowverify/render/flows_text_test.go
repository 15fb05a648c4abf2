package render

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
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

// TestMeasureTextParallel: the parallel first pass of the text table
// measures what the serial one does (enough conversations for 2 workers).
func TestMeasureTextParallel(t *testing.T) {
	tb := flows.NewTable(flows.Config{})
	t0 := time.Unix(1700000000, 0)
	rng := rand.New(rand.NewPCG(13, 14))
	for i := 0; i < 30000; i++ {
		p := &capture.Packet{Frame: int64(i + 1), Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: capture.KindIP, Version: 4,
			Proto: capture.ProtoUDP, HasPorts: true, IPLen: 60 + rng.IntN(1000),
			Src: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Dst: netip.AddrFrom4([4]byte{192, 0, 2, byte(rng.IntN(3))}),
			SrcPort: uint16(1024 + rng.IntN(60000)), DstPort: uint16(rng.IntN(2000))}
		if i%1000 == 999 {
			p.Src = netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:1")
			p.Dst = netip.MustParseAddr("2001:db8::2")
		}
		tb.Add(p)
	}
	r := &Flows{convs: tb.Classify()}
	header := make([]int, 13)
	serial := append([]int(nil), header...)
	var row cellRow
	r.convs.Each(func(c *flows.Conversation) error {
		for i, cell := range row.conversation(c) {
			serial[i] = max(serial[i], runeCount(cell))
		}
		return nil
	})
	parallel := append([]int(nil), header...)
	r.measureText(parallel)
	if !slices.Equal(serial, parallel) {
		t.Errorf("parallel widths %v, serial %v", parallel, serial)
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
