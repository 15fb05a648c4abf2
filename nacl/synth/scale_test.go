package synth

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// distinctPortConvs returns n TCP conversations from n clients, each to
// its own server port: every one is its own service rule before the
// budget, so the budget merges n-19 of them.
func distinctPortConvs(n int) []*flows.Conversation {
	convs := make([]*flows.Conversation, 0, n)
	for i := range n {
		client := fmt.Sprintf("198.18.%d.%d", (i/250)%250, i%250+1)
		convs = append(convs, conv(i+1, 6, client, uint16(40000+i%20000), "10.0.1.10", uint16(1024+i)))
	}
	return convs
}

// TestBudgetMergingLinearWork: budget merging of 5,000 and 20,000
// distinct-port conversations evaluates a number of pair costs linear in
// the rules (the old loop recomputed every neighbour pair per merge:
// 25.6 s for 5,000, killed after 240 s for 20,000), and the result still
// meets the budget and passes the self-check.
func TestBudgetMergingLinearWork(t *testing.T) {
	sizes := []int{5_000, 20_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		convs := distinctPortConvs(n)
		o := opts("10.0.1.0/24")
		o.Observations = observe(convs)
		o.PMTUD = false // no room left for it: a warning this test does not look at
		r := mustSynth(t, convs, o)
		if limit := 8*n + 10_000; r.mergeWork > limit {
			t.Errorf("%d conversations: %d pair costs evaluated, want at most %d (linear)", n, r.mergeWork, limit)
		}
		if r.mergeWork < n {
			t.Errorf("%d conversations: %d pair costs evaluated: the large-group phase did not run", n, r.mergeWork)
		}
		if len(r.Rules) > o.MaxRules || len(r.Warnings) > 0 {
			t.Errorf("%d conversations: %d rules (budget %d), warnings %+v", n, len(r.Rules), o.MaxRules, r.Warnings)
		}
		mustPass(t, r, o.Observations)
	}
}

// allowsPort reports whether bx allows port p of protocol proto (for
// some peer): the definition newlyAllowsClosed must agree with.
func allowsPort(bx *box, proto int, p uint16) bool {
	if bx.proto == nacl.ProtoAll {
		return true
	}
	return bx.proto == proto && isPortProto(proto) && bx.ports.Contains(p)
}

// TestNewlyAllowsClosedMatchesScan: the binary-search check of closed
// ports agrees with a scan of every closed port on random boxes.
func TestNewlyAllowsClosedMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	protos := []int{nacl.ProtoAll, nacl.ProtoTCP, nacl.ProtoUDP, nacl.ProtoICMP}
	rbox := func() *box {
		a, z := uint16(rng.IntN(200)), uint16(rng.IntN(200))
		return &box{proto: protos[rng.IntN(len(protos))], ports: nacl.PortRange{From: min(a, z), To: max(a, z)}}
	}
	for range 20_000 {
		x, y := rbox(), rbox()
		if x.proto != y.proto && x.proto != nacl.ProtoAll && y.proto != nacl.ProtoAll {
			y.proto = x.proto
		}
		m := merged(x, y)
		proto := protos[1+rng.IntN(3)]
		var ports []uint16
		for p := range uint16(200) {
			if rng.IntN(40) == 0 {
				ports = append(ports, p)
			}
		}
		want := false
		for _, p := range ports {
			if allowsPort(&m, proto, p) && !allowsPort(x, proto, p) && !allowsPort(y, proto, p) {
				want = true
			}
		}
		if got := newlyAllowsClosed(&m, x, y, proto, ports); got != want {
			t.Fatalf("x %+v y %+v m %+v proto %d ports %v: got %v, want %v", *x, *y, m, proto, ports, got, want)
		}
	}
}

// TestBudgetMergingClosedPortsBounded: 2,000 served ports, each next to a
// port a refused connection found closed, so that every merge would open
// one: merging stops without the all-pairs search (O(n²) memory, O(n³)
// time at this size), keeps the rules over budget with a warning, and
// opens no closed port.
func TestBudgetMergingClosedPortsBounded(t *testing.T) {
	const n = 2_000
	var convs []*flows.Conversation
	for i := range n {
		client := fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)
		convs = append(convs, conv(2*i+1, 6, client, 40000, "10.0.1.10", uint16(1024+2*i)))
		refused := conv(2*i+2, 6, client, 40001, "10.0.1.10", uint16(1025+2*i))
		refused.State = flows.StateRejected
		convs = append(convs, refused)
	}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	o.Observations = observe(convs)
	r := mustSynth(t, convs, o)
	if len(r.Rules) < n {
		t.Errorf("%d rules for %d services each next to a closed port: some merge opened a closed port", len(r.Rules), n)
	}
	if !hasMsg(r.Warnings, func(m *Message) bool { return m.Kind == MsgOverQuota }) {
		t.Errorf("no over-budget warning: %+v", r.Warnings)
	}
	if r.mergeWork > mergeWorkPerBox*2*n+1024 {
		t.Errorf("%d pair costs evaluated, over the documented limit", r.mergeWork)
	}
	for _, ru := range r.Rules {
		e := ru.Entry
		if e.Protocol == nacl.ProtoTCP && e.Direction == nacl.Ingress && e.Ports.From != e.Ports.To && e.Ports.From >= 1024 && e.Ports.To < 1024+2*n {
			t.Fatalf("rule %s spans a closed port", ruleText(e))
		}
	}
}
