package flows

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// streamPackets runs ps through a streaming table and returns the
// emitted conversations (copies) in emission order, and the summary.
func streamPackets(cfg Config, ps []*capture.Packet) ([]Conversation, Summary) {
	var out []Conversation
	tb := NewTable(cfg)
	tb.Stream(func(c *Conversation) { out = append(out, *c) })
	for _, p := range ps {
		tb.Add(p)
	}
	return out, tb.Close()
}

// readPackets reads every record of a capture file.
func readPackets(t *testing.T, path string) []*capture.Packet {
	t.Helper()
	s, err := capture.Open([]string{path}, capture.Options{})
	if err != nil {
		t.Fatalf("%s: open: %v", path, err)
	}
	defer s.Close()
	var ps []*capture.Packet
	for {
		p := new(capture.Packet)
		err := s.Next(p)
		if errors.Is(err, io.EOF) {
			return ps
		}
		if err != nil {
			return ps // a damaged capture: what was read
		}
		ps = append(ps, p)
	}
}

// weakEvidence reports evidence that depends on other conversations or
// on how a 5-tuple's previous conversation ended: where a streaming
// table may decide otherwise than a whole-capture one (Table.Stream).
func weakEvidence(e Evidence) bool {
	switch e {
	case EvidenceFanIn, EvidenceSharedPort, EvidenceKnownRole, EvidenceFirstPacket, EvidenceLowerPort, EvidenceEphemeral:
		return true
	}
	return false
}

// compareStream checks that streaming ps gives the whole-capture table's
// conversations: each ID once, in ID order, equal in every field but the
// client/server decision of weak-evidence ones. It returns how many of
// those differ.
func compareStream(t *testing.T, name string, cfg Config, ps []*capture.Packet) int {
	t.Helper()
	whole := NewTable(cfg)
	for _, p := range ps {
		whole.Add(p)
	}
	want, wantSum := whole.Finish()
	got, gotSum := streamPackets(cfg, ps)
	if len(got) != len(want) {
		t.Fatalf("%s: streaming emitted %d conversations, whole table %d", name, len(got), len(want))
	}
	differ := 0
	for i := range got {
		g, w := got[i], *want[i]
		if g.ID != i+1 {
			t.Fatalf("%s: conversation %d emitted as ID %d (not in ID order)", name, i+1, g.ID)
		}
		if reflect.DeepEqual(g, w) {
			continue
		}
		if weakEvidence(w.Evidence) || weakEvidence(g.Evidence) {
			t.Logf("%s: conversation %d: streaming decided %s/%s (client %v), whole capture %s/%s (client %v)",
				name, g.ID, g.Evidence, g.Confidence, g.Client, w.Evidence, w.Confidence, w.Client)
			differ++
			continue
		}
		t.Errorf("%s: conversation %d differs:\n stream %+v\n whole  %+v", name, g.ID, g, w)
	}
	if !reflect.DeepEqual(gotSum, wantSum) {
		t.Errorf("%s: summary differs:\n stream %+v\n whole  %+v", name, gotSum, wantSum)
	}
	return differ
}

// TestStreamMatchesWholeTable runs every bundled and corpus capture
// through a streaming and a whole-capture table.
func TestStreamMatchesWholeTable(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "pcaps", "*.pcap"))
	crafted, _ := filepath.Glob(filepath.Join("..", "pcaps", "crafted", "*.pcap*"))
	files = append(files, crafted...)
	if dir := filepath.Join("..", "..", "shared", "corpus"); dirExists(dir) {
		corpus, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
		files = append(files, corpus...)
	}
	if len(files) < 10 {
		t.Fatalf("found %d captures, want the bundled ones", len(files))
	}
	total, differ := 0, 0
	for _, f := range files {
		ps := readPackets(t, f)
		total += len(ps)
		differ += compareStream(t, f, Config{}, ps)
	}
	t.Logf("%d captures, %d packets: %d weak-evidence conversations decided otherwise", len(files), total, differ)
	if total == 0 {
		t.Fatal("no packets read")
	}
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// TestStreamIdleAndClose checks which conversations end when: a closed
// connection after the linger, an idle UDP flow after its timeout, a
// reused 5-tuple at once; and that they are emitted while the capture
// goes, in ID order.
func TestStreamIdleAndClose(t *testing.T) {
	var q seq
	c, s := "10.0.0.1:40000", "10.0.0.2:443"
	q.tcp(0, c, s, capture.TCPSyn)                                 // conv 1
	q.tcp(time.Millisecond, s, c, capture.TCPSyn|capture.TCPAck)   //
	q.tcp(2*time.Millisecond, c, s, capture.TCPAck)                //
	q.udp(3*time.Millisecond, "10.0.0.1:5353", "10.0.0.9:53")      // conv 2
	q.tcp(4*time.Millisecond, c, s, capture.TCPFin|capture.TCPAck) //
	q.tcp(5*time.Millisecond, s, c, capture.TCPFin|capture.TCPAck) // conv 1 closed
	q.tcp(6*time.Millisecond, "10.0.0.1:40001", s, capture.TCPSyn) // conv 3, live for long
	q.udp(7*time.Second, "10.0.0.3:5000", "10.0.0.9:53")           // conv 4; conv 1 ends (linger 5 s)
	q.udp(70*time.Second, "10.0.0.3:5001", "10.0.0.9:53")          // conv 5; 2 and 4 end (UDP idle 60 s)
	q.tcp(71*time.Second, "10.0.0.1:40001", s, capture.TCPSyn)     // conv 3 retransmission
	q.udp(140*time.Second, "10.0.0.3:5001", "10.0.0.9:53")         // conv 6 (5 idle: ends)
	var emitted []int
	var atPacket []int // the packet count when each was emitted
	defer func(e uint64) { expireEvery = e }(expireEvery)
	expireEvery = 1
	tb := NewTable(Config{})
	n := 0
	tb.Stream(func(c *Conversation) { emitted = append(emitted, c.ID); atPacket = append(atPacket, n) })
	for _, p := range q.pkts {
		n++
		tb.Add(p)
	}
	live := tb.Live()
	sum := tb.Close()
	if got, want := fmt.Sprint(emitted), "[1 2 3 4 5 6]"; got != want {
		t.Fatalf("emitted %s, want %s", got, want)
	}
	// 1 ends at packet 8 (7 s > close + 5 s); 2 at packet 9 (idle 60 s);
	// 3 (a lone SYN, TCP idle 5 min) holds 4 and 5 back until Close.
	if got, want := fmt.Sprint(atPacket), "[8 9 11 11 11 11]"; got != want {
		t.Errorf("emitted at packets %s, want %s", got, want)
	}
	if live != 4 { // 3 and 6 live, 4 and 5 ended but held back for 3
		t.Errorf("Live() = %d before Close, want 4", live)
	}
	if sum.ConversationsByProto["tcp"] != 2 || sum.ConversationsByProto["udp"] != 4 {
		t.Errorf("summary %v", sum.ConversationsByProto)
	}
}

// TestStreamReorderWindow checks that a conversation live while more
// than ReorderWindow later ones ended stops holding them back: it is
// listed when it ends, after them, and memory stays bounded.
func TestStreamReorderWindow(t *testing.T) {
	tb := NewTable(Config{})
	var ids []int
	tb.Stream(func(c *Conversation) { ids = append(ids, c.ID) })
	var p capture.Packet
	// Conversation 1: a UDP flow that stays active.
	long := func(at time.Duration) {
		p = capture.Packet{Time: t0.Add(at), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoUDP, IPLen: 80, HasPorts: true,
			Src: netip.MustParseAddr("10.9.9.9"), Dst: netip.MustParseAddr("10.9.9.1"), SrcPort: 4000, DstPort: 4001}
		tb.Add(&p)
	}
	long(0)
	n := ReorderWindow + 10_000 // the last 5,000 are still in their linger at the end
	maxLive := 0
	for c := range n {
		at := time.Duration(c) * time.Millisecond
		if c%1000 == 0 {
			long(at)
		}
		// Short closed TCP connections: SYN, RST.
		synthTCP(&p, c, at, capture.TCPSyn)
		tb.Add(&p)
		synthTCP(&p, c, at+time.Microsecond, capture.TCPRst)
		tb.Add(&p)
		maxLive = max(maxLive, tb.Live())
	}
	tb.Close()
	if len(ids) != n+1 {
		t.Fatalf("emitted %d conversations, want %d", len(ids), n+1)
	}
	// The long flow (ID 1) comes after the window filled, before the end.
	pos := -1
	for i, id := range ids {
		if id == 1 {
			pos = i
		}
	}
	if pos < ReorderWindow-1 {
		t.Errorf("conversation 1 listed at position %d, want after %d held-back conversations", pos, ReorderWindow)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != 1 && ids[i-1] != 1 && ids[i] < ids[i-1] {
			t.Fatalf("conversation %d listed after %d", ids[i], ids[i-1])
		}
	}
	// The window, and the connections within their 5 s of linger, and
	// up to 2 s more (timers work in whole seconds): 7,000 at 1,000 a second.
	if maxLive > ReorderWindow+7000+64 {
		t.Errorf("table held %d conversations at most, want at most ReorderWindow (%d) + 7,000", maxLive, ReorderWindow)
	}
}

// synthTCP fills p as a TCP segment of client c (a distinct 5-tuple per c).
func synthTCP(p *capture.Packet, c int, at time.Duration, flags uint8) {
	*p = capture.Packet{Frame: int64(c + 1), Time: t0.Add(at), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP,
		IPLen: 60, HasPorts: true, TCPFlags: flags,
		Src: netip.AddrFrom4([4]byte{10, 1, byte(c >> 8), byte(c)}), Dst: netip.AddrFrom4([4]byte{10, 0, 0, 80}),
		SrcPort: 30000 + uint16(c>>16), DstPort: 443}
}

// TestStreamMemoryFlat runs a long run of short conversations at a
// steady rate (1,000 connections per second of capture time, each
// SYN, SYN-ACK, ACK, FIN, FIN, ACK over 20 ms, and a DNS query every
// other one) and checks that the table's size (Live, and the slots it
// ever allocated) stops growing after warm-up: memory is bounded by the
// conversations live at once, not by the number seen.
func TestStreamMemoryFlat(t *testing.T) {
	n := 400_000
	if testing.Short() {
		n = 150_000 // warm-up: 60 s of UDP idle, 60,000 connections
	}
	tb := NewTable(Config{})
	emitted := 0
	tb.Stream(func(*Conversation) { emitted++ })
	var p capture.Packet
	server := netip.MustParseAddr("10.0.0.80")
	dns := netip.MustParseAddr("10.0.0.2")
	var chunksAt, liveAt [2]int
	for c := range n {
		at := time.Duration(c) * time.Millisecond
		cl := netip.AddrFrom4([4]byte{10, 2, byte(c >> 8), byte(c)})
		cp := uint16(32768 + c%28000)
		seg := func(d time.Duration, fromClient bool, flags uint8) {
			p = capture.Packet{Time: t0.Add(at + d), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP, IPLen: 60,
				HasPorts: true, TCPFlags: flags, Src: cl, Dst: server, SrcPort: cp, DstPort: 443}
			if !fromClient {
				p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
			}
			tb.Add(&p)
		}
		seg(0, true, capture.TCPSyn)
		seg(time.Millisecond, false, capture.TCPSyn|capture.TCPAck)
		seg(2*time.Millisecond, true, capture.TCPAck)
		if c%2 == 0 {
			p = capture.Packet{Time: t0.Add(at + 3*time.Millisecond), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoUDP,
				IPLen: 70, HasPorts: true, Src: cl, Dst: dns, SrcPort: cp, DstPort: 53}
			tb.Add(&p)
		}
		seg(10*time.Millisecond, true, capture.TCPFin|capture.TCPAck)
		seg(11*time.Millisecond, false, capture.TCPFin|capture.TCPAck)
		seg(20*time.Millisecond, true, capture.TCPAck)
		switch c {
		case n / 2:
			chunksAt[0], liveAt[0] = len(tb.recs.chunks)+len(tb.recs.side), tb.Live()
		case n - 1:
			chunksAt[1], liveAt[1] = len(tb.recs.chunks)+len(tb.recs.side), tb.Live()
		}
	}
	tb.Close()
	// Live at once: TCP 5 s of linger (5,000) and DNS 60 s of UDP idle
	// (30,000), and the ended connections a DNS flow holds back for ID
	// order (60 s: 60,000).
	t.Logf("%d connections: %d chunks of records half-way, %d at the end; %d conversations held half-way, %d at the end",
		n, chunksAt[0], chunksAt[1], liveAt[0], liveAt[1])
	if emitted != n+n/2 {
		t.Errorf("emitted %d conversations, want %d", emitted, n+n/2)
	}
	if chunksAt[1] > chunksAt[0]+2 {
		t.Errorf("record chunks grew from %d to %d after warm-up, want flat", chunksAt[0], chunksAt[1])
	}
	if liveAt[1] > liveAt[0]+liveAt[0]/20 || liveAt[1] > 100_000 {
		t.Errorf("conversations held grew from %d to %d after warm-up, want flat, about 95,000", liveAt[0], liveAt[1])
	}
}

// shortConnections returns the packets of n short TCP connections at
// 1,000 a second (SYN, SYN-ACK, ACK, FIN, FIN, ACK), a DNS query every
// other one.
func shortConnections(n int) []capture.Packet {
	ps := make([]capture.Packet, 0, n*7)
	server := netip.MustParseAddr("10.0.0.80")
	dns := netip.MustParseAddr("10.0.0.2")
	for c := range n {
		at := time.Duration(c) * time.Millisecond
		cl := netip.AddrFrom4([4]byte{10, 2, byte(c >> 8), byte(c)})
		cp := uint16(32768 + c%28000)
		seg := func(d time.Duration, fromClient bool, flags uint8) {
			p := capture.Packet{Time: t0.Add(at + d), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP, IPLen: 60,
				HasPorts: true, TCPFlags: flags, Src: cl, Dst: server, SrcPort: cp, DstPort: 443}
			if !fromClient {
				p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
			}
			ps = append(ps, p)
		}
		seg(0, true, capture.TCPSyn)
		seg(time.Millisecond, false, capture.TCPSyn|capture.TCPAck)
		seg(2*time.Millisecond, true, capture.TCPAck)
		if c%2 == 0 {
			ps = append(ps, capture.Packet{Time: t0.Add(at + 3*time.Millisecond), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoUDP,
				IPLen: 70, HasPorts: true, Src: cl, Dst: dns, SrcPort: cp, DstPort: 53})
		}
		seg(10*time.Millisecond, true, capture.TCPFin|capture.TCPAck)
		seg(11*time.Millisecond, false, capture.TCPFin|capture.TCPAck)
		seg(20*time.Millisecond, true, capture.TCPAck)
	}
	return ps
}

// BenchmarkShortConnections compares a whole-capture table (add,
// classify, build every conversation) with a streaming one on short
// connections. One op is one connection.
func BenchmarkShortConnections(b *testing.B) {
	const n = 200_000
	ps := shortConnections(n)
	feed := func(tb *Table) {
		for i := 0; i < len(ps); i += 256 {
			tb.AddAll(ps[i:min(i+256, len(ps))])
		}
	}
	b.Run("whole", func(b *testing.B) {
		for done := 0; done < b.N; done += n {
			tb := NewTable(Config{})
			feed(tb)
			k := 0
			for c := range tb.Classify().Conversations() {
				k += c.ID
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		for done := 0; done < b.N; done += n {
			tb := NewTable(Config{})
			k := 0
			tb.Stream(func(c *Conversation) { k += c.ID })
			feed(tb)
			tb.Close()
		}
	})
}

// BenchmarkCapture compares the whole-capture and streaming tables on
// the packets of $FLOWVERIFY_BENCH_CAPTURE. One op is one packet.
func BenchmarkCapture(b *testing.B) {
	path := os.Getenv("FLOWVERIFY_BENCH_CAPTURE")
	if path == "" {
		b.Skip("FLOWVERIFY_BENCH_CAPTURE not set")
	}
	var ps []capture.Packet
	for _, p := range readPackets(&testing.T{}, path) {
		ps = append(ps, *p)
	}
	feed := func(tb *Table) {
		for i := 0; i < len(ps); i += 256 {
			tb.AddAll(ps[i:min(i+256, len(ps))])
		}
	}
	b.Run("whole", func(b *testing.B) {
		for done := 0; done < b.N; done += len(ps) {
			tb := NewTable(Config{})
			feed(tb)
			k := 0
			for c := range tb.Classify().Conversations() {
				k += c.ID
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		for done := 0; done < b.N; done += len(ps) {
			tb := NewTable(Config{})
			k := 0
			tb.Stream(func(c *Conversation) { k += c.ID })
			feed(tb)
			tb.Close()
		}
	})
}
