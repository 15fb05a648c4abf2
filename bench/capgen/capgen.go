// Package capgen writes large, realistic synthetic captures for benchmarks:
// many concurrent TCP conversations (handshake, data both ways, FIN or RST
// close, some rejected or unanswered), UDP request/response pairs (DNS,
// NTP) and one-way UDP (syslog), ICMP echo, about a tenth over IPv6. The
// output is a classic microsecond pcap with Ethernet framing. Generation is
// deterministic for a given Config and uses constant memory.
package capgen

import (
	"bufio"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Config controls the generated capture.
type Config struct {
	// Bytes is the approximate file size to produce.
	Bytes int64
	// Concurrent is the number of conversations in progress at once.
	Concurrent int
	// Seed makes the capture reproducible.
	Seed uint64
	// Start is the timestamp of the first packet.
	Start time.Time
	// Flood, when positive, writes a SYN flood instead of the mix: Flood
	// SYNs to port 443 of 10.0.1.10, each from its own (spoofed) source
	// address and a random port, so that every packet starts a
	// conversation that is never answered. Bytes and Concurrent are ignored.
	Flood int64
}

// Stats describes what was written.
type Stats struct {
	Packets, Conversations, Bytes int64
}

type conv struct {
	proto          uint8
	v6             bool
	client, server netip.Addr
	cport, sport   uint16
	step, total    int
	kind           int // tcp: 0 normal FIN, 1 RST close, 2 rejected, 3 unanswered; udp: 0 req/resp, 1 one-way
	seqC, seqS     uint32
}

var services = []struct {
	proto uint8
	port  uint16
	w     int
}{{6, 443, 40}, {6, 80, 20}, {6, 22, 5}, {6, 5432, 5}, {17, 53, 15}, {17, 123, 5}, {17, 514, 3}, {1, 0, 2}}

// Write generates a capture into w.
func Write(w io.Writer, cfg Config) (Stats, error) {
	if cfg.Concurrent <= 0 {
		cfg.Concurrent = 2000
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := &gen{rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), bw: bw, now: cfg.Start.UnixMicro()}
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	if _, err := bw.Write(hdr); err != nil {
		return Stats{}, err
	}
	g.st.Bytes = 24
	if cfg.Flood > 0 {
		return g.flood(cfg.Flood)
	}
	active := make([]*conv, cfg.Concurrent)
	for i := range active {
		active[i] = g.newConv()
	}
	for g.st.Bytes < cfg.Bytes {
		i := g.rng.IntN(len(active))
		c := active[i]
		if err := g.emit(c); err != nil {
			return g.st, err
		}
		c.step++
		if c.step >= c.total {
			active[i] = g.newConv()
		}
	}
	return g.st, bw.Flush()
}

// flood writes n SYNs, each one a conversation of its own.
func (g *gen) flood(n int64) (Stats, error) {
	c := &conv{proto: 6, kind: 3, total: 1, sport: 443, server: netip.AddrFrom4([4]byte{10, 0, 1, 10})}
	for i := range n {
		a := 0xc6336400 + uint32(i) // from 198.51.100.0 on: distinct sources
		c.client = netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
		c.cport = uint16(1024 + g.rng.IntN(64512))
		c.seqC = g.rng.Uint32()
		c.step = 0
		g.st.Conversations++
		if err := g.emit(c); err != nil {
			return g.st, err
		}
	}
	return g.st, g.bw.Flush()
}

type gen struct {
	rng *rand.Rand
	bw  *bufio.Writer
	now int64
	st  Stats
	buf [1600]byte
	ip  uint32
}

func (g *gen) newConv() *conv {
	g.st.Conversations++
	total := 0
	for _, s := range services {
		total += s.w
	}
	r := g.rng.IntN(total)
	var proto uint8
	var port uint16
	for _, s := range services {
		if r < s.w {
			proto, port = s.proto, s.port
			break
		}
		r -= s.w
	}
	c := &conv{proto: proto, sport: port, v6: g.rng.IntN(10) == 0}
	c.server, c.client = g.addrs(c.v6)
	c.cport = uint16(32768 + g.rng.IntN(28232))
	if g.rng.IntN(4) == 0 {
		c.cport = uint16(49152 + g.rng.IntN(16384))
	}
	c.seqC, c.seqS = g.rng.Uint32(), g.rng.Uint32()
	switch proto {
	case 6:
		switch k := g.rng.IntN(100); {
		case k < 80:
			c.kind = 0
		case k < 90:
			c.kind = 1
		case k < 96:
			c.kind = 2
		default:
			c.kind = 3
		}
		switch c.kind {
		case 0:
			c.total = 3 + 2*(2+g.rng.IntN(20)) + 4
		case 1:
			c.total = 3 + 2*(1+g.rng.IntN(10)) + 1
		case 2:
			c.total = 2
		case 3:
			c.total = 1 + g.rng.IntN(3)
		}
	case 17:
		if port == 514 {
			c.kind, c.total = 1, 1+g.rng.IntN(5)
		} else {
			c.total = 2 * (1 + g.rng.IntN(2))
		}
	default:
		c.total = 2 * (1 + g.rng.IntN(4))
		c.cport = uint16(g.rng.IntN(65536)) // echo identifier
	}
	return c
}

func (g *gen) addrs(v6 bool) (server, client netip.Addr) {
	s := g.rng.IntN(16)
	cl := g.rng.Uint32N(200000)
	if v6 {
		sb := [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 1, 15: byte(10 + s)}
		cb := [16]byte{0x20, 0x01, 0x0d, 0xb8, 0xbe, 0xef, 12: byte(cl >> 24), 13: byte(cl >> 16), 14: byte(cl >> 8), 15: byte(cl)}
		return netip.AddrFrom16(sb), netip.AddrFrom16(cb)
	}
	c := 0xc6336400 + cl*7 // spread over many /16s from 198.51.100.0
	return netip.AddrFrom4([4]byte{10, 0, 1, byte(10 + s)}), netip.AddrFrom4([4]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
}

// emit writes packet number c.step of conversation c.
func (g *gen) emit(c *conv) error {
	g.now += int64(1 + g.rng.IntN(40))
	var fromClient bool
	var flags uint8
	payload := 0
	switch c.proto {
	case 6:
		fromClient, flags, payload = c.tcpStep(g)
	case 17:
		fromClient = c.kind == 1 || c.step%2 == 0
		payload = 40 + g.rng.IntN(200)
	default:
		fromClient = c.step%2 == 0
		payload = 56
	}
	src, dst, sp, dp := c.client, c.server, c.cport, c.sport
	if !fromClient {
		src, dst, sp, dp = c.server, c.client, c.sport, c.cport
	}
	n := g.build(c, src, dst, sp, dp, flags, payload, fromClient)
	var rec [16]byte
	binary.LittleEndian.PutUint32(rec[0:], uint32(g.now/1e6))
	binary.LittleEndian.PutUint32(rec[4:], uint32(g.now%1e6))
	binary.LittleEndian.PutUint32(rec[8:], uint32(n))
	binary.LittleEndian.PutUint32(rec[12:], uint32(n))
	if _, err := g.bw.Write(rec[:]); err != nil {
		return err
	}
	if _, err := g.bw.Write(g.buf[:n]); err != nil {
		return err
	}
	g.st.Packets++
	g.st.Bytes += int64(16 + n)
	return nil
}

// tcpStep returns direction, flags and payload size of the current step.
func (c *conv) tcpStep(g *gen) (fromClient bool, flags uint8, payload int) {
	const fin, syn, rst, psh, ack = 0x01, 0x02, 0x04, 0x08, 0x10
	switch c.kind {
	case 3: // unanswered SYNs (retransmissions)
		return true, syn, 0
	case 2: // rejected
		if c.step == 0 {
			return true, syn, 0
		}
		return false, rst | ack, 0
	}
	switch {
	case c.step == 0:
		return true, syn, 0
	case c.step == 1:
		return false, syn | ack, 0
	case c.step == 2:
		return true, ack, 0
	}
	if c.kind == 1 && c.step == c.total-1 {
		return g.rng.IntN(2) == 0, rst | ack, 0
	}
	if c.kind == 0 && c.step >= c.total-4 {
		switch c.total - c.step {
		case 4:
			return true, fin | ack, 0
		case 3:
			return false, ack, 0
		case 2:
			return false, fin | ack, 0
		default:
			return true, ack, 0
		}
	}
	if c.step%2 == 1 {
		return true, psh | ack, 100 + g.rng.IntN(400)
	}
	return false, psh | ack, 200 + g.rng.IntN(1248)
}

// build writes Ethernet + IP + L4 headers and a zero payload into g.buf.
func (g *gen) build(c *conv, src, dst netip.Addr, sp, dp uint16, flags uint8, payload int, fromClient bool) int {
	b := g.buf[:]
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	l4 := 8
	proto := c.proto
	switch proto {
	case 6:
		l4 = 20
	case 1:
		if c.v6 {
			proto = 58
		}
	}
	var off int
	if c.v6 {
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		ip := b[14:54]
		clear(ip)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(l4+payload))
		ip[6] = proto
		ip[7] = 64
		s, d := src.As16(), dst.As16()
		copy(ip[8:24], s[:])
		copy(ip[24:40], d[:])
		off = 54
	} else {
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		ip := b[14:34]
		clear(ip)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+l4+payload))
		g.ip++
		binary.BigEndian.PutUint16(ip[4:], uint16(g.ip))
		ip[6] = 0x40
		ip[8] = 64
		ip[9] = proto
		s, d := src.As4(), dst.As4()
		copy(ip[12:16], s[:])
		copy(ip[16:20], d[:])
		off = 34
	}
	h := b[off : off+l4]
	clear(h)
	switch c.proto {
	case 6:
		binary.BigEndian.PutUint16(h[0:], sp)
		binary.BigEndian.PutUint16(h[2:], dp)
		seq, ack := &c.seqC, c.seqS
		if !fromClient {
			seq, ack = &c.seqS, c.seqC
		}
		binary.BigEndian.PutUint32(h[4:], *seq)
		if flags&0x10 != 0 {
			binary.BigEndian.PutUint32(h[8:], ack)
		}
		*seq += uint32(payload)
		if flags&0x03 != 0 && c.kind != 3 { // retransmitted SYNs keep their sequence number
			*seq++
		}
		h[12] = 5 << 4
		h[13] = flags
		binary.BigEndian.PutUint16(h[14:], 65535)
	case 17:
		binary.BigEndian.PutUint16(h[0:], sp)
		binary.BigEndian.PutUint16(h[2:], dp)
		binary.BigEndian.PutUint16(h[4:], uint16(8+payload))
	default:
		typ := byte(8) // echo request
		if c.v6 {
			typ = 128
		}
		if !fromClient {
			typ = 0
			if c.v6 {
				typ = 129
			}
		}
		h[0] = typ
		binary.BigEndian.PutUint16(h[4:], c.cport)
		binary.BigEndian.PutUint16(h[6:], uint16(c.step/2))
	}
	end := off + l4 + payload
	clear(b[off+l4 : end])
	return end
}
