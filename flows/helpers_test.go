package flows

import (
	"net/netip"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// t0 is the time of the first synthetic packet.
var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// seq builds a synthetic packet sequence, numbering frames from 1.
type seq struct {
	pkts  []*capture.Packet
	frame int64
}

// ap parses "addr:port" or a bare address.
func ap(s string) (netip.Addr, uint16) {
	if p, err := netip.ParseAddrPort(s); err == nil {
		return p.Addr(), p.Port()
	}
	return netip.MustParseAddr(s), 0
}

// ip appends a generic IP packet at offset at from src to dst.
func (q *seq) ip(at time.Duration, proto uint8, src, dst string) *capture.Packet {
	q.frame++
	s, sp := ap(src)
	d, dp := ap(dst)
	v := uint8(4)
	if s.Is6() {
		v = 6
	}
	p := &capture.Packet{File: 0, Frame: q.frame, Time: t0.Add(at), Kind: capture.KindIP, Version: v,
		Src: s, Dst: d, Proto: proto, IPLen: 60, SrcPort: sp, DstPort: dp}
	q.pkts = append(q.pkts, p)
	return p
}

// tcp appends a TCP segment with flags (e.g. capture.TCPSyn).
func (q *seq) tcp(at time.Duration, src, dst string, flags uint8) *capture.Packet {
	p := q.ip(at, capture.ProtoTCP, src, dst)
	p.HasPorts, p.TCPFlags = true, flags
	return p
}

// data appends a TCP ACK|PSH segment with payload.
func (q *seq) data(at time.Duration, src, dst string, n int) *capture.Packet {
	p := q.tcp(at, src, dst, capture.TCPAck|capture.TCPPsh)
	p.PayloadLen, p.IPLen = n, 40+n
	return p
}

// udp appends a UDP datagram.
func (q *seq) udp(at time.Duration, src, dst string) *capture.Packet {
	p := q.ip(at, capture.ProtoUDP, src, dst)
	p.HasPorts = true
	return p
}

// icmp appends an ICMP (or ICMPv6 for IPv6 addresses) message.
func (q *seq) icmp(at time.Duration, src, dst string, typ uint8, id uint16) *capture.Packet {
	proto := capture.ProtoICMP
	if s, _ := ap(src); s.Is6() {
		proto = capture.ProtoICMPv6
	}
	p := q.ip(at, proto, src, dst)
	p.HasICMP, p.ICMPType, p.ICMPID = true, typ, id
	return p
}

// icmpErr appends an ICMP error from src to dst quoting a packet
// qsrc->qdst of protocol qproto.
func (q *seq) icmpErr(at time.Duration, src, dst string, typ uint8, qproto uint8, qsrc, qdst string) *capture.Packet {
	p := q.icmp(at, src, dst, typ, 0)
	qs, qsp := ap(qsrc)
	qd, qdp := ap(qdst)
	p.Quote = capture.Quote{Valid: true, Src: qs, Dst: qd, Proto: qproto, HasPorts: true, SrcPort: qsp, DstPort: qdp}
	return p
}

// run feeds the packets to a new table and returns the refs, conversations and summary.
func (q *seq) run(t *testing.T, cfg Config) ([]Ref, []*Conversation, Summary) {
	t.Helper()
	tb := NewTable(cfg)
	refs := make([]Ref, len(q.pkts))
	for i, p := range q.pkts {
		refs[i] = tb.Add(p)
	}
	convs, sum := tb.Finish()
	return refs, convs, sum
}

// want describes the expected facts of one conversation ("" / 0 = don't check).
type want struct {
	client, server string
	state          State
	ev             Evidence
	conf           Confidence
	toS, toC       int
}

// check compares conversations with expectations, in ID order.
func check(t *testing.T, convs []*Conversation, ws []want) {
	t.Helper()
	if len(convs) != len(ws) {
		for _, c := range convs {
			t.Logf("got %d: %s -> %s %s %s %s %d/%d", c.ID, epString(c.Client), epString(c.Server), c.State, c.Evidence, c.Confidence, c.ToServer.Packets, c.ToClient.Packets)
		}
		t.Fatalf("got %d conversations, want %d", len(convs), len(ws))
	}
	for i, w := range ws {
		c := convs[i]
		if c.ID != i+1 {
			t.Errorf("conversation %d has ID %d", i+1, c.ID)
		}
		if w.client != "" && epString(c.Client) != w.client {
			t.Errorf("conv %d: client %s, want %s", c.ID, epString(c.Client), w.client)
		}
		if w.server != "" && epString(c.Server) != w.server {
			t.Errorf("conv %d: server %s, want %s", c.ID, epString(c.Server), w.server)
		}
		if w.state != "" && c.State != w.state {
			t.Errorf("conv %d: state %s, want %s", c.ID, c.State, w.state)
		}
		if w.ev != "" && c.Evidence != w.ev {
			t.Errorf("conv %d: evidence %s, want %s", c.ID, c.Evidence, w.ev)
		}
		if w.conf != "" && c.Confidence != w.conf {
			t.Errorf("conv %d: confidence %s, want %s", c.ID, c.Confidence, w.conf)
		}
		if w.toS+w.toC > 0 && (int(c.ToServer.Packets) != w.toS || int(c.ToClient.Packets) != w.toC) {
			t.Errorf("conv %d: packets %d/%d, want %d/%d", c.ID, c.ToServer.Packets, c.ToClient.Packets, w.toS, w.toC)
		}
	}
}

// epString prints an endpoint as addr:port, or the bare address without a port.
func epString(e Endpoint) string {
	if e.Port == 0 {
		return e.Addr.String()
	}
	return netip.AddrPortFrom(e.Addr, e.Port).String()
}
