package synth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
)

// randomConvs builds n conversations between a subnet 10.1.0.0/24 (and
// 2001:db8:1::/64) and random peers, with random services, client ports,
// protocols, directions and states.
func randomConvs(rng *rand.Rand, n, peers, ports int) []*flows.Conversation {
	out := make([]*flows.Conversation, 0, n)
	for i := 0; i < n; i++ {
		v6 := rng.IntN(5) == 0
		local := fmt.Sprintf("10.1.0.%d", 1+rng.IntN(20))
		remote := fmt.Sprintf("%d.%d.%d.%d", 11+rng.IntN(180), rng.IntN(256), rng.IntN(256), 1+rng.IntN(peers))
		if peers <= 256 {
			remote = fmt.Sprintf("198.%d.%d.%d", 18+rng.IntN(2), rng.IntN(3), 1+rng.IntN(peers))
		}
		if v6 {
			local = fmt.Sprintf("2001:db8:1::%x", 1+rng.IntN(20))
			remote = fmt.Sprintf("2001:db8:%x::%x", 2+rng.IntN(4), 1+rng.IntN(peers))
		}
		proto := uint8(6)
		switch rng.IntN(6) {
		case 0:
			proto = 17
		case 1:
			c := echo(i+1, local, remote)
			if rng.IntN(2) == 0 {
				c = echo(i+1, remote, local)
			}
			out = append(out, c)
			continue
		case 2:
			proto = 47 // GRE
		}
		service := uint16([]int{22, 53, 80, 443, 8080, 5432}[rng.IntN(6)])
		if ports > 6 {
			service = uint16(1000 + rng.IntN(ports))
		}
		var cport uint16
		switch rng.IntN(4) {
		case 0:
			cport = uint16(32768 + rng.IntN(28232))
		case 1:
			cport = uint16(49152 + rng.IntN(16384))
		case 2:
			cport = uint16(1025 + rng.IntN(3976))
		default:
			cport = uint16(rng.IntN(65536))
		}
		client, server := local, remote
		if rng.IntN(2) == 0 {
			client, server = remote, local
		}
		c := conv(i+1, proto, client, cport, server, service)
		if proto == 47 {
			c.Client.Port, c.Server.Port = 0, 0
		}
		switch rng.IntN(8) {
		case 0:
			if proto == 6 {
				c.State = flows.StateRejected
			}
		case 1:
			c.ToClient = flows.DirStats{}
			if proto == 6 {
				c.State = flows.StateUnanswered
			} else {
				c.State = flows.StateOneWay
			}
		case 2:
			c.Confidence = flows.Low
		}
		out = append(out, c)
	}
	return out
}

func TestPropertyRandomConversations(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(300)
		convs := randomConvs(rng, n, 1+rng.IntN(40), []int{6, 50, 400}[rng.IntN(3)])
		o := opts("10.1.0.0/24", "2001:db8:1::/64")
		o.MaxRules = 2 + rng.IntN(HardMaxRules-1)
		o.MaxPeers = 1 + rng.IntN(30)
		o.IncludeFailed = rng.IntN(3) == 0
		r := mustSynth(t, convs, o)
		// Every observed packet of a used conversation is allowed.
		mustPass(t, r, observe(convs))
		// Rule counts within budget, per direction and family.
		perGroup := map[groupKey]int{}
		for _, e := range r.ACL.Entries {
			perGroup[groupKey{e.Direction, e.IsIPv6()}]++
		}
		for k, n := range perGroup {
			// Over budget only when every further merge would open a port
			// a failed conversation found closed, and then with a warning.
			if n+1 > o.MaxRules && !hasMsg(r.Warnings, func(m *Message) bool {
				return m.Kind == MsgOverQuota && m.Direction == k.dir && m.IPv6 == k.v6 && m.Count == n+1
			}) {
				t.Errorf("seed %d: %s %s: %d rules + default > budget %d", seed, k.dir, family(k.v6), n, o.MaxRules)
			}
		}
		// Same result for any order of the input.
		want := render(t, r)
		for i := 0; i < 3; i++ {
			shuffled := append([]*flows.Conversation(nil), convs...)
			rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
			if got := render(t, mustSynth(t, shuffled, o)); got != want {
				t.Fatalf("seed %d: output differs for a shuffled input:\n%s\nvs\n%s", seed, got, want)
			}
		}
	}
}

// render is everything a user sees of a result: entries with comments
// and what the report shows.
func render(t testing.TB, r *Result) string {
	var b strings.Builder
	for _, e := range r.ACL.Entries {
		fmt.Fprintf(&b, "%s # %s\n", ruleText(e), e.Comment)
	}
	b.WriteString(dump(r, nil))
	return b.String()
}

func TestOverBudgetManyPeersAndPorts(t *testing.T) {
	var convs []*flows.Conversation
	id := 0
	for p := 0; p < 300; p++ {
		for s := 0; s < 3; s++ {
			id++
			peer := netip.AddrFrom4([4]byte{byte(20 + p%50), byte(p), 7, byte(1 + p%200)})
			convs = append(convs, conv(id, 6, peer.String(), uint16(33000+id), "10.1.0.5", uint16(2000+(p*7+s*131)%500)))
		}
	}
	o := opts("10.1.0.0/24")
	o.MaxPeers = 1000
	r := mustSynth(t, convs, o)
	for _, c := range r.Counts {
		if c.Rules > o.MaxRules {
			t.Errorf("%s %s: %d rules > %d", c.Direction, family(c.IPv6), c.Rules, o.MaxRules)
		}
	}
	if len(r.Merges) < 100 {
		t.Errorf("only %d lossy merges reported for 900 peer/port pairs", len(r.Merges))
	}
	for _, m := range r.Merges {
		if m.Added <= 0 || m.A == "" || m.To == "" {
			t.Fatalf("bad merge record %+v", m)
		}
	}
	if r.OverBits <= 0 {
		t.Errorf("over-permission %.1f bits after lossy merges", r.OverBits)
	}
	mustPass(t, r, observe(convs))
	// A larger quota needs fewer lossy merges and admits less.
	o.MaxRules = HardMaxRules
	r40 := mustSynth(t, convs, o)
	if len(r40.Merges) >= len(r.Merges) || r40.OverPermission > r.OverPermission {
		t.Errorf("quota 40: %d merges, %.1f bits; quota 20: %d merges, %.1f bits", len(r40.Merges), r40.OverBits, len(r.Merges), r.OverBits)
	}
	mustPass(t, r40, observe(convs))
}

func BenchmarkSynthesizeMillion(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	convs := make([]*flows.Conversation, 0, 1_000_000)
	for i := 0; i < 1_000_000; i++ {
		peer := netip.AddrFrom4([4]byte{byte(11 + rng.IntN(180)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(250))})
		local := netip.AddrFrom4([4]byte{10, 1, 0, byte(1 + rng.IntN(50))})
		c := conv(i+1, 6, peer.String(), uint16(32768+rng.IntN(28000)), local.String(), []uint16{80, 443, 22, 8443}[rng.IntN(4)])
		if i%3 == 0 {
			c = conv(i+1, 6, local.String(), uint16(32768+rng.IntN(28000)), peer.String(), 443)
		}
		convs = append(convs, c)
	}
	o := opts("10.1.0.0/24")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Synthesize(convs, o)
		if err != nil || len(r.ACL.Entries) == 0 {
			b.Fatal(err)
		}
	}
}
