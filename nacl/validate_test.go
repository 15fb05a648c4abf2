package nacl

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	at := func(line int) Pos { return Pos{File: "f", Line: line} }
	e := func(line int, dir Direction, num, proto int, cidr string) Entry {
		en := Entry{RuleNumber: num, Direction: dir, Protocol: proto, ICMPType: -1, ICMPCode: -1, Pos: at(line)}
		if cidr != "" {
			en.CIDR = netip.MustParsePrefix(cidr)
		}
		return en
	}
	acl := &ACL{Entries: []Entry{
		e(1, Ingress, 100, 6, "10.0.0.0/8"),
		e(2, Ingress, 100, -1, "::/0"),     // duplicate across families
		e(3, Egress, 100, -1, "0.0.0.0/0"), // same number, other direction: fine
		e(4, Ingress, 0, -1, "0.0.0.0/0"),
		e(5, Ingress, 32767, -1, "0.0.0.0/0"),
		e(6, Ingress, 7, 300, "0.0.0.0/0"),
		e(7, Ingress, 8, -1, ""),
		e(8, Ingress, 9, -1, "10.1.2.3/8"),
		e(9, Ingress, 10, 1, "10.0.0.0/8"),
		e(10, Ingress, 11, 58, "10.0.0.0/8"),
	}}
	acl.Entries[0].Ports = PortRange{90, 80}
	acl.Entries[8].ICMPType, acl.Entries[8].ICMPCode = 256, -1
	var got []string
	for _, d := range DuplicateRuleNumbers(acl) {
		got = append(got, string(d.Severity)+" "+d.Error())
	}
	wantDup := []string{
		"error f:2: RuleNumber: duplicate inbound rule number 100 (also at f:1) (AWS numbers entries per direction; UNCONFIRMED whether an IPv4 and an IPv6 entry may share a number)",
		"error f:1: RuleNumber: duplicate inbound rule number 100 (also at f:2) (AWS numbers entries per direction; UNCONFIRMED whether an IPv4 and an IPv6 entry may share a number)",
	}
	if !reflect.DeepEqual(got, wantDup) {
		t.Fatalf("duplicates: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantDup, "\n"))
	}
	got = nil
	for _, d := range Validate(acl) {
		got = append(got, string(d.Severity)+" "+d.Error())
	}
	want := []string{
		"error f:1: PortRange: port range 90-80: From is greater than To",
		"error f:4: RuleNumber: rule number 0 outside 1-32766",
		"error f:5: RuleNumber: rule 32767 is the implicit default deny rule; it cannot be listed among the entries",
		"error f:6: Protocol: protocol 300 outside -1..255",
		"error f:7: CidrBlock: missing CidrBlock or Ipv6CidrBlock",
		"warning f:8: CidrBlock: 10.1.2.3/8 is not canonical; AWS stores 10.0.0.0/8",
		"error f:9: IcmpTypeCode: ICMP type 256 outside -1..255",
		"warning f:10: Protocol: ICMPv6 (58) with IPv4 CIDR 10.0.0.0/8: AWS ignores the ICMP type/code and matches every type, but IPv4 entries only ever see IPv4 packets, so this entry only matches IPv4 packets carrying protocol 58 (never ICMPv6, which travels over IPv6)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !HasErrors(Validate(acl)) {
		t.Fatal("HasErrors false")
	}
}

// TestICMPv6OnIPv4Entry checks what Validate says about protocol 58 with
// an IPv4 CIDR against the evaluator: the entry matches IPv4 packets of
// protocol 58 whatever their type, and never an ICMPv6 (IPv6) packet.
func TestICMPv6OnIPv4Entry(t *testing.T) {
	acl := &ACL{Entries: []Entry{{RuleNumber: 100, Direction: Ingress, Action: Allow, Protocol: ProtoICMPv6,
		CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: 2, ICMPCode: 0}}}
	ds := Validate(acl)
	if len(ds) != 1 || !strings.Contains(ds[0].Msg, "ignores the ICMP type/code and matches every type") ||
		!strings.Contains(ds[0].Msg, "only matches IPv4 packets carrying protocol 58") || strings.Contains(ds[0].Msg, "never matches") {
		t.Fatalf("diagnostics %v", ds)
	}
	ev := Compile(acl)
	v4 := Packet{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("10.0.0.1"), Proto: ProtoICMPv6,
		ICMPType: 135, HasICMP: true}
	if d := ev.Evaluate(Ingress, &v4); d.RuleNumber != 100 || d.Action != Allow {
		t.Errorf("IPv4 packet of protocol 58, type 135: decided by rule %d (%s), want 100 (type ignored)", d.RuleNumber, d.Action)
	}
	v6 := Packet{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Proto: ProtoICMPv6,
		ICMPType: 2, HasICMP: true}
	if d := ev.Evaluate(Ingress, &v6); d.RuleNumber != DefaultRuleIPv6 {
		t.Errorf("ICMPv6 packet: decided by rule %d, want the IPv6 default rule", d.RuleNumber)
	}
}

func TestFieldParsers(t *testing.T) {
	p, warn, err := ParseCIDR("100.68.0.18/18")
	if err != nil || p != netip.MustParsePrefix("100.68.0.0/18") || warn != "100.68.0.18/18 is not canonical; AWS stores 100.68.0.0/18" {
		t.Fatalf("ParseCIDR: %v %q %v", p, warn, err)
	}
	// An IPv4-mapped prefix is an IPv6 prefix (an IPv6 packet with such
	// addresses meets it), accepted with a warning, never turned into IPv4.
	if p, warn, err := ParseCIDR("::ffff:1.2.3.4/128"); err != nil || p != netip.MustParsePrefix("::ffff:1.2.3.4/128") || !strings.Contains(warn, "IPv4-mapped") {
		t.Errorf("ParseCIDR(mapped) = %v %q %v", p, warn, err)
	}
	for _, bad := range []string{"10.0.0.1", "fe80::1%eth0/64", "1.2.3.4/33", ""} {
		if _, _, err := ParseCIDR(bad); err == nil {
			t.Errorf("ParseCIDR(%q) accepted", bad)
		}
	}
	for s, want := range map[string]int{"TCP": 6, "-1": -1, "all": -1, "58": 58, "icmp6": 58, "255": 255} {
		if n, err := ParseProtocol(s); err != nil || n != want {
			t.Errorf("ParseProtocol(%q) = %d, %v", s, n, err)
		}
	}
	for _, bad := range []string{"256", "-2", "tcpx", ""} {
		if _, err := ParseProtocol(bad); err == nil {
			t.Errorf("ParseProtocol(%q) accepted", bad)
		}
	}
	for s, want := range map[string]PortRange{"22": {22, 22}, "1024-65535": {1024, 65535}, "all": {0, 65535}} {
		if r, err := ParsePorts(s); err != nil || r != want {
			t.Errorf("ParsePorts(%q) = %v, %v", s, r, err)
		}
	}
	for _, bad := range []string{"-1", "5-", "+5", "10-5", "65536", "1--2", "a"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) accepted", bad)
		}
	}
	def := Entry{RuleNumber: 32768, Action: Deny, Protocol: -1, CIDR: netip.MustParsePrefix("::/0")}
	if err := CheckDefaultEntry(&def); err != nil {
		t.Fatal(err)
	}
	def.Action = Allow
	if err := CheckDefaultEntry(&def); err == nil {
		t.Fatal("allow-all 32768 accepted")
	}
}

func TestParsePacket(t *testing.T) {
	cases := map[string]string{
		"tcp 198.51.100.20:80 > 10.0.1.10:34372":       "tcp 198.51.100.20:80 > 10.0.1.10:34372",
		"udp [2001:db8::1]:53->[2001:db8:1::10]:40000": "udp [2001:db8::1]:53 > [2001:db8:1::10]:40000",
		"icmp 1.2.3.4 > 10.0.1.10 type 8 code 0":       "icmp 1.2.3.4 > 10.0.1.10 type 8 code 0",
		"ICMPv6 2001:db8::1 > 2001:db8:1::10 type 128": "icmpv6 2001:db8::1 > 2001:db8:1::10 type 128 code 0",
		"47 10.0.0.1 > 10.0.2.1":                       "47 10.0.0.1 > 10.0.2.1",
		"6 1.2.3.4 > 10.0.1.10 fragment":               "tcp 1.2.3.4 > 10.0.1.10 fragment",
		"tcp 1.2.3.4 > 10.0.1.10:22":                   "tcp 1.2.3.4 > 10.0.1.10:22",
		// An IPv4-mapped IPv6 address is IPv6: the packet stays IPv6.
		"tcp ::ffff:1.2.3.4 > [::ffff:10.0.1.10]:22": "tcp ::ffff:1.2.3.4 > [::ffff:10.0.1.10]:22",
	}
	for in, want := range cases {
		ps, err := ParsePacket(in)
		if err != nil || ps.String() != want {
			t.Errorf("ParsePacket(%q) = %q, %v; want %q", in, ps.String(), err, want)
		}
	}
	for _, bad := range []string{"", "tcp 1.2.3.4 10.0.0.1:2", "tcp 1.2.3.4:1 > 10.0.0.1", "all 1.1.1.1 > 2.2.2.2",
		"tcp 1.1.1.1:1 > ::1:2", "icmp 1.1.1.1:5 > 2.2.2.2", "icmp 1.1.1.1 > 2.2.2.2 type 300", "tcp 1.1.1.1:1 > 2.2.2.2:2 type 3",
		"tcp 1.1.1.1 > 2.2.2.2:80 fragment", "tcp 1.1.1.1:1 > 2.2.2.2:2 bogus",
		"tcp ::ffff:1.2.3.4 > 10.0.1.10:22"} {
		if _, err := ParsePacket(bad); err == nil {
			t.Errorf("ParsePacket(%q) accepted", bad)
		}
	}
}

// FuzzParsePacket checks that ParsePacket never panics and that what it
// accepts prints back to text it parses to the same packet.
func FuzzParsePacket(f *testing.F) {
	f.Add("tcp 198.51.100.20:80 > 10.0.1.10:34372")
	f.Add("udp [2001:db8::1]:53 -> [2001:db8:1::10]:40000")
	f.Add("icmp 1.2.3.4 > 10.0.1.10 type 8 code 0")
	f.Add("tcp 1.2.3.4 > 10.0.1.10 fragment")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePacket(s)
		if err != nil {
			return
		}
		again, err := ParsePacket(ps.String())
		if err != nil {
			t.Fatalf("%q printed as %q which does not parse: %v", s, ps.String(), err)
		}
		if again != ps && !(ps.HasICMP == false && again.Packet.Src == ps.Src) {
			t.Fatalf("%q: %+v became %+v", s, ps, again)
		}
	})
}
