package synth

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// TestRulesOnly: the held-out estimate's synthesis, which skips what only
// a report shows (rulesOnly), makes the rules, decisions and served ports
// of the full synthesis, and its held-out replay is the full one's; it
// leaves out the client ranges and the merge texts.
func TestRulesOnly(t *testing.T) {
	type sample struct {
		name string
		rec  *replay.Recording
		opts Options
	}
	var samples []sample
	for _, c := range []struct{ name, subnet string }{{"webserver.pcap", "10.0.1.0/24"}, {"twotier.pcap", "10.0.1.0/24"},
		{"portscan.pcap", "10.0.1.0/24"}, {"ipv6.pcap", "2001:db8:10:1::/64"}} {
		name, rec := c.name, record(t, c.name)
		samples = append(samples, sample{name, rec, sampleOpts(c.subnet)})
		o := sampleOpts(c.subnet)
		o.Peers, o.MaxRules = PeersExact, 6
		samples = append(samples, sample{name + " exact, 6 rules", rec, o})
	}
	many := recordMany(5000, 300)
	samples = append(samples, sample{"5000 conversations", many, sampleOpts("10.0.1.0/24")})
	for _, s := range samples {
		cut, ok := HoldoutCut(s.rec, 0.3)
		if !ok {
			t.Fatalf("%s: no time span", s.name)
		}
		eo := s.opts
		eo.Observations = FromRecording(s.rec)
		eo.Learn = Learned(cut)
		full, err := synthesize(recSource{s.rec}, eo, true, false)
		if err != nil {
			t.Fatal(err)
		}
		lean, err := synthesize(recSource{s.rec}, eo, true, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(lean.ACL, full.ACL) || !reflect.DeepEqual(lean.Rules, full.Rules) ||
			!reflect.DeepEqual(lean.Decisions, full.Decisions) || !reflect.DeepEqual(lean.served, full.served) ||
			!reflect.DeepEqual(lean.OutsideForced, full.OutsideForced) || !reflect.DeepEqual(lean.forcedOut, full.forcedOut) {
			t.Errorf("%s: the rules-only synthesis differs from the full one", s.name)
		}
		t.Logf("%s: %d rules, %d client ranges, %d merges", s.name, len(full.Rules), len(full.Clients), len(full.Merges))
		if lean.Clients != nil || len(full.Clients) == 0 {
			t.Errorf("%s: %d client ranges (full: %d), want none", s.name, len(lean.Clients), len(full.Clients))
		}
		if len(lean.Merges) != len(full.Merges) {
			t.Errorf("%s: %d merges, full %d", s.name, len(lean.Merges), len(full.Merges))
		}
		for i := range lean.Merges {
			m := full.Merges[i]
			m.A, m.B, m.To = "", "", ""
			if lean.Merges[i] != m {
				t.Errorf("%s merge %d: %+v, full %+v", s.name, i, lean.Merges[i], full.Merges[i])
			}
		}
		ul, err := replayHoldout(lean, s.rec, cut, 0.3, true)
		if err != nil {
			t.Fatal(err)
		}
		uf, err := replayHoldout(full, s.rec, cut, 0.3, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ul, uf) {
			t.Errorf("%s: held-out replay of the rules-only synthesis %+v, full %+v", s.name, ul, uf)
		}
	}
}

// TestRulesOnlyMerges: with scattered exact peers over a small budget
// (lossy merges), the rules-only synthesis makes the full one's rules and
// merges without their texts, and replaying other conversations against
// both gives the same result.
func TestRulesOnlyMerges(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var convs, later []*flows.Conversation
	for i := range 600 {
		client := netip.AddrFrom4([4]byte{byte(1 + rng.IntN(200)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(250))}).String()
		port := []uint16{22, 443, 8443, 5432}[rng.IntN(4)]
		c := conv(i+1, []uint8{6, 17}[rng.IntN(2)], client, uint16(1024+rng.IntN(60000)), "10.0.1.10", port)
		if i%5 == 4 {
			if i%25 == 4 {
				c = conv(i+1, 47, client, 0, "10.0.1.10", 0) // GRE: no rule allows it
			}
			later = append(later, c)
		} else {
			convs = append(convs, c)
		}
	}
	o := opts("10.0.1.0/24")
	o.MaxRules = 6
	o.Observations = observe(convs)
	full, err := synthesize(sliceSource(convs), o, false, false)
	if err != nil {
		t.Fatal(err)
	}
	lean, err := synthesize(sliceSource(convs), o, false, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Merges) == 0 {
		t.Fatal("no lossy merge: the test needs some")
	}
	if !reflect.DeepEqual(lean.ACL, full.ACL) || !reflect.DeepEqual(lean.Rules, full.Rules) || lean.Clients != nil {
		t.Errorf("the rules-only synthesis differs from the full one (%d client ranges)", len(lean.Clients))
	}
	if len(lean.Merges) != len(full.Merges) {
		t.Fatalf("%d merges, full %d", len(lean.Merges), len(full.Merges))
	}
	for i := range lean.Merges {
		m := full.Merges[i]
		if m.A == "" || m.To == "" {
			t.Errorf("full merge %d without texts: %+v", i, m)
		}
		m.A, m.B, m.To = "", "", ""
		if lean.Merges[i] != m {
			t.Errorf("merge %d: %+v, full %+v", i, lean.Merges[i], full.Merges[i])
		}
	}
	ul, err := ReplayConversations(lean, later, observe(later), "later")
	if err != nil {
		t.Fatal(err)
	}
	uf, err := ReplayConversations(full, later, observe(later), "later")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ul, uf) || len(uf.Denied) == 0 {
		t.Errorf("replay of later conversations: rules-only %d denials, full %d (want the same, some)", len(ul.Denied), len(uf.Denied))
	}
}
