package render

import (
	"io"
	"net/netip"
	"runtime"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/nacl/replay/replaytest"
)

// memRecording records n conversations of replaytest.WebPacket, classified.
func memRecording(n int) *replay.Recording {
	r := replay.NewRecorder(flows.DefaultConfig(), replay.Window{})
	var p capture.Packet
	for c := range n {
		for i := range 4 {
			replaytest.WebPacket(&p, c, i)
			r.Add(&p)
		}
	}
	return r.Classify()
}

// memJudge judges against the web server's NACL on 10.0.1.0/24.
func memJudge(t testing.TB) *replay.Judge {
	all := netip.MustParsePrefix("0.0.0.0/0")
	tcp := func(num int, dir nacl.Direction, a nacl.Action, from, to uint16) nacl.Entry {
		return nacl.Entry{RuleNumber: num, Direction: dir, Action: a, Protocol: nacl.ProtoTCP, CIDR: all, Ports: nacl.PortRange{From: from, To: to}, ICMPType: -1, ICMPCode: -1}
	}
	acl := &nacl.ACL{ID: "acl-web", Entries: []nacl.Entry{
		tcp(100, nacl.Ingress, nacl.Allow, 22, 22), tcp(110, nacl.Ingress, nacl.Allow, 80, 80), tcp(120, nacl.Ingress, nacl.Allow, 443, 443),
		tcp(130, nacl.Ingress, nacl.Deny, 1024, 65535),
		tcp(100, nacl.Egress, nacl.Allow, 22, 22), tcp(110, nacl.Egress, nacl.Allow, 80, 80), tcp(120, nacl.Egress, nacl.Allow, 443, 443),
		tcp(130, nacl.Egress, nacl.Allow, 1024, 65535),
	}}
	topo, err := replay.SimpleTopology(acl, []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestCheckTextMemoryPerConversation bounds the heap of check's text
// output per conversation: the recording, the summarized report and the
// table measured while judging (5 bytes per conversation). Measured about
// 260 bytes; the bound catches a return to per-conversation results.
func TestCheckTextMemoryPerConversation(t *testing.T) {
	n := 400_000
	if testing.Short() {
		n = 50_000
	}
	base := replaytest.HeapAlloc()
	rec := memRecording(n)
	j := memJudge(t)
	table := NewCheckTable(j.Topology(), rec.NumConversations())
	rep := replay.SummarizeEach(j, rec, table.Observe)
	if err := (&Options{}).WriteCheckText(io.Discard, rep, j.Topology(), table); err != nil {
		t.Fatal(err)
	}
	per := float64(replaytest.HeapAlloc()-base) / float64(n)
	t.Logf("%d conversations: %.0f B per conversation after rendering", n, per)
	if rep.Summary.Conversations != n || rep.Summary.Affected != n/4 {
		t.Fatalf("%d conversations, %d affected", rep.Summary.Conversations, rep.Summary.Affected)
	}
	if per > 450 {
		t.Errorf("memory per conversation regressed: %.0f B after rendering (bound 450)", per)
	}
	runtime.KeepAlive(rep)
	runtime.KeepAlive(table)
}

// BenchmarkCheckText is check's text output of 100 000 conversations:
// judging with the table measured in the same pass, then printing.
func BenchmarkCheckText(b *testing.B) {
	rec := memRecording(100_000)
	j := memJudge(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		table := NewCheckTable(j.Topology(), rec.NumConversations())
		rep := replay.SummarizeEach(j, rec, table.Observe)
		if err := (&Options{}).WriteCheckText(io.Discard, rep, j.Topology(), table); err != nil {
			b.Fatal(err)
		}
	}
}
