package synth

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// inboundServices returns conversations needing n inbound service rules
// from distinct peers and ports.
func inboundServices(n int) []*flows.Conversation {
	var convs []*flows.Conversation
	for i := 0; i < n; i++ {
		peer := netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + 20*i)}).String()
		convs = append(convs, conv(i+1, 6, peer, uint16(40000+i), "10.0.1.10", uint16(1000*(i+1))))
	}
	return convs
}

func inbound(a *nacl.ACL) string {
	var lines []string
	for _, e := range a.Entries {
		if e.Direction == nacl.Ingress {
			lines = append(lines, ruleText(e))
		}
	}
	return strings.Join(lines, "\n")
}

func pmtudWarning(r *Result) bool {
	return hasMsg(r.Warnings, func(m *Message) bool { return m.Kind == MsgPMTUDNoRoom })
}

// Over budget, the PMTUD rule is dropped first (with a warning) instead of
// being merged into observed traffic: the rules are those of --no-pmtud.
func TestPMTUDDroppedOverBudget(t *testing.T) {
	convs := inboundServices(4)
	for _, max := range []int{2, 3, 4} {
		o := opts("10.0.1.0/24")
		o.MaxRules = max
		r := mustSynth(t, convs, o)
		o.PMTUD = false
		want := mustSynth(t, convs, o)
		if got := rules(r.ACL); got != rules(want.ACL) {
			t.Errorf("max %d: rules with PMTUD:\n%s\nwant (as without PMTUD):\n%s", max, got, rules(want.ACL))
		}
		if strings.Contains(inbound(r.ACL), "0.0.0.0/0") {
			t.Errorf("max %d: PMTUD merged into observed rules:\n%s", max, inbound(r.ACL))
		}
		if !pmtudWarning(r) {
			t.Errorf("max %d: no warning that the PMTUD rule was left out: %+v", max, r.Warnings)
		}
		if len(r.Merges) != len(want.Merges) || r.OverBits != want.OverBits {
			t.Errorf("max %d: %d merges, %.1f bits; without PMTUD %d, %.1f", max, len(r.Merges), r.OverBits, len(want.Merges), want.OverBits)
		}
		for _, m := range r.Merges {
			if strings.Contains(m.A+m.B, "3:4") {
				t.Errorf("max %d: lossy merge with the PMTUD rule: %+v", max, m)
			}
		}
		mustPass(t, r, observe(convs))
	}
}

// A budget filled exactly by observed rules leaves them unmerged.
func TestPMTUDDoesNotForceMerges(t *testing.T) {
	convs := inboundServices(2)
	o := opts("10.0.1.0/24")
	o.MaxRules = 3
	r := mustSynth(t, convs, o)
	if len(r.Merges) != 0 || !pmtudWarning(r) {
		t.Errorf("merges %+v, warnings %+v", r.Merges, r.Warnings)
	}
	want := "in 100 allow tcp 203.0.113.10/32 1000\nin 200 allow tcp 203.0.113.30/32 2000"
	if got := inbound(r.ACL); got != want {
		t.Errorf("inbound:\n%s\nwant:\n%s", got, want)
	}
	// With one slot more the PMTUD rule is there, untouched.
	o.MaxRules = 4
	r = mustSynth(t, convs, o)
	if got := inbound(r.ACL); got != want+"\nin 300 allow icmp 0.0.0.0/0 3:4" || pmtudWarning(r) {
		t.Errorf("inbound:\n%s\nwarnings %+v", got, r.Warnings)
	}
}

// An observed rule that already allows PMTUD makes the separate rule
// unnecessary (lossless containment).
func TestPMTUDContainedInObservedRule(t *testing.T) {
	// ICMP of unknown type from more than MaxPeers peers: all ICMP from
	// 0.0.0.0/0.
	var convs []*flows.Conversation
	for i, peer := range []string{"198.51.100.1", "198.51.100.2", "203.0.113.9"} {
		c := conv(i+1, 1, peer, 0, "10.0.1.10", 0)
		c.ToClient.Packets = 0
		convs = append(convs, c)
	}
	o := opts("10.0.1.0/24")
	o.MaxPeers = 2
	r := mustSynth(t, convs, o)
	if got := inbound(r.ACL); got != "in 100 allow icmp 0.0.0.0/0" {
		t.Errorf("inbound:\n%s", got)
	}
	if pmtudWarning(r) || !hasMsg(r.Notes, func(m *Message) bool { return m.Kind == MsgPMTUDCovered }) {
		t.Errorf("warnings %+v, notes %+v", r.Warnings, r.Notes)
	}
}

// An observed ICMP 3:4 rule is absorbed by the PMTUD rule when that frees
// the slot the PMTUD rule needs (a lossless merge).
func TestPMTUDAbsorbsObservedFragNeeded(t *testing.T) {
	udp := conv(1, 17, "10.0.1.10", 40000, "198.51.100.9", 5000)
	udp.ToClient.Packets = 0 // one-way UDP; the peer answers ICMP 3:4
	ssh := conv(2, 6, "203.0.113.5", 40000, "10.0.1.10", 22)
	convs := []*flows.Conversation{udp, ssh}
	obs := observe(convs)
	frag := nacl.Packet{Src: netip.MustParseAddr("198.51.100.9"), Dst: netip.MustParseAddr("10.0.1.10"), Proto: 1, HasICMP: true, ICMPType: 3, ICMPCode: 4}
	obs.addCount(1, frag, true, flows.FrameRef{Frame: 99}, 1)
	o := opts("10.0.1.0/24")
	o.Observations = obs
	o.MaxRules = 3
	r := mustSynth(t, convs, o)
	want := "in 100 allow tcp 203.0.113.5/32 22\nin 200 allow icmp 0.0.0.0/0 3:4"
	if got := inbound(r.ACL); got != want || len(r.Merges) != 0 || pmtudWarning(r) {
		t.Errorf("inbound:\n%s\nwant:\n%s\nmerges %+v, warnings %+v", got, want, r.Merges, r.Warnings)
	}
	mustPass(t, r, obs)
}
