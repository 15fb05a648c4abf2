package flows

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// fuzzAddrs, fuzzPorts, fuzzDeltas and fuzzTypes are the small alphabets
// fuzzPackets draws from, so that random bytes meet the same conversations
// often.
var (
	fuzzAddrs  = []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:10.0.0.1")}
	fuzzPorts  = []uint16{22, 53, 123, 8053, 40000, 40001, 50000, 4500}
	fuzzDeltas = []time.Duration{0, time.Millisecond, time.Second, 6 * time.Second, 61 * time.Second, 6 * time.Minute, -time.Second, 1 << 62}
	fuzzTypes  = []uint8{0, 8, 3, 11, 128, 129, 1, 134}
	fuzzProtos = []uint8{capture.ProtoTCP, capture.ProtoUDP, capture.ProtoICMP, capture.ProtoICMPv6, 47, capture.ProtoTCP, capture.ProtoTCP, 50}
)

// fuzzPackets decodes data, 12 bytes per packet, into capture packets.
func fuzzPackets(data []byte) []*capture.Packet {
	var out []*capture.Packet
	now := t0
	for i := 0; i+12 <= len(data); i += 12 {
		b := data[i : i+12]
		now = now.Add(fuzzDeltas[b[6]%8])
		p := &capture.Packet{Frame: int64(len(out) + 1), Time: now, Kind: capture.KindIP, IPLen: int(b[11]) - 20}
		switch b[0] % 8 {
		case 6:
			p.Kind, p.Reason = capture.KindNonIP, "arp"
		case 7:
			p.Kind, p.Reason = capture.KindUndecodable, "truncated IPv4 header"
		}
		p.Proto = fuzzProtos[b[1]%8]
		p.Src, p.Dst = fuzzAddrs[b[2]%4], fuzzAddrs[b[2]>>2%4]
		p.SrcPort, p.DstPort = fuzzPorts[b[3]%8], fuzzPorts[b[4]%8]
		p.HasPorts = b[8]&8 == 0
		p.TCPFlags, p.Seq = b[5], uint32(b[3])
		p.HasICMP, p.ICMPType, p.ICMPID = b[8]&16 == 0, fuzzTypes[b[7]%8], uint16(b[10]%3)
		p.Fragment, p.FragmentAttributed = b[8]&1 != 0, b[8]&4 != 0
		if b[8]&2 != 0 {
			p.FragOffset = 100
		}
		if b[9]&1 != 0 {
			p.Quote = capture.Quote{Valid: true, Src: fuzzAddrs[b[10]%4], Dst: fuzzAddrs[b[10]>>2%4], Proto: fuzzProtos[b[9]>>1%8],
				HasPorts: b[9]&16 == 0, SrcPort: fuzzPorts[b[10]>>4%8], DstPort: fuzzPorts[b[3]%8], ICMPType: fuzzTypes[b[9]>>5], ICMPID: uint16(b[10] % 3)}
		}
		if b[0]&0x80 != 0 {
			p.Src = netip.Addr{} // a decoder bug must not crash the table
		}
		// Issue 10: payload heads (the fuzz bytes themselves), headers cut
		// after the ports, unknown protocols.
		if b[11]&1 != 0 {
			p.HeadLen = uint8(copy(p.Head[:], data[i:]))
			p.PayloadLen = int(p.HeadLen)
		}
		p.PortsOnly = b[11]&2 != 0 && p.HasPorts
		p.ProtoUnknown = b[11]&0x0c == 0x0c
		out = append(out, p)
	}
	return out
}

// FuzzTable feeds arbitrary packet sequences to the table and checks its
// accounting invariants and determinism.
func FuzzTable(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x00\x04\x04\x03\x02\x00\x00\x00\x00\x00\x50" + "\x00\x00\x01\x03\x04\x12\x01\x00\x00\x00\x00\x50" + "\x00\x00\x04\x04\x03\x10\x01\x00\x00\x00\x00\x50"))
	f.Add([]byte("\x00\x02\x04\x00\x00\x00\x00\x01\x00\x00\x00\x50" + "\x00\x02\x01\x00\x00\x00\x01\x00\x00\x00\x00\x50" + "\x00\x02\x01\x00\x00\x00\x01\x02\x00\x03\x04\x50"))
	f.Add([]byte("\x00\x01\x04\x04\x01\x00\x05\x00\x00\x00\x00\x50" + "\x00\x01\x04\x04\x01\x00\x04\x00\x07\x00\x00\x50" + "\x06\x01\x04\x04\x01\x00\x07\x00\x03\x00\x00\x50"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkts := fuzzPackets(data)
		run := func() ([]Ref, []*Conversation, Summary) {
			tb := NewTable(Config{})
			refs := make([]Ref, len(pkts))
			for i, p := range pkts {
				refs[i] = tb.Add(p)
			}
			c, s := tb.Finish()
			return refs, c, s
		}
		refs, convs, sum := run()
		if sum.Packets != uint64(len(pkts)) || sum.IP+sum.NonIP+sum.Undecodable != sum.Packets {
			t.Fatalf("summary %+v for %d packets", sum, len(pkts))
		}
		pk := make([]uint64, len(convs)+1)
		errs := make([]uint64, len(convs)+1)
		frags := make([]uint64, len(convs)+1)
		for i, r := range refs {
			if r.ID < 0 || r.ID > len(convs) {
				t.Fatalf("packet %d: ID %d of %d", i+1, r.ID, len(convs))
			}
			pk[r.ID]++
			if r.ICMPError {
				errs[r.ID]++
			}
			if p := pkts[i]; r.ID != 0 && !r.ICMPError && !p.IsFirstFragmentOrWhole() {
				frags[r.ID]++
			}
		}
		for i, c := range convs {
			if c.ID != i+1 || pk[c.ID] == 0 || c.ToServer.Packets+c.ToClient.Packets != pk[c.ID] {
				t.Fatalf("conversation %d (index %d): %d+%d packets, %d refs", c.ID, i, c.ToServer.Packets, c.ToClient.Packets, pk[c.ID])
			}
			if c.ICMPErrors != errs[c.ID] || c.Fragments != frags[c.ID] {
				t.Fatalf("conversation %d: %d errors/%d fragments, refs say %d/%d", c.ID, c.ICMPErrors, c.Fragments, errs[c.ID], frags[c.ID])
			}
			if c.State == "" || c.Evidence == "" || c.Confidence == "" || !c.Client.Addr.IsValid() || !c.Server.Addr.IsValid() {
				t.Fatalf("conversation %d incomplete: %+v", c.ID, c)
			}
		}
		refs2, convs2, sum2 := run()
		if !reflect.DeepEqual(refs, refs2) || !reflect.DeepEqual(convs, convs2) || !reflect.DeepEqual(sum, sum2) {
			t.Fatal("two runs differ")
		}
		refs3, convs3, sum3 := runAddAll(pkts)
		if !reflect.DeepEqual(refs, refs3) || !reflect.DeepEqual(convs, convs3) || !reflect.DeepEqual(sum, sum3) {
			t.Fatal("AddAllRefs differs from Add")
		}
		checkStreaming(t, pkts, convs)
	})
}

// checkStreaming runs pkts through a streaming table (finishing
// conversations every record, the most eviction there can be) and checks
// it emits IDs 1..N once each, their packets those the refs name, and,
// when time never steps back (then the whole-capture table joins a late
// packet to a conversation the streaming one already ended), the
// whole-capture table's conversations.
func checkStreaming(t *testing.T, pkts []*capture.Packet, whole []*Conversation) {
	defer func(e uint64) { expireEvery = e }(expireEvery)
	expireEvery = 1
	tb := NewTable(Config{})
	seen := map[int]uint64{}
	tb.Stream(func(c *Conversation) {
		if _, dup := seen[c.ID]; dup {
			t.Fatalf("conversation %d emitted twice", c.ID)
		}
		seen[c.ID] = c.ToServer.Packets + c.ToClient.Packets
	})
	refs := map[int]uint64{}
	monotone := true
	for i, p := range pkts {
		if i > 0 && p.Time.Before(pkts[i-1].Time) {
			monotone = false
		}
		if r := tb.Add(p); r.ID != 0 {
			refs[r.ID]++
		}
	}
	tb.Close()
	for id := 1; id <= len(seen); id++ {
		if _, ok := seen[id]; !ok {
			t.Fatalf("conversation %d of %d never emitted", id, len(seen))
		}
		if seen[id] != refs[id] {
			t.Fatalf("conversation %d: %d packets, refs say %d", id, seen[id], refs[id])
		}
	}
	if monotone && len(seen) != len(whole) {
		t.Fatalf("streaming found %d conversations, the whole-capture table %d", len(seen), len(whole))
	}
}

// FuzzParseTshark checks that the tshark table parser used by the corpus
// tests never panics and only returns frames it parsed.
func FuzzParseTshark(f *testing.F) {
	f.Add("TCP Conversations\n10.0.0.1:22 <-> 10.0.0.2:40000 1 60 bytes 2 120 bytes 3 180 bytes 0.0 0.1\n")
	f.Add("UDP Conversations\n2001:db8::1:53 <-> 2001:db8::2:5353 0 0 bytes 1 1 kB 1 1 kB 0 0\n")
	f.Add("10.0.0.1:22 <-> x 1 2 3 4 5 6 7 8 9\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseTshark(strings.NewReader(s))
		if err != nil {
			return
		}
		for k := range m {
			if !k.a.IsValid() || !k.b.IsValid() || k.b.Compare(k.a) < 0 {
				t.Fatalf("bad pair %v", k)
			}
		}
	})
}

// runAddAll adds pkts with AddAllRefs, in uneven slices, and returns the
// refs it reported with the conversations.
func runAddAll(pkts []*capture.Packet) ([]Ref, []*Conversation, Summary) {
	tb := NewTable(Config{})
	flat := make([]capture.Packet, len(pkts))
	for i, p := range pkts {
		flat[i] = *p
	}
	refs := make([]Ref, len(flat))
	for i := 0; i < len(flat); {
		n := min(len(flat)-i, 1+i%37)
		tb.AddAllRefs(flat[i:i+n], refs[i:])
		i += n
	}
	convs, sum := tb.Finish()
	return refs, convs, sum
}

// TestAddAllMatchesAdd compares AddAll with Add on long random sequences
// (the table grows, keys repeat, and groups span several conversations).
func TestAddAllMatchesAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 20; round++ {
		data := make([]byte, 12*(100+rng.IntN(5000)))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		pkts := fuzzPackets(data)
		tb := NewTable(Config{})
		refs := make([]Ref, len(pkts))
		for i, p := range pkts {
			refs[i] = tb.Add(p)
		}
		convs, sum := tb.Finish()
		refs2, convs2, sum2 := runAddAll(pkts)
		if !reflect.DeepEqual(refs, refs2) || !reflect.DeepEqual(convs, convs2) || !reflect.DeepEqual(sum, sum2) {
			t.Fatalf("round %d: AddAllRefs differs from Add", round)
		}
	}
	// Many distinct conversations: the index grows inside AddAll.
	pkts := make([]*capture.Packet, 0, 40000)
	for c := 0; c < 10000; c++ {
		for i := 0; i < 4; i++ {
			p := new(capture.Packet)
			synthPacket(p, c, i)
			pkts = append(pkts, p)
		}
	}
	tb := NewTable(Config{})
	refs := make([]Ref, len(pkts))
	for i, p := range pkts {
		refs[i] = tb.Add(p)
	}
	convs, sum := tb.Finish()
	refs2, convs2, sum2 := runAddAll(pkts)
	if !reflect.DeepEqual(refs, refs2) || !reflect.DeepEqual(convs, convs2) || !reflect.DeepEqual(sum, sum2) {
		t.Fatal("many conversations: AddAllRefs differs from Add")
	}
}
