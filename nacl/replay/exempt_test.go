package replay

import (
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// TestAmazonDNSOnlyPrimaryIPv4 reproduces issue 10: an IPv6 --vpc-cidr's
// base+2 is not the resolver; only the primary (first) IPv4 CIDR's base+2
// is, plus 169.254.169.253 and fd00:ec2::253.
func TestAmazonDNSOnlyPrimaryIPv4(t *testing.T) {
	allowAll6 := &nacl.ACL{ID: "acl-6", Entries: []nacl.Entry{
		ent(t, "in", 100, nacl.Deny, 17, "::/0", 53, 53),
		ent(t, "out", 100, nacl.Deny, 17, "::/0", 53, 53),
		ent(t, "in", 110, nacl.Allow, -1, "0.0.0.0/0", 0, 0),
		ent(t, "out", 110, nacl.Allow, -1, "0.0.0.0/0", 0, 0),
	}}
	topo, err := SimpleTopology(allowAll6,
		[]netip.Prefix{netip.MustParsePrefix("2001:db8:10:1::/64"), netip.MustParsePrefix("10.0.1.0/24")},
		[]netip.Prefix{netip.MustParsePrefix("2001:db8:10::/56"), netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	j := mustJudge(t, topo)
	udp := func(src, dst string) nacl.Packet {
		return nacl.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: 17, DstPort: 53, HasPort: true}
	}
	cases := []struct {
		p       nacl.Packet
		verdict Verdict
		reason  string
	}{
		{udp("2001:db8:10:1::10", "2001:db8:10::2"), Deny, ""},
		{udp("2001:db8:10:1::10", "fd00:ec2::253"), Exempt, ReasonAmazonDNS},
		{udp("10.0.1.10", "10.0.0.2"), Exempt, ReasonAmazonDNS},
		{udp("10.0.1.10", "10.1.0.2"), Allow, ""}, // secondary CIDR: no resolver there
	}
	for _, c := range cases {
		got := j.Judge(&c.p)
		if got.Verdict != c.verdict || got.Reason != c.reason {
			t.Errorf("%v -> %v: %s/%s, want %s/%s", c.p.Src, c.p.Dst, got.Verdict, got.Reason, c.verdict, c.reason)
		}
	}
	if p, ok := PrimaryVPCCIDR(topo.VPCCIDRs); !ok || p != netip.MustParsePrefix("10.0.0.0/16") {
		t.Errorf("PrimaryVPCCIDR = %v %v", p, ok)
	}
}

// TestMappedAddressesAreIPv6: ::ffff:169.254.169.254 is neither the
// metadata service nor link-local, ::ffff:203.0.113.9 meets IPv6 rules.
func TestMappedAddressesAreIPv6(t *testing.T) {
	acl := &nacl.ACL{ID: "acl-m", Entries: []nacl.Entry{
		ent(t, "in", 100, nacl.Allow, -1, "0.0.0.0/0", 0, 0),
		ent(t, "out", 100, nacl.Allow, -1, "0.0.0.0/0", 0, 0),
	}}
	topo, err := SimpleTopology(acl, []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.1.0/120")}, nil)
	if err != nil {
		t.Skipf("mapped subnet CIDRs refused: %v", err)
	}
	j := mustJudge(t, topo)
	for _, src := range []string{"::ffff:169.254.169.254", "::ffff:203.0.113.9", "::ffff:169.254.1.1"} {
		p := tcpPkt(src, "::ffff:10.0.1.10", 80)
		got := j.Judge(&p)
		if got.Verdict != Deny || got.NCheck != 1 || got.Checks[0].Rule != nacl.DefaultRuleIPv6 {
			t.Errorf("%s: %s/%s %+v, want denied by the IPv6 default", src, got.Verdict, got.Reason, got.Checks[0])
		}
	}
}

// isLinkScopedRef is isLinkScoped as netip's predicates spell it (the
// reference of its IPv4 fast path).
func isLinkScopedRef(a netip.Addr) bool {
	if a.Is4In6() {
		return false
	}
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsUnspecified() || (a.Is4() && a == broadcast4)
}

// isLinkScoped's IPv4 fast path answers as netip's predicates do: on
// every address around the edges of the link-scoped ranges and on a
// spread of others, and on IPv6 and IPv4-mapped addresses.
func TestIsLinkScopedMatchesNetip(t *testing.T) {
	var addrs []netip.Addr
	for _, first := range []byte{0, 1, 10, 127, 168, 169, 170, 223, 224, 225, 239, 254, 255} {
		for _, second := range []byte{0, 1, 253, 254, 255} {
			for _, third := range []byte{0, 1, 255} {
				for _, fourth := range []byte{0, 1, 254, 255} {
					addrs = append(addrs, netip.AddrFrom4([4]byte{first, second, third, fourth}))
				}
			}
		}
	}
	for _, s := range []string{"fe80::1", "ff02::1", "ff01::1", "::", "::ffff:169.254.1.1", "::ffff:255.255.255.255", "2001:db8::1", "::ffff:0.0.0.0"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	scoped := 0
	for _, a := range addrs {
		got, want := isLinkScoped(a), isLinkScopedRef(a)
		if got != want {
			t.Errorf("isLinkScoped(%v) = %v, netip says %v", a, got, want)
		}
		if got {
			scoped++
		}
	}
	if scoped < 15 || scoped > len(addrs)-15 {
		t.Fatalf("%d of %d addresses link-scoped: the edges are not covered", scoped, len(addrs))
	}
}
