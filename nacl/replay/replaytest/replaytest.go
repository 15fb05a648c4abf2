// Package replaytest generates synthetic traffic for the tests and
// benchmarks of nacl/replay and of the renderers built on it: many
// conversations cheaply, without a capture file.
package replaytest

import (
	"net/netip"
	"runtime"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// WebPacket fills p as packet i (0..3) of TCP conversation n: SYN,
// SYN-ACK, ACK and data back. Three conversations in four are internet
// clients of the web server 10.0.1.10:443 (allowed both ways by the web server NACL of the tests: in 22/80/443
// allowed, in 1024-65535 denied, out 22/80/443/1024-65535 allowed);
// the fourth is the server fetching from 192.0.2.80:80, whose responses
// that NACL denies inbound (a broken conversation with a fix).
func WebPacket(p *capture.Packet, n, i int) {
	client := netip.AddrFrom4([4]byte{198, 18 + byte(n>>16), byte(n >> 8), byte(n)})
	server := netip.AddrFrom4([4]byte{10, 0, 1, 10})
	cport, sport := uint16(32768+n%28000), uint16(443)
	if n%4 == 3 {
		client, server = server, netip.AddrFrom4([4]byte{192, 0, 2, 80})
		sport = 80
	}
	flags := []uint8{capture.TCPSyn, capture.TCPSyn | capture.TCPAck, capture.TCPAck, capture.TCPAck | capture.TCPPsh}[i]
	*p = capture.Packet{Frame: int64(n*4 + i + 1), Time: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(n*4+i) * time.Microsecond),
		Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP, IPLen: 60, HasPorts: true, TCPFlags: flags,
		Src: client, Dst: server, SrcPort: cport, DstPort: sport, Seq: uint32(n)}
	if i == 1 || i == 3 {
		p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
	}
}

// HeapAlloc returns the live heap after a garbage collection.
func HeapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
