package nacl

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"testing"
)

var long = flag.Bool("long", false, "run the long property tests")

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func ent(dir Direction, num int, act Action, proto int, cidr string, from, to uint16) Entry {
	return Entry{RuleNumber: num, Direction: dir, Action: act, Protocol: proto, CIDR: pfx(cidr), Ports: PortRange{from, to}, ICMPType: -1, ICMPCode: -1}
}

func tcp(src, dst string, dport uint16) *Packet {
	return &Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: 6, DstPort: dport, HasPort: true}
}

// webACL is the AWS user guide's style of custom NACL, listed out of order.
func webACL() *ACL {
	icmp := ent(Ingress, 140, Allow, ProtoICMP, "0.0.0.0/0", 0, 0)
	icmp.ICMPType, icmp.ICMPCode = 3, 4
	v6icmp := ent(Ingress, 150, Allow, ProtoICMPv6, "::/0", 0, 0)
	v6icmp.ICMPType = 2
	return &ACL{ID: "acl-web", Entries: []Entry{
		ent(Ingress, 130, Deny, ProtoTCP, "0.0.0.0/0", 1024, 65535),
		ent(Ingress, 100, Allow, ProtoTCP, "0.0.0.0/0", 22, 22),
		ent(Ingress, 110, Allow, ProtoTCP, "0.0.0.0/0", 80, 80),
		ent(Ingress, 90, Deny, ProtoTCP, "198.51.100.0/24", 0, 65535),
		icmp, v6icmp,
		ent(Egress, 100, Allow, ProtoAll, "0.0.0.0/0", 0, 0),
		ent(Egress, 110, Allow, ProtoUDP, "2001:db8::/32", 1024, 65535),
	}}
}

func TestEvaluateFirstMatchInRuleOrder(t *testing.T) {
	ev := Compile(webACL())
	cases := []struct {
		name string
		dir  Direction
		p    *Packet
		act  Action
		rule int
	}{
		{"ssh allowed by 100", Ingress, tcp("203.0.113.5", "10.0.0.5", 22), Allow, 100},
		{"lower-numbered deny wins though listed later", Ingress, tcp("198.51.100.7", "10.0.0.5", 22), Deny, 90},
		{"port range deny", Ingress, tcp("203.0.113.5", "10.0.0.5", 40000), Deny, 130},
		{"unlisted port falls to default", Ingress, tcp("203.0.113.5", "10.0.0.5", 443), Deny, DefaultRuleIPv4},
		{"outbound matches destination", Egress, tcp("10.0.0.5", "203.0.113.5", 55555), Allow, 100},
		{"IPv6 never meets IPv4 entries", Egress, tcp("2001:db8::1", "2600::1", 443), Deny, DefaultRuleIPv6},
		{"IPv6 udp outbound", Egress, &Packet{Src: netip.MustParseAddr("2600::1"), Dst: netip.MustParseAddr("2001:db8::9"), Proto: 17, DstPort: 5000, HasPort: true}, Allow, 110},
		{"icmp 3/4 allowed", Ingress, &Packet{Src: netip.MustParseAddr("1.2.3.4"), Dst: netip.MustParseAddr("10.0.0.5"), Proto: 1, ICMPType: 3, ICMPCode: 4, HasICMP: true}, Allow, 140},
		{"icmp 3/3 denied", Ingress, &Packet{Src: netip.MustParseAddr("1.2.3.4"), Dst: netip.MustParseAddr("10.0.0.5"), Proto: 1, ICMPType: 3, ICMPCode: 3, HasICMP: true}, Deny, DefaultRuleIPv4},
		{"icmpv6 type 2 any code", Ingress, &Packet{Src: netip.MustParseAddr("2600::1"), Dst: netip.MustParseAddr("2001:db8::9"), Proto: 58, ICMPType: 2, ICMPCode: 7, HasICMP: true}, Allow, 150},
		// An IPv4-mapped IPv6 address is an IPv6 packet's address: IPv6
		// rules and the IPv6 default, never the IPv4 rule 110.
		{"4in6 source is IPv6", Ingress, tcp("::ffff:203.0.113.5", "::ffff:10.0.0.5", 80), Deny, DefaultRuleIPv6},
	}
	for _, c := range cases {
		d := ev.Evaluate(c.dir, c.p)
		if d.Action != c.act || d.RuleNumber != c.rule {
			t.Errorf("%s: got %s by %d, want %s by %d", c.name, d.Action, d.RuleNumber, c.act, c.rule)
		}
		if d.RuleNumber >= DefaultRuleIPv4 != d.IsDefault() {
			t.Errorf("%s: IsDefault %v for rule %d", c.name, d.IsDefault(), d.RuleNumber)
		}
		if !d.IsDefault() && ev.ACL().Entries[d.Entry].RuleNumber != d.RuleNumber {
			t.Errorf("%s: Entry %d does not name rule %d", c.name, d.Entry, d.RuleNumber)
		}
		tr := ev.Trace(c.dir, c.p)
		last := tr[len(tr)-1]
		if !last.Matched || last.RuleNumber != d.RuleNumber || last.Action != d.Action || last.Entry != d.Entry {
			t.Errorf("%s: trace ends with %+v, Evaluate said %+v", c.name, last, d)
		}
	}
}

func TestEvaluateFragments(t *testing.T) {
	acl := &ACL{Entries: []Entry{
		ent(Ingress, 100, Allow, ProtoTCP, "0.0.0.0/0", 80, 80),
		ent(Ingress, 200, Allow, ProtoTCP, "0.0.0.0/0", 0, 65535),
	}}
	ev := Compile(acl)
	frag := &Packet{Src: netip.MustParseAddr("1.1.1.1"), Dst: netip.MustParseAddr("10.0.0.1"), Proto: 6}
	d := ev.Evaluate(Ingress, frag)
	if d.RuleNumber != 200 || !d.Uncertain {
		t.Fatalf("fragment: got %+v, want rule 200 uncertain", d)
	}
	tr := ev.Trace(Ingress, frag)
	if len(tr) != 2 || tr[0].Miss != MissPort || !tr[0].Uncertain {
		t.Fatalf("trace %+v", tr)
	}
	full := tcp("1.1.1.1", "10.0.0.1", 80)
	if d := ev.Evaluate(Ingress, full); d.RuleNumber != 100 || d.Uncertain {
		t.Fatalf("whole packet: %+v", d)
	}
	icmpACL := &ACL{Entries: []Entry{{RuleNumber: 1, Protocol: 1, CIDR: pfx("0.0.0.0/0"), ICMPType: 8, ICMPCode: -1, Action: Allow}}}
	d = Compile(icmpACL).Evaluate(Ingress, &Packet{Src: netip.MustParseAddr("1.1.1.1"), Dst: netip.MustParseAddr("10.0.0.1"), Proto: 1})
	if d.Action != Deny || !d.Uncertain {
		t.Fatalf("icmp fragment: %+v", d)
	}
}

func TestTraceReasons(t *testing.T) {
	ev := Compile(webACL())
	p := tcp("198.51.100.7", "10.0.0.5", 443)
	p.Src = netip.MustParseAddr("203.0.113.9")
	tr := ev.Trace(Ingress, p)
	var got []Miss
	for _, s := range tr {
		got = append(got, s.Miss)
	}
	// 90 address, 100 port, 110 port, 130 port range 1024-65535 misses 443, 140 protocol, 150 family, default.
	want := []Miss{MissAddress, MissPort, MissPort, MissPort, MissProtocol, MissFamily, MissNone}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("step %d: got %v, want %v (%+v)", i, got[i], want[i], tr)
		}
	}
	if tr[len(tr)-1].RuleNumber != DefaultRuleIPv4 || tr[0].Why != "source 203.0.113.9 not in 198.51.100.0/24" {
		t.Fatalf("trace %+v", tr)
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	ev := Compile(randomACL(rand.New(rand.NewPCG(1, 2)), 20))
	p := tcp("10.1.2.3", "10.9.9.9", 443)
	if n := testing.AllocsPerRun(1000, func() { ev.Evaluate(Ingress, p); ev.Evaluate(Egress, p) }); n != 0 {
		t.Fatalf("Evaluate allocates %v times per run", n)
	}
}

func BenchmarkEvaluate20Rules(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	ev := Compile(randomACL(r, 20))
	pkts := make([]Packet, 1024)
	for i := range pkts {
		pkts[i] = randomPacket(r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev.Evaluate(Direction(i&1), &pkts[i&1023])
	}
}

// referenceSort returns the entries sorted by rule number (stable), the
// first half of the AWS wording: "We evaluate the rules in order, starting
// with the lowest numbered rule".
func referenceSort(acl *ACL) []Entry {
	rules := append([]Entry(nil), acl.Entries...)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].RuleNumber < rules[j].RuleNumber })
	return rules
}

// referenceEvaluate is deliberately naive, straight from the AWS wording:
// walk the sorted rules of the packet's direction and return the first that matches; IPv4 rules only see IPv4 traffic; ports
// are the destination port and only for TCP/UDP; ICMP type/code only for
// ICMP and for ICMPv6 with an IPv6 CIDR; otherwise the default denies.
func referenceEvaluate(sorted []Entry, dir Direction, p *Packet) (Action, int, bool) {
	addr := p.Src
	if dir == Egress {
		addr = p.Dst
	}
	uncertain := false
	for _, e := range sorted {
		if e.Direction != dir {
			continue
		}
		if e.CIDR.Addr().Is4() != addr.Is4() {
			continue
		}
		if e.Protocol != -1 && e.Protocol != int(p.Proto) {
			continue
		}
		if !e.CIDR.Contains(addr) {
			continue
		}
		if e.Protocol == 6 || e.Protocol == 17 {
			if !(e.Ports.From == 0 && e.Ports.To == 65535) {
				if !p.HasPort {
					uncertain = true
					continue
				}
				if p.DstPort < e.Ports.From || p.DstPort > e.Ports.To {
					continue
				}
			}
		}
		if e.Protocol == 1 || (e.Protocol == 58 && e.CIDR.Addr().Is6()) {
			if e.ICMPType != -1 {
				if !p.HasICMP {
					uncertain = true
					continue
				}
				if int(p.ICMPType) != e.ICMPType {
					continue
				}
				if e.ICMPCode != -1 && int(p.ICMPCode) != e.ICMPCode {
					continue
				}
			}
		}
		return e.Action, e.RuleNumber, uncertain
	}
	if addr.Is4() {
		return Deny, 32767, uncertain
	}
	return Deny, 32768, uncertain
}

var (
	v4Pool = []string{"0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "10.0.1.0/24", "10.0.1.128/25", "10.0.1.10/32", "192.168.0.0/16", "203.0.113.0/24"}
	v6Pool = []string{"::/0", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::10/128", "fd00::/8"}
	v4Addr = []string{"10.0.1.10", "10.0.1.200", "10.0.2.1", "10.200.0.1", "192.168.5.5", "203.0.113.9", "8.8.8.8"}
	v6Addr = []string{"2001:db8:1::10", "2001:db8:1::11", "2001:db8:2::1", "fd00::1", "2600::1"}
	protos = []int{-1, 1, 6, 17, 58, 47}
	ports  = []uint16{0, 22, 53, 80, 443, 1023, 1024, 32768, 49152, 61000, 65535}
)

// randomACL builds an ACL with n entries per direction and overlapping
// CIDRs, ports and ICMP types.
func randomACL(r *rand.Rand, n int) *ACL {
	acl := &ACL{ID: "acl-random"}
	for dir := Ingress; dir <= Egress; dir++ {
		nums := r.Perm(n * 3)
		for i := 0; i < n; i++ {
			e := Entry{RuleNumber: nums[i]*10 + 1, Direction: dir, Action: Action(r.IntN(2)), Protocol: protos[r.IntN(len(protos))], ICMPType: -1, ICMPCode: -1}
			if r.IntN(3) == 0 {
				e.CIDR = pfx(v6Pool[r.IntN(len(v6Pool))])
			} else {
				e.CIDR = pfx(v4Pool[r.IntN(len(v4Pool))])
			}
			a, b := ports[r.IntN(len(ports))], ports[r.IntN(len(ports))]
			if r.IntN(4) == 0 {
				a, b = 0, 65535
			}
			e.Ports = PortRange{min(a, b), max(a, b)}
			if r.IntN(2) == 0 {
				e.ICMPType = r.IntN(4) - 1
				if r.IntN(2) == 0 {
					e.ICMPCode = r.IntN(3) - 1
				}
			}
			acl.Entries = append(acl.Entries, e)
		}
	}
	return acl
}

// randomPacket returns a packet over the same small address and port space.
func randomPacket(r *rand.Rand) Packet {
	var p Packet
	pool := v4Addr
	if r.IntN(3) == 0 {
		pool = v6Addr
	}
	p.Src = netip.MustParseAddr(pool[r.IntN(len(pool))])
	p.Dst = netip.MustParseAddr(pool[r.IntN(len(pool))])
	pr := []uint8{1, 6, 17, 58, 47, 50}
	p.Proto = pr[r.IntN(len(pr))]
	p.DstPort = ports[r.IntN(len(ports))] + uint16(r.IntN(2))
	p.HasPort = (p.Proto == 6 || p.Proto == 17) && r.IntN(8) != 0
	p.ICMPType, p.ICMPCode = uint8(r.IntN(4)), uint8(r.IntN(3))
	p.HasICMP = (p.Proto == 1 || p.Proto == 58) && r.IntN(8) != 0
	return p
}

func TestEvaluateAgreesWithReference(t *testing.T) {
	acls, perACL := 200, 10000 // 2 million packets
	if *long {
		acls, perACL = 2000, 20000
	}
	if testing.Short() {
		acls = 20
	}
	r := rand.New(rand.NewPCG(42, 7))
	var outcomes [4]int // allow by rule, deny by rule, default, uncertain
	for a := 0; a < acls; a++ {
		acl := randomACL(r, 1+r.IntN(20))
		ev := Compile(acl)
		sorted := referenceSort(acl)
		for i := 0; i < perACL; i++ {
			p := randomPacket(r)
			dir := Direction(r.IntN(2))
			d := ev.Evaluate(dir, &p)
			act, num, unc := referenceEvaluate(sorted, dir, &p)
			if d.Action != act || d.RuleNumber != num || d.Uncertain != unc {
				t.Fatalf("ACL %d packet %+v dir %s: got %s/%d/%v, reference %s/%d/%v\nentries %+v",
					a, p, dir, d.Action, d.RuleNumber, d.Uncertain, act, num, unc, acl.Entries)
			}
			switch {
			case d.IsDefault():
				outcomes[2]++
			case d.Action == Allow:
				outcomes[0]++
			default:
				outcomes[1]++
			}
			if d.Uncertain {
				outcomes[3]++
			}
		}
	}
	// The random space must exercise every kind of outcome substantially.
	total := acls * perACL
	for i, n := range outcomes {
		if n < total/1000 {
			t.Fatalf("outcome %d seen only %d times in %d packets: %v", i, n, total, outcomes)
		}
	}
	t.Logf("%d packets: allow %d, deny %d, default %d, uncertain %d", total, outcomes[0], outcomes[1], outcomes[2], outcomes[3])
}

func TestTraceFullListsUnreachedAndOtherDirection(t *testing.T) {
	acl := webACL()
	ev := Compile(acl)
	steps := ev.TraceFull(Ingress, tcp("203.0.113.5", "10.0.0.5", 22))
	var got []string
	for _, s := range steps {
		got = append(got, fmt.Sprintf("%d:%s:%v", s.RuleNumber, s.Miss, s.Matched))
	}
	want := "90:address:false 100::true 110:not-reached:false 130:not-reached:false 140:not-reached:false 150:not-reached:false 100:direction:false 110:direction:false"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestMappedAddressIsIPv6: an IPv6 packet with IPv4-mapped addresses meets
// IPv6 entries (here ::/0 and ::ffff:203.0.113.0/120) and never IPv4 ones.
func TestMappedAddressIsIPv6(t *testing.T) {
	acl := &ACL{ID: "acl-m", Entries: []Entry{
		ent(Ingress, 100, Allow, ProtoTCP, "203.0.113.0/24", 0, 65535),
		ent(Ingress, 110, Deny, ProtoTCP, "::ffff:203.0.113.0/120", 0, 65535),
		ent(Ingress, 120, Allow, ProtoAll, "::/0", 0, 0),
	}}
	ev := Compile(acl)
	cases := []struct {
		p    *Packet
		rule int
		act  Action
	}{
		{tcp("::ffff:203.0.113.9", "2001:db8::1", 80), 110, Deny},
		{tcp("::ffff:198.51.100.9", "2001:db8::1", 80), 120, Allow},
		{tcp("203.0.113.9", "10.0.0.1", 80), 100, Allow},
	}
	for _, c := range cases {
		d := ev.Evaluate(Ingress, c.p)
		if d.RuleNumber != c.rule || d.Action != c.act {
			t.Errorf("%v: rule %d %s, want %d %s", c.p.Src, d.RuleNumber, d.Action, c.rule, c.act)
		}
	}
	// Without IPv6 entries the IPv6 default (32768) decides.
	d := Compile(&ACL{Entries: acl.Entries[:1]}).Evaluate(Ingress, tcp("::ffff:203.0.113.9", "::ffff:10.0.0.1", 80))
	if d.RuleNumber != DefaultRuleIPv6 {
		t.Errorf("mapped packet decided by %d, want %d", d.RuleNumber, DefaultRuleIPv6)
	}
}

// TestProtoUnknown: a packet cut inside its IPv6 extension headers passes
// over entries naming a protocol (uncertain) and meets protocol -1 entries.
func TestProtoUnknown(t *testing.T) {
	acl := &ACL{ID: "acl-p", Entries: []Entry{
		ent(Ingress, 100, Deny, ProtoTCP, "::/0", 0, 65535),
		ent(Ingress, 110, Allow, ProtoAll, "2001:db8::/32", 0, 0),
	}}
	ev := Compile(acl)
	p := &Packet{Src: netip.MustParseAddr("2001:db8::5"), Dst: netip.MustParseAddr("2001:db8:1::1"), Proto: 43, ProtoUnknown: true}
	d := ev.Evaluate(Ingress, p)
	if d.RuleNumber != 110 || !d.Uncertain {
		t.Errorf("got rule %d uncertain %v, want 110 uncertain", d.RuleNumber, d.Uncertain)
	}
	tr := ev.Trace(Ingress, p)
	if !tr[0].Uncertain || !strings.Contains(tr[0].Why, "protocol unknown") {
		t.Errorf("trace step %+v", tr[0])
	}
	p.ProtoUnknown = false
	if d := ev.Evaluate(Ingress, p); d.Uncertain || d.RuleNumber != 110 {
		t.Errorf("known protocol 43: %+v", d)
	}
}
