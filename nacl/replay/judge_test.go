package replay

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestJudgeSimpleWebServer(t *testing.T) {
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.10/32"))
	cases := []struct {
		name    string
		p       nacl.Packet
		verdict Verdict
		dir     nacl.Direction
		rule    int
	}{
		{"web request in", tcpPkt("198.51.100.23", "10.0.1.10", 80), Allow, nacl.Ingress, 110},
		{"web response out", tcpPkt("10.0.1.10", "198.51.100.23", 41000), Allow, nacl.Egress, 130},
		{"update request out", tcpPkt("10.0.1.10", "192.0.2.80", 443), Allow, nacl.Egress, 120},
		{"update response in", tcpPkt("192.0.2.80", "10.0.1.10", 34372), Deny, nacl.Ingress, 130},
		{"udp default deny in", nacl.Packet{Src: netip.MustParseAddr("192.0.2.9"), Dst: netip.MustParseAddr("10.0.1.10"), Proto: 17, DstPort: 5000, HasPort: true}, Deny, nacl.Ingress, nacl.DefaultRuleIPv4},
	}
	for _, c := range cases {
		got := j.Judge(&c.p)
		if got.Verdict != c.verdict || got.NCheck != 1 || got.Checks[0].Direction != c.dir || got.Checks[0].Rule != c.rule {
			t.Errorf("%s: got %+v, want %s %s rule %d", c.name, got, c.verdict, c.dir, c.rule)
		}
		if got.Checks[0].ACL != "acl-web" || got.Checks[0].Subnet != netip.MustParsePrefix("10.0.1.10/32") {
			t.Errorf("%s: check names %s %s", c.name, got.Checks[0].ACL, got.Checks[0].Subnet)
		}
	}
}

func TestJudgeExemptAndNotFiltered(t *testing.T) {
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.0/24"))
	udp := func(src, dst string, port uint16) nacl.Packet {
		return nacl.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: 17, DstPort: port, HasPort: true}
	}
	cases := []struct {
		p       nacl.Packet
		verdict Verdict
		reason  string
	}{
		{udp("10.0.1.10", "10.0.0.2", 53), Exempt, ReasonAmazonDNS},
		{udp("10.0.0.2", "10.0.1.10", 40000), Exempt, ReasonAmazonDNS},
		{udp("10.0.1.10", "169.254.169.253", 53), Exempt, ReasonAmazonDNS},
		{tcpPkt("10.0.1.10", "169.254.169.254", 80), Exempt, ReasonMetadata},
		{udp("169.254.169.123", "10.0.1.10", 40000), Exempt, ReasonTimeSync},
		{tcpPkt("10.0.1.10", "169.254.169.250", 1688), Exempt, ReasonWindowsActivation},
		{udp("0.0.0.0", "255.255.255.255", 67), Exempt, ReasonDHCP},
		{tcpPkt("10.0.1.10", "10.0.1.1", 80), Exempt, ReasonVPCRouter},
		{tcpPkt("fd00:ec2::254", "2001:db8::1", 40000), Exempt, ReasonMetadata},
		{tcpPkt("10.0.1.10", "10.0.1.20", 5000), NotFiltered, ReasonSameSubnet},
		{tcpPkt("192.0.2.1", "192.0.2.2", 5000), NotFiltered, ReasonNotCrossing},
		{udp("10.0.1.10", "224.0.0.251", 5353), NotFiltered, ReasonLinkLocal},
		{nacl.Packet{Src: netip.MustParseAddr("2001:db8::10"), Dst: netip.MustParseAddr("2001:db8::1"), Proto: 58, HasICMP: true, ICMPType: 135}, NotFiltered, ReasonNDP},
	}
	for _, c := range cases {
		got := j.Judge(&c.p)
		if got.Verdict != c.verdict || got.Reason != c.reason || got.NCheck != 0 {
			t.Errorf("%v -> %v: got %s/%s (%d checks), want %s/%s", c.p.Src, c.p.Dst, got.Verdict, got.Reason, got.NCheck, c.verdict, c.reason)
		}
	}
	// Without --vpc-cidr, VPC base+2 is not known to be the resolver.
	topo := simple(t, webACL(t), "10.0.1.0/24")
	topo.VPCCIDRs = nil
	j2 := mustJudge(t, topo)
	p := udp("10.0.1.10", "10.0.0.2", 53)
	if got := j2.Judge(&p); got.Verdict != Deny {
		t.Errorf("without VPC CIDR DNS to 10.0.0.2 should be judged (default deny), got %s/%s", got.Verdict, got.Reason)
	}
}

func TestJudgeVPCTwoChecks(t *testing.T) {
	a, d := nacl.Allow, nacl.Deny
	aclA := &nacl.ACL{ID: "acl-a", VPCID: "vpc-1", Subnets: []string{"subnet-a"}, Entries: []nacl.Entry{
		ent(t, "out", 100, a, -1, "0.0.0.0/0", 0, 0),
		ent(t, "in", 100, a, -1, "0.0.0.0/0", 0, 0),
	}}
	aclB := &nacl.ACL{ID: "acl-b", VPCID: "vpc-1", IsDefault: true, Entries: []nacl.Entry{
		ent(t, "in", 100, a, 6, "10.0.1.0/24", 5432, 5432),
		ent(t, "out", 100, d, 6, "10.0.1.0/24", 32768, 60999),
		ent(t, "out", 200, a, -1, "0.0.0.0/0", 0, 0),
	}}
	subnets := []SubnetInfo{
		{ID: "subnet-a", VPCID: "vpc-1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}},
		{ID: "subnet-b", VPCID: "vpc-1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.2.0/24")}},
		{ID: "subnet-x", VPCID: "vpc-other", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")}},
	}
	topo, skipped, err := VPCTopology([]*nacl.ACL{aclA, aclB}, subnets, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || len(topo.Subnets) != 2 || topo.Subnets[1].ACL != aclB {
		t.Fatalf("topology: %d subnets, skipped %v", len(topo.Subnets), skipped)
	}
	j := mustJudge(t, topo)
	req := tcpPkt("10.0.1.10", "10.0.2.20", 5432)
	got := j.Judge(&req)
	if got.Verdict != Allow || got.NCheck != 2 || got.Checks[0].ACL != "acl-a" || got.Checks[0].Direction != nacl.Egress ||
		got.Checks[1].ACL != "acl-b" || got.Checks[1].Direction != nacl.Ingress || got.Checks[1].SubnetID != "subnet-b" {
		t.Errorf("request: %+v", got)
	}
	resp := tcpPkt("10.0.2.20", "10.0.1.10", 40000)
	got = j.Judge(&resp)
	if got.Verdict != Deny || got.NCheck != 2 || got.Checks[0].ACL != "acl-b" || got.Checks[0].Action != nacl.Deny ||
		got.Checks[0].Rule != 100 || got.Checks[1].Action != nacl.Allow {
		t.Errorf("response: %+v", got)
	}
	// A subnet of a VPC that has ACLs but neither association nor default is an error.
	aclB.IsDefault = false
	if _, _, err := VPCTopology([]*nacl.ACL{aclA, aclB}, subnets, nil); err == nil {
		t.Error("want an error for subnet-b without ACL")
	}
}

func TestJudgeIPv6AndFragments(t *testing.T) {
	acl := &nacl.ACL{ID: "acl-6", Entries: []nacl.Entry{
		ent(t, "in", 100, nacl.Allow, 6, "::/0", 80, 80),
		ent(t, "in", 110, nacl.Allow, 6, "0.0.0.0/0", 0, 65535),
	}}
	j := mustJudge(t, simple(t, acl, "2001:db8:10:1::/64", "10.0.1.0/24"))
	p := tcpPkt("2001:db8:beef::100", "2001:db8:10:1::10", 8080)
	if got := j.Judge(&p); got.Verdict != Deny || got.Checks[0].Rule != nacl.DefaultRuleIPv6 || got.Checks[0].Entry != -1 {
		t.Errorf("ipv6 8080: %+v", got)
	}
	p = tcpPkt("2001:db8:beef::100", "2001:db8:10:1::10", 80)
	if got := j.Judge(&p); got.Verdict != Allow || got.Checks[0].Rule != 100 {
		t.Errorf("ipv6 80: %+v", got)
	}
	frag := nacl.Packet{Src: netip.MustParseAddr("2001:db8:beef::100"), Dst: netip.MustParseAddr("2001:db8:10:1::10"), Proto: 6}
	got := j.Judge(&frag)
	if !got.Uncertain() || got.Verdict != Deny {
		t.Errorf("non-first fragment: want uncertain deny, got %+v", got)
	}
}

func TestNewJudgeErrors(t *testing.T) {
	if _, err := NewJudge(&Topology{Subnets: []Subnet{{ID: "s", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}}}}); err == nil {
		t.Error("subnet without ACL accepted")
	}
	acl := webACL(t)
	_, err := NewJudge(&Topology{Subnets: []Subnet{
		{ID: "a", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}, ACL: acl},
		{ID: "b", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}, ACL: acl},
	}})
	if err == nil {
		t.Error("duplicate CIDR accepted")
	}
}

func TestJudgeDoesNotAllocate(t *testing.T) {
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.10/32"))
	p := tcpPkt("192.0.2.80", "10.0.1.10", 34372)
	n := testing.AllocsPerRun(100, func() { _ = j.Judge(&p) })
	if n != 0 {
		t.Errorf("Judge allocates %v times per call", n)
	}
}

func BenchmarkJudge(b *testing.B) {
	j := mustJudge(b, simple(b, webACL(b), "10.0.1.10/32"))
	p := tcpPkt("192.0.2.80", "10.0.1.10", 34372)
	b.ReportAllocs()
	for b.Loop() {
		_ = j.Judge(&p)
	}
}

func TestSubnetsFromCIDRs(t *testing.T) {
	ps := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	cases := []struct {
		in   []netip.Prefix
		want [][]netip.Prefix
	}{
		{ps("10.0.1.0/24"), [][]netip.Prefix{ps("10.0.1.0/24")}},
		{ps("10.0.1.0/24", "10.0.2.0/24"), [][]netip.Prefix{ps("10.0.1.0/24"), ps("10.0.2.0/24")}},
		// Exactly one IPv4 and one IPv6 CIDR: one dual-stack subnet.
		{ps("10.0.1.0/24", "2001:db8:1::/64"), [][]netip.Prefix{ps("10.0.1.0/24", "2001:db8:1::/64")}},
		{ps("2001:db8:1::/64", "2001:db8:2::/64"), [][]netip.Prefix{ps("2001:db8:1::/64"), ps("2001:db8:2::/64")}},
		{ps("10.0.1.0/24", "10.0.2.0/24", "2001:db8:1::/64"), [][]netip.Prefix{ps("10.0.1.0/24"), ps("10.0.2.0/24"), ps("2001:db8:1::/64")}},
		// Masked and deduplicated.
		{ps("10.0.1.7/24", "10.0.1.0/24", "2001:db8:1::5/64"), [][]netip.Prefix{ps("10.0.1.0/24", "2001:db8:1::/64")}},
		{nil, [][]netip.Prefix{}},
	}
	for _, c := range cases {
		got := SubnetsFromCIDRs(c.in)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("SubnetsFromCIDRs(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Two --subnet CIDRs sharing one NACL are two subnets: traffic between
// them meets the source's outbound rules, then the destination's inbound
// rules (fact sheet 1.7).
func TestJudgeSimpleSeveralSubnets(t *testing.T) {
	topo := simple(t, webACL(t), "10.0.1.0/24", "10.0.2.0/24")
	if len(topo.Subnets) != 2 || topo.Subnets[0].ID != "10.0.1.0/24" || topo.Subnets[1].ID != "10.0.2.0/24" {
		t.Fatalf("subnets %+v", topo.Subnets)
	}
	j := mustJudge(t, topo)
	p := tcpPkt("10.0.1.5", "10.0.2.5", 5432)
	got := j.Judge(&p)
	if got.Verdict != Deny || got.NCheck != 2 ||
		got.Checks[0].Direction != nacl.Egress || got.Checks[0].SubnetID != "10.0.1.0/24" || got.Checks[0].Action != nacl.Allow || got.Checks[0].Rule != 130 ||
		got.Checks[1].Direction != nacl.Ingress || got.Checks[1].SubnetID != "10.0.2.0/24" || got.Checks[1].Action != nacl.Deny || got.Checks[1].Rule != 130 {
		t.Errorf("10.0.1.5 -> 10.0.2.5:5432: %+v", got)
	}
	p = tcpPkt("10.0.2.5", "10.0.2.6", 5432)
	if got := j.Judge(&p); got.Verdict != NotFiltered || got.Reason != ReasonSameSubnet {
		t.Errorf("inside 10.0.2.0/24: %s/%s", got.Verdict, got.Reason)
	}
	// Both subnets' routers are exempt.
	p = tcpPkt("10.0.2.5", "10.0.2.1", 80)
	if got := j.Judge(&p); got.Verdict != Exempt || got.Reason != ReasonVPCRouter {
		t.Errorf("router of 10.0.2.0/24: %s/%s", got.Verdict, got.Reason)
	}
	// A dual-stack pair stays one subnet.
	ds := simple(t, webACL(t), "10.0.1.0/24", "2001:db8:1::/64")
	if len(ds.Subnets) != 1 || ds.Subnets[0].ID != "10.0.1.0/24,2001:db8:1::/64" || len(ds.Subnets[0].CIDRs) != 2 {
		t.Errorf("dual-stack: %+v", ds.Subnets)
	}
}

// Only Amazon DHCP is exempt: DHCP to or from a relay or a DHCP server
// elsewhere is filtered like any other traffic (fact sheet 1.6).
func TestJudgeDHCPOnlyAmazon(t *testing.T) {
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.0/24", "2001:db8:1::/64"))
	udp := func(src, dst string, port uint16) nacl.Packet {
		return nacl.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: 17, DstPort: port, HasPort: true}
	}
	cases := []struct {
		name    string
		p       nacl.Packet
		verdict Verdict
		reason  string
	}{
		{"discover", udp("0.0.0.0", "255.255.255.255", 67), Exempt, ReasonDHCP},
		{"request broadcast", udp("10.0.1.10", "255.255.255.255", 67), Exempt, ReasonDHCP},
		{"renew to the VPC router", udp("10.0.1.10", "10.0.1.1", 67), Exempt, ReasonDHCP},
		{"ack from the VPC router", udp("10.0.1.1", "10.0.1.10", 68), Exempt, ReasonDHCP},
		{"dhcpv6 solicit", udp("fe80::1", "ff02::1:2", 547), Exempt, ReasonDHCP},
		{"dhcpv6 reply", udp("fe80::2", "fe80::1", 546), Exempt, ReasonDHCP},
		{"renew to an on-prem server", udp("10.0.1.10", "192.168.5.5", 67), Deny, ""},
		{"ack from an on-prem server", udp("192.168.5.5", "10.0.1.10", 68), Deny, ""},
		{"relay to a server in another subnet", udp("10.0.1.20", "10.0.9.5", 67), Deny, ""},
		{"dhcpv6 to a server elsewhere", udp("2001:db8:1::10", "2001:db8:9::5", 547), Deny, ""},
	}
	for _, c := range cases {
		got := j.Judge(&c.p)
		if got.Verdict != c.verdict || got.Reason != c.reason {
			t.Errorf("%s: got %s/%s, want %s/%s", c.name, got.Verdict, got.Reason, c.verdict, c.reason)
		}
	}
}
