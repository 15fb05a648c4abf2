package replay

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

var diffTrials = flag.Int("diff-trials", 150, "random topologies per capture set in TestDifferentialJudge")

// This file holds a reference judge written from ../shared/docs/nacl_facts.md
// alone, without nacl/eval.go or judge.go, and a randomized test that runs
// it and the production Judge over the packets of every capture in pcaps/,
// pcaps/crafted/ and ../shared/corpus/ under random NACLs and subnet
// layouts. They must agree on every packet the reference can judge; the
// packets it cannot (a rule needs a port, ICMP type or protocol the capture
// does not hold) must be the ones the production judge marks uncertain.

// refVerdict is the reference's outcome for one packet.
type refVerdict struct {
	verdict Verdict // Allow, Deny, Exempt, NotFiltered
	rules   []int   // deciding rule of each check, in order
	judged  bool    // false: a check needed a field the packet lacks
}

// refSubnet is one subnet of the reference topology.
type refSubnet struct {
	cidrs []netip.Prefix
	acl   *nacl.ACL
}

// refTopo is the reference's view of a topology.
type refTopo struct {
	subnets []refSubnet
	vpc     []netip.Prefix
}

// refDecide walks the entries of one direction in rule-number order (first
// match wins). The family is that of the address the rule looks at: inbound
// rules the source, outbound rules the destination; an IPv4-mapped IPv6
// address is IPv6. ok is false when an entry needed a field the packet
// lacks before a decision was reached.
func refDecide(acl *nacl.ACL, egress bool, p *nacl.Packet) (allow bool, rule int, ok bool) {
	addr := p.Src
	if egress {
		addr = p.Dst
	}
	v6 := !addr.Is4()
	var es []nacl.Entry
	for _, e := range acl.Entries {
		if (e.Direction == nacl.Egress) == egress && e.CIDR.Addr().Is6() == v6 {
			es = append(es, e)
		}
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].RuleNumber < es[j].RuleNumber })
	for _, e := range es {
		if !refContains(e.CIDR, addr) {
			continue
		}
		if e.Protocol != -1 {
			if p.ProtoUnknown {
				return false, 0, false
			}
			if e.Protocol != int(p.Proto) {
				continue
			}
		}
		switch {
		case e.Protocol == 6 || e.Protocol == 17:
			if e.Ports.From != 0 || e.Ports.To != 65535 {
				if !p.HasPort {
					return false, 0, false
				}
				if p.DstPort < e.Ports.From || p.DstPort > e.Ports.To {
					continue
				}
			}
		case e.Protocol == 1 || (e.Protocol == 58 && v6):
			if e.ICMPType >= 0 {
				if !p.HasICMP {
					return false, 0, false
				}
				if int(p.ICMPType) != e.ICMPType || (e.ICMPCode >= 0 && int(p.ICMPCode) != e.ICMPCode) {
					continue
				}
			}
		}
		return e.Action == nacl.Allow, e.RuleNumber, true
	}
	if v6 {
		return false, 32768, true
	}
	return false, 32767, true
}

// refContains compares the first Bits() bits of the 16-byte forms, the
// families being equal.
func refContains(pfx netip.Prefix, a netip.Addr) bool {
	if pfx.Addr().Is4() != a.Is4() {
		return false
	}
	x, y := pfx.Addr().As16(), a.As16()
	bits := pfx.Bits()
	if pfx.Addr().Is4() {
		bits += 96
	}
	for i := 0; i < bits; i++ {
		if x[i/8]>>(7-i%8)&1 != y[i/8]>>(7-i%8)&1 {
			return false
		}
	}
	return true
}

var refFixed = []string{"169.254.169.253", "fd00:ec2::253", "169.254.169.254", "fd00:ec2::254", "169.254.169.123",
	"fd00:ec2::123", "169.254.169.250", "169.254.169.251", "169.254.170.2"}

// plus returns the prefix's first address plus n.
func plus(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

// exempt lists the addresses NACLs never filter in t: the fixed service
// addresses, the primary (first IPv4) VPC CIDR's base+2, every subnet
// CIDR's base+1 (the VPC router; IPv4 /28 or larger, IPv6 /120 or larger).
func (t *refTopo) exempt() (all, routers map[netip.Addr]bool) {
	all, routers = map[netip.Addr]bool{}, map[netip.Addr]bool{}
	for _, s := range refFixed {
		all[netip.MustParseAddr(s)] = true
	}
	for _, v := range t.vpc {
		if v.Addr().Is4() {
			if v.Bits() <= 30 {
				all[plus(v, 2)] = true
			}
			break
		}
	}
	for _, s := range t.subnets {
		for _, c := range s.cidrs {
			if (c.Addr().Is4() && c.Bits() <= 28) || (c.Addr().Is6() && c.Bits() <= 120) {
				all[plus(c, 1)] = true
				routers[plus(c, 1)] = true
			}
		}
	}
	return all, routers
}

// linkScoped: never leaves its link (an IPv4-mapped address is not).
func linkScoped(a netip.Addr) bool {
	if a.Is4In6() {
		return false
	}
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsUnspecified() ||
		a == netip.MustParseAddr("255.255.255.255")
}

// judge is the reference judgement of p.
func (t *refTopo) judge(p *nacl.Packet, all, routers map[netip.Addr]bool) refVerdict {
	if p.Proto == 17 && p.HasPort && !p.ProtoUnknown &&
		((p.Dst.Is4() && (p.DstPort == 67 || p.DstPort == 68)) || (p.Dst.Is6() && (p.DstPort == 546 || p.DstPort == 547))) {
		for _, a := range []netip.Addr{p.Src, p.Dst} {
			if !a.Is4In6() && (a == netip.MustParseAddr("255.255.255.255") || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || routers[a]) {
				return refVerdict{verdict: Exempt, judged: true}
			}
		}
	}
	if all[p.Src] || all[p.Dst] {
		return refVerdict{verdict: Exempt, judged: true}
	}
	if linkScoped(p.Src) || linkScoped(p.Dst) {
		return refVerdict{verdict: NotFiltered, judged: true}
	}
	if p.Proto == 58 && !p.ProtoUnknown && p.HasICMP && p.ICMPType >= 133 && p.ICMPType <= 137 {
		return refVerdict{verdict: NotFiltered, judged: true}
	}
	si, di := t.subnetOf(p.Src), t.subnetOf(p.Dst)
	if si < 0 && di < 0 || si == di {
		return refVerdict{verdict: NotFiltered, judged: true}
	}
	v := refVerdict{verdict: Allow, judged: true}
	for _, c := range []struct {
		idx    int
		egress bool
	}{{si, true}, {di, false}} {
		if c.idx < 0 {
			continue
		}
		allow, rule, ok := refDecide(t.subnets[c.idx].acl, c.egress, p)
		if !ok {
			return refVerdict{judged: false}
		}
		v.rules = append(v.rules, rule)
		if !allow {
			v.verdict = Deny
		}
	}
	return v
}

// subnetOf returns the subnet holding a (longest CIDR), or -1.
func (t *refTopo) subnetOf(a netip.Addr) int {
	best, bits := -1, -1
	for i, s := range t.subnets {
		for _, c := range s.cidrs {
			if refContains(c.Masked(), a) && c.Bits() > bits {
				best, bits = i, c.Bits()
			}
		}
	}
	return best
}

// diffPackets reads the NACL view of every IP packet of the capture sets
// (pcaps/, pcaps/crafted/, ../shared/corpus/ when present), deduplicated.
func diffPackets(t *testing.T) ([]nacl.Packet, []netip.Addr) {
	var files []string
	for _, pat := range []string{pcaps.Path("*.pcap"), pcaps.Path("crafted/*.pcap"),
		filepath.Join("..", "..", "..", "shared", "corpus", "*", "*.pcap*")} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	seen := map[nacl.Packet]bool{}
	var out []nacl.Packet
	addrSeen := map[netip.Addr]bool{}
	var addrs []netip.Addr
	for _, f := range files {
		for _, opts := range []capture.Options{{}, {NoDecap: true}} { // inner and outer packets of tunnels
			s, err := capture.Open([]string{f}, opts)
			if err != nil {
				continue // unreadable corpus files are the capture package's business
			}
			var p capture.Packet
			for {
				if err := s.Next(&p); err != nil {
					break
				}
				if p.Kind != capture.KindIP || !p.Src.IsValid() || !p.Dst.IsValid() {
					continue
				}
				np := FromCapture(&p)
				if !seen[np] {
					seen[np] = true
					out = append(out, np)
				}
				for _, a := range []netip.Addr{p.Src, p.Dst} {
					if !addrSeen[a] {
						addrSeen[a] = true
						addrs = append(addrs, a)
					}
				}
			}
			s.Close()
		}
	}
	if len(files) == 0 || len(out) == 0 {
		t.Skip("no captures found")
	}
	return out, addrs
}

// randPrefix returns a prefix around a (or a random one).
func randPrefix(r *rand.Rand, a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(a, []int{0, 8, 16, 24, 24, 28, 30, 32}[r.IntN(8)]).Masked()
	}
	return netip.PrefixFrom(a, []int{0, 32, 48, 56, 64, 64, 96, 120, 128}[r.IntN(9)]).Masked()
}

// randACL builds a random ACL whose CIDRs lie around observed addresses.
func randACL(r *rand.Rand, addrs []netip.Addr, id int) *nacl.ACL {
	acl := &nacl.ACL{ID: fmt.Sprintf("acl-%d", id)}
	protos := []int{-1, -1, 6, 6, 17, 17, 1, 58, 47, 50, 43}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		nums := r.Perm(40)[:r.IntN(14)]
		for _, n := range nums {
			e := nacl.Entry{RuleNumber: 10 + n*10, Direction: dir, Action: nacl.Action(r.IntN(2)), Protocol: protos[r.IntN(len(protos))],
				ICMPType: -1, ICMPCode: -1}
			a := addrs[r.IntN(len(addrs))]
			if r.IntN(4) == 0 {
				a = netip.IPv4Unspecified()
				if r.IntN(2) == 0 {
					a = netip.IPv6Unspecified()
				}
			}
			e.CIDR = randPrefix(r, a)
			if a.Is4In6() && e.CIDR.Bits() < 96 {
				e.CIDR = netip.PrefixFrom(a, 96).Masked()
			}
			switch e.Protocol {
			case 6, 17:
				switch r.IntN(4) {
				case 0:
					e.Ports = nacl.PortRange{From: 0, To: 65535}
				case 1:
					p := uint16([]int{22, 53, 80, 123, 443, 646, 2049, 7000}[r.IntN(8)])
					e.Ports = nacl.PortRange{From: p, To: p}
				case 2:
					e.Ports = nacl.PortRange{From: 1024, To: 65535}
				default:
					lo := uint16(r.IntN(65536))
					e.Ports = nacl.PortRange{From: lo, To: lo + uint16(r.IntN(int(65535-lo)+1))}
				}
			case 1, 58:
				if r.IntN(2) == 0 {
					e.ICMPType = []int{0, 3, 8, 11, 128, 129, 1, 2}[r.IntN(8)]
					if r.IntN(2) == 0 {
						e.ICMPCode = r.IntN(5)
					}
				}
			}
			acl.Entries = append(acl.Entries, e)
		}
	}
	return acl
}

// randTopo places 1-4 non-overlapping subnets around observed addresses,
// each with its own random ACL, and 0-2 VPC CIDRs.
func randTopo(r *rand.Rand, addrs []netip.Addr) (*Topology, *refTopo) {
	topo, ref := &Topology{}, &refTopo{}
	var taken []netip.Prefix
	for i, n := 0, 1+r.IntN(4); i < n; i++ {
		var cidrs []netip.Prefix
		for j, m := 0, 1+r.IntN(2); j < m; j++ {
			a := addrs[r.IntN(len(addrs))]
			var p netip.Prefix
			if a.Is4() {
				p = netip.PrefixFrom(a, []int{16, 24, 24, 28, 32}[r.IntN(5)]).Masked()
			} else {
				p = netip.PrefixFrom(a, []int{48, 64, 64, 120, 128}[r.IntN(5)]).Masked()
			}
			if slices.ContainsFunc(taken, p.Overlaps) {
				continue
			}
			taken = append(taken, p)
			cidrs = append(cidrs, p)
		}
		if len(cidrs) == 0 {
			continue
		}
		acl := randACL(r, addrs, i)
		topo.Subnets = append(topo.Subnets, Subnet{ID: fmt.Sprintf("subnet-%d", i), CIDRs: cidrs, ACL: acl})
		ref.subnets = append(ref.subnets, refSubnet{cidrs: cidrs, acl: acl})
	}
	for i, n := 0, r.IntN(3); i < n; i++ {
		a := addrs[r.IntN(len(addrs))]
		bits := 16
		if !a.Is4() {
			bits = 56
		}
		topo.VPCCIDRs = append(topo.VPCCIDRs, netip.PrefixFrom(a, bits).Masked())
	}
	ref.vpc = topo.VPCCIDRs
	return topo, ref
}

// TestDifferentialJudge: the production Judge and the reference agree on
// every packet the reference can judge, under random topologies.
func TestDifferentialJudge(t *testing.T) {
	pkts, addrs := diffPackets(t)
	r := rand.New(rand.NewPCG(10, uint64(len(pkts))))
	if s := os.Getenv("FLOWVERIFY_DIFF_SEED"); s != "" {
		var seed uint64
		fmt.Sscan(s, &seed)
		r = rand.New(rand.NewPCG(seed, 0))
	}
	var judged, unjudged, bad int
	for trial := 0; trial < *diffTrials; trial++ {
		topo, ref := randTopo(r, addrs)
		if len(topo.Subnets) == 0 {
			continue
		}
		j, err := NewJudge(topo)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		all, routers := ref.exempt()
		for i := range pkts {
			p := &pkts[i]
			got := j.Judge(p)
			want := ref.judge(p, all, routers)
			if !want.judged {
				unjudged++
				if !got.Uncertain() {
					bad++
					if bad <= 10 {
						t.Errorf("trial %d: %s %v > %v port %d/%v icmp %d/%v proto-unknown %v: reference cannot judge it, production says %s without uncertain",
							trial, nacl.ProtocolName(int(p.Proto)), p.Src, p.Dst, p.DstPort, p.HasPort, p.ICMPType, p.HasICMP, p.ProtoUnknown, got.Verdict)
					}
				}
				continue
			}
			judged++
			rules := make([]int, got.NCheck)
			for k := range rules {
				rules[k] = got.Checks[k].Rule
			}
			if got.Verdict != want.verdict || (want.verdict == Allow || want.verdict == Deny) && !slices.Equal(rules, want.rules) {
				bad++
				if bad <= 10 {
					t.Errorf("trial %d: %s %v > %v port %d/%v icmp %d/%v: production %s rules %v (%s), reference %s rules %v",
						trial, nacl.ProtocolName(int(p.Proto)), p.Src, p.Dst, p.DstPort, p.HasPort, p.ICMPType, p.HasICMP, got.Verdict, rules, got.Reason, want.verdict, want.rules)
				}
			}
		}
	}
	t.Logf("%d distinct packets, %d trials: %d judgements compared, %d not judgeable (all uncertain in production), %d disagreements",
		len(pkts), *diffTrials, judged, unjudged, bad)
	if judged == 0 {
		t.Fatal("nothing compared")
	}
}
