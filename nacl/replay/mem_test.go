package replay

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// memPacket fills p as packet i (0..3) of TCP conversation n: SYN,
// SYN-ACK, ACK and data back. Three conversations in four are internet
// clients of the web server 10.0.1.10:443 (allowed both ways by webACL);
// the fourth is the server fetching from 192.0.2.80:80, whose responses
// webACL denies inbound (a broken conversation with a fix).
func memPacket(p *capture.Packet, n, i int) {
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

// recordMem records n conversations of memPacket.
func recordMem(n int) *Recorder {
	r := NewRecorder(flows.DefaultConfig(), Window{})
	var p capture.Packet
	for c := range n {
		for i := range 4 {
			memPacket(&p, c, i)
			r.Add(&p)
		}
	}
	return r
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryPerConversation bounds the heap a replay keeps per
// conversation: the recording (conversation table plus a 5-byte
// accumulator: the implied keys' counters are derived from the table) and
// a summarized report, which keeps no per-conversation result. Measured
// about 151 bytes for the recording and 153 bytes with the report (218
// and 220 when the recorder counted each direction itself); the bounds
// leave room but catch a return to per-direction counters or to
// per-conversation results (about 5 KB).
func TestMemoryPerConversation(t *testing.T) {
	n := 400_000
	if testing.Short() {
		n = 50_000
	}
	base := heapAlloc()
	rec := recordMem(n).Classify()
	afterRec := heapAlloc()
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.0/24"))
	rep := Summarize(j, rec)
	afterRep := heapAlloc()
	perRec := float64(afterRec-base) / float64(n)
	perRep := float64(afterRep-base) / float64(n)
	t.Logf("%d conversations: recording %.0f B, with report %.0f B per conversation", n, perRec, perRep)
	if rep.Summary.Conversations != n || rep.Summary.Affected != n/4 {
		t.Fatalf("%d conversations, %d affected", rep.Summary.Conversations, rep.Summary.Affected)
	}
	if perRec > 200 || perRep > 220 {
		t.Errorf("memory per conversation regressed: recording %.0f B, report %.0f B (bounds 200/220)", perRec, perRep)
	}
	runtime.KeepAlive(rep)
}

func BenchmarkRecorderAdd(b *testing.B) {
	const convs = 1 << 16
	pkts := make([]capture.Packet, convs*4)
	for c := range convs {
		for i := range 4 {
			memPacket(&pkts[c*4+i], c, i)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	r := NewRecorder(flows.DefaultConfig(), Window{})
	for i := 0; i < b.N; i++ {
		if i%len(pkts) == 0 && i > 0 {
			r = NewRecorder(flows.DefaultConfig(), Window{})
		}
		r.Add(&pkts[i%len(pkts)])
	}
}

func BenchmarkRecorderSummarize(b *testing.B) {
	rec := recordMem(100_000).Classify()
	j := mustJudge(b, simple(b, webACL(b), "10.0.1.0/24"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep := Summarize(j, rec)
		if err := rep.EachBrief(func(*ConvResult) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
