package flows

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// synthPacket fills p as UDP packet i of conversation n: every n is a
// distinct 5-tuple (16M clients x 1 port), two packets each way.
func synthPacket(p *capture.Packet, n, i int) {
	client := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
	server := netip.AddrFrom4([4]byte{192, 0, 2, 53})
	*p = capture.Packet{Frame: int64(n*4 + i + 1), Time: t0.Add(time.Duration(n) * time.Microsecond), Kind: capture.KindIP,
		Version: 4, Proto: capture.ProtoUDP, IPLen: 80, HasPorts: true,
		Src: client, Dst: server, SrcPort: 40000 + uint16(n%20000), DstPort: 53}
	if i%2 == 1 {
		p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
	}
}

// bytesPerConversation adds n conversations and returns the heap growth
// per conversation, measured with runtime.MemStats after a GC.
func bytesPerConversation(n int) (float64, *Table) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tb := NewTable(Config{})
	var p capture.Packet
	for c := range n {
		for i := range 2 {
			synthPacket(&p, c, i)
			tb.Add(&p)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n), tb
}

func TestMemoryPerConversation(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	per, tb := bytesPerConversation(n)
	t.Logf("%d conversations: %.1f bytes per conversation (record %d bytes)", n, per, recSize())
	// Measured 161 bytes (a 144-byte record plus the index and chunk
	// slack); the bound leaves about 25% for growth of the table's slices
	// and catches any per-conversation allocation (a pointer, a string).
	if per > 200 {
		t.Errorf("%.1f bytes per conversation, want < 200", per)
	}
	if tb.recs.n != n {
		t.Errorf("table holds %d conversations, want %d", tb.recs.n, n)
	}
	runtime.KeepAlive(tb)
}

func TestMemoryDoesNotGrowWithPackets(t *testing.T) {
	tb := NewTable(Config{})
	var p capture.Packet
	var before, after runtime.MemStats
	synthPacket(&p, 1, 0)
	tb.Add(&p)
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 200_000 {
		synthPacket(&p, 1, i)
		p.Time = t0.Add(time.Duration(i) * time.Millisecond)
		tb.Add(&p)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 64<<10 {
		t.Errorf("heap grew by %d bytes over 200000 packets of one conversation", grow)
	}
	convs, _ := tb.Finish()
	if len(convs) != 1 || convs[0].ToServer.Packets+convs[0].ToClient.Packets != 200_001 {
		t.Errorf("got %d conversations", len(convs))
	}
}

// BenchmarkTableAdd reports ns per packet for conversations of four
// packets (two each way), the index and store growing as in a real capture.
func BenchmarkTableAdd(b *testing.B) {
	tb := NewTable(Config{})
	var p capture.Packet
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		synthPacket(&p, i/4, i%4)
		tb.Add(&p)
	}
}

// BenchmarkTableManyConversations adds b.N distinct conversations (the
// index grows and probes miss the cache, as in a large capture).
func BenchmarkTableManyConversations(b *testing.B) {
	tb := NewTable(Config{})
	var p capture.Packet
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		synthPacket(&p, i, 0)
		tb.Add(&p)
	}
}

// randomPackets returns n packets of conv conversations in random order
// (as many concurrent conversations interleave in a large capture).
func randomPackets(n, conv int) []capture.Packet {
	rng := rand.New(rand.NewPCG(5, 6))
	ps := make([]capture.Packet, n)
	for i := range ps {
		synthPacket(&ps[i], rng.IntN(conv), i%2)
		ps[i].Time = t0.Add(time.Duration(i) * time.Microsecond)
	}
	return ps
}

// BenchmarkTableRandom: ns per packet over 250k interleaved conversations,
// one packet at a time (Add) or in groups (AddAll).
func BenchmarkTableRandom(b *testing.B) {
	ps := randomPackets(1<<21, 250_000)
	b.Run("Add", func(b *testing.B) {
		tb := NewTable(Config{})
		for i := 0; i < b.N; i++ {
			tb.Add(&ps[i&(len(ps)-1)])
		}
	})
	b.Run("AddAll", func(b *testing.B) {
		tb := NewTable(Config{})
		for i := 0; i < b.N; i += 64 {
			j := i & (len(ps) - 1)
			tb.AddAll(ps[j:min(j+64, j+b.N-i)])
		}
	})
}
