package replay

import (
	"runtime"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay/replaytest"
)

// recordMem records n conversations of memPacket.
func recordMem(n int) *Recorder {
	r := NewRecorder(flows.DefaultConfig(), Window{})
	var p capture.Packet
	for c := range n {
		for i := range 4 {
			replaytest.WebPacket(&p, c, i)
			r.Add(&p)
		}
	}
	return r
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
	base := replaytest.HeapAlloc()
	rec := recordMem(n).Classify()
	afterRec := replaytest.HeapAlloc()
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.0/24"))
	rep := Summarize(j, rec)
	afterRep := replaytest.HeapAlloc()
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
			replaytest.WebPacket(&pkts[c*4+i], c, i)
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
