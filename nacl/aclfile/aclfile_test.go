package aclfile

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		name, data string
		want       Format
	}{
		{"x.json", `{"NetworkAcls": []}`, FormatAWSJSON},
		{"x", `{"NetworkAcl": {"Entries": []}}`, FormatAWSJSON},
		{"x", `[{"NetworkAclId": "acl-1"}]`, FormatAWSJSON},
		{"x", `{"format_version": "1.0", "values": {}}`, FormatTerraformJSON},
		{"x", `{"format_version": "1.2", "planned_values": {}}`, FormatTerraformJSON},
		{"x.json", `{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}`, FormatCloudFormation},
		{"x", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Acl:\n", FormatCloudFormation},
		{"x.yaml", "Resources:\n", FormatCloudFormation},
		{"main.tf", "anything", FormatTerraform},
		{"x", "resource \"aws_network_acl\" \"main\" {\n}\n", FormatTerraform},
		{"x.nacl", "in 100 allow tcp 0.0.0.0/0 22\n", FormatText},
		{"x", "# just a comment\nacl acl-1\n", FormatText},
		{"x", "\xef\xbb\xbf{\"NetworkAcls\": []}", FormatAWSJSON},
	}
	for _, c := range cases {
		if got := Detect(c.name, []byte(c.data)); got != c.want {
			t.Errorf("Detect(%q, %q) = %q, want %q", c.name, c.data, got, c.want)
		}
	}
}

func TestReadDescribeExampleAndSelect(t *testing.T) {
	path := filepath.Join("..", "formats", "awsjson", "testdata", "describe-network-acls.json")
	f, err := Read(path, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != FormatAWSJSON || len(f.ACLs) != 2 {
		t.Fatalf("format %q, %d ACLs", f.Format, len(f.ACLs))
	}
	if _, err := f.Select(""); err == nil || !strings.Contains(err.Error(), "acl-0ea1f54ca7EXAMPLE, acl-0e2a78e4e2EXAMPLE") {
		t.Fatalf("Select(\"\") with two ACLs: %v", err)
	}
	a, err := f.Select("acl-0e2a78e4e2EXAMPLE")
	if err != nil || a.ID != "acl-0e2a78e4e2EXAMPLE" {
		t.Fatalf("select by ID: %v %v", a, err)
	}
	if _, err := f.Select("nope"); err == nil || !strings.Contains(err.Error(), `no ACL with ID or Name "nope"`) {
		t.Fatalf("select missing: %v", err)
	}
}

func TestSelectByName(t *testing.T) {
	f, err := Parse("two.nacl", []byte("acl acl-1 name web\nin 1 allow all 0.0.0.0/0\nacl acl-2 name db\n"), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := f.Select("db"); err != nil || a.ID != "acl-2" {
		t.Fatalf("select by name: %v %v", a, err)
	}
}

func TestValidationErrorsReachTheCaller(t *testing.T) {
	in := "in 100 allow all 0.0.0.0/0\nin 100 deny tcp 10.0.0.0/8 22\nout 0 allow all 0.0.0.0/0\n"
	f, err := Parse("dup.nacl", []byte(in), FormatText)
	if err == nil || f == nil {
		t.Fatal("want an error")
	}
	if err.Error() == "" {
		t.Fatal("empty error")
	}
	var got, rejected []string
	for _, d := range f.Diagnostics {
		got = append(got, d.Error())
	}
	for _, d := range f.Rejected {
		rejected = append(rejected, d.Error())
	}
	want := []string{"dup.nacl:3:1: RuleNumber: rule number 0 outside 1-32766"}
	wantRejected := []string{
		"dup.nacl:1:1: RuleNumber: duplicate inbound rule number 100 (also at dup.nacl:2:1)",
		"dup.nacl:2:1: RuleNumber: duplicate inbound rule number 100 (also at dup.nacl:1:1)",
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(rejected, wantRejected) {
		t.Fatalf("diagnostics:\n%q\nwant\n%q\nrejected:\n%q\nwant\n%q", got, want, rejected, wantRejected)
	}
	if err.Error() != "dup.nacl (text): dup.nacl:3:1: RuleNumber: rule number 0 outside 1-32766" {
		t.Errorf("error %q: the count must be of the errors that stop reading", err)
	}
	if len(f.ACLs) != 1 || len(f.ACLs[0].Entries) != 3 {
		t.Fatalf("entries lost: %+v", f.ACLs)
	}
}

// TestDuplicatesDoNotStopReading: an ACL with a duplicate rule number is
// read entirely; with KeepRejected (lint) without an error, else with the
// error AWSAccepts gives (evaluating it would mean nothing).
func TestDuplicatesDoNotStopReading(t *testing.T) {
	src := []byte("in 100 allow all 0.0.0.0/0\nin 100 deny tcp 10.0.0.0/8 22\nin 110 allow all ::/0\n")
	f, err := ParseWith("dup.nacl", src, Options{Format: FormatText, KeepRejected: true})
	if err != nil || len(f.ACLs) != 1 || len(f.ACLs[0].Entries) != 3 || len(f.Rejected) != 2 {
		t.Fatalf("err %v file %+v", err, f)
	}
	want := "dup.nacl: AWS would reject this ACL, so it is not evaluated (run flowverify lint to list every problem): dup.nacl:1:1: RuleNumber: duplicate inbound rule number 100 (also at dup.nacl:2:1) (and 1 more errors)"
	if err := f.AWSAccepts(); err == nil || err.Error() != want {
		t.Fatalf("AWSAccepts: %v", err)
	}
	f, err = Parse("dup.nacl", src, FormatText)
	if err == nil || err.Error() != want || f == nil || len(f.ACLs[0].Entries) != 3 {
		t.Fatalf("Parse: %v", err)
	}
}

// TestNotANACLFile: a capture, gzip or binary data given as a NACL file
// is one error naming what it looks like.
func TestNotANACLFile(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{[]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0}, "x looks like a packet capture (pcap), not a NACL file"},
		{[]byte{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0}, "x looks like a packet capture (pcapng), not a NACL file"},
		{[]byte{0x1f, 0x8b, 8, 0}, "x looks like gzip-compressed data (decompress it first), not a NACL file"},
		{[]byte("in 100 allow\x00 all"), "x looks like binary data, not a NACL file"},
	} {
		f, err := Parse("x", tc.data, FormatAuto)
		if f != nil || err == nil || err.Error() != tc.want {
			t.Errorf("%x: %v, want %q", tc.data[:4], err, tc.want)
		}
	}
	if f, err := Read(pcaps.Path("webserver.pcap"), FormatAuto); f != nil || err == nil || !strings.HasSuffix(err.Error(), "webserver.pcap looks like a packet capture (pcap), not a NACL file") {
		t.Errorf("webserver.pcap: %v", err)
	}
}

// TestStdin reads "-" from Options.Stdin.
func TestStdin(t *testing.T) {
	f, err := ReadWith("-", Options{Stdin: strings.NewReader(`{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0\/0"}]}]}`)})
	if err != nil || f.Format != FormatAWSJSON || len(f.ACLs) != 1 || f.Path != StdinName {
		t.Fatalf("err %v file %+v", err, f)
	}
}

func TestEmptyAndWriteOnly(t *testing.T) {
	if _, err := Parse("empty.nacl", []byte("# nothing\n"), FormatAuto); err == nil || !strings.Contains(err.Error(), "no network ACL") {
		t.Fatalf("empty: %v", err)
	}
	if _, err := Parse("x", []byte("x"), FormatCLI); err == nil || !strings.Contains(err.Error(), "write-only") {
		t.Fatalf("cli read: %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing"), FormatAuto); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: %v", err)
	}
}

// randomValidACL builds an ACL every format can hold: unique numbers per
// direction, normalised entries, a name and subnets.
func randomValidACL(r *rand.Rand, i int) *nacl.ACL {
	a := &nacl.ACL{ID: "acl-" + string(rune('a'+i%26)) + "0123456789", Name: "web", VPCID: "vpc-0abc", Subnets: []string{"subnet-1", "subnet-2"}}
	v4 := []string{"0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "192.168.7.7/32", "203.0.113.0/24"}
	v6 := []string{"::/0", "2001:db8::/32", "2001:db8:1::/64"}
	protos := []int{-1, 1, 6, 17, 58, 47}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		n := 1 + r.IntN(12)
		for k, num := range r.Perm(300)[:n] {
			e := nacl.Entry{RuleNumber: num*100 + 1, Direction: dir, Action: nacl.Action(r.IntN(2)), Protocol: protos[r.IntN(len(protos))], ICMPType: -1, ICMPCode: -1}
			if r.IntN(3) == 0 {
				e.CIDR = netip.MustParsePrefix(v6[r.IntN(len(v6))])
			} else {
				e.CIDR = netip.MustParsePrefix(v4[r.IntN(len(v4))])
			}
			a1, a2 := uint16(r.IntN(65536)), uint16(r.IntN(65536))
			e.Ports = nacl.PortRange{From: min(a1, a2), To: max(a1, a2)}
			if r.IntN(2) == 0 {
				e.ICMPType = r.IntN(12) - 1
				if e.ICMPType >= 0 && r.IntN(2) == 0 {
					e.ICMPCode = r.IntN(5)
				}
			}
			if k%3 == 0 {
				e.Comment = "rule comment"
			}
			e.Normalize()
			a.Entries = append(a.Entries, e)
		}
	}
	return a
}

// comparable strips what a format may not carry.
func comparable(a *nacl.ACL, keepHeader, keepComments bool) nacl.ACL {
	c := *a
	c.Pos = nacl.Pos{}
	c.Entries = append([]nacl.Entry(nil), a.Entries...)
	c.SortEntries()
	for i := range c.Entries {
		c.Entries[i].Pos = nacl.Pos{}
		if !keepComments {
			c.Entries[i].Comment = ""
		}
	}
	if !keepHeader {
		c.ID, c.Name, c.VPCID, c.IsDefault, c.Subnets = "", "", "", false, nil
	}
	return c
}

func TestCrossFormatRoundTrip(t *testing.T) {
	formats := []struct {
		f                        Format
		keepHeader, keepComments bool
	}{
		{FormatText, true, true},
		{FormatAWSJSON, true, false},
		{FormatTerraform, false, false},
		{FormatCloudFormation, false, false},
	}
	r := rand.New(rand.NewPCG(9, 9))
	var acls []*nacl.ACL
	for i := 0; i < 20; i++ {
		acls = append(acls, randomValidACL(r, i))
	}
	pkts := make([]nacl.Packet, 20000)
	for i := range pkts {
		pkts[i] = randomPacket(r)
	}
	for _, fc := range formats {
		t.Run(string(fc.f), func(t *testing.T) {
			for _, a := range acls {
				var buf bytes.Buffer
				if err := Write(&buf, []*nacl.ACL{a}, fc.f); err != nil {
					if strings.Contains(err.Error(), "not implemented") {
						t.Skipf("format %s: writer not implemented yet", fc.f)
					}
					t.Fatal(err)
				}
				f, err := Parse("roundtrip", buf.Bytes(), fc.f)
				if err != nil {
					if strings.Contains(err.Error(), "not implemented") {
						t.Skipf("format %s: reader not implemented yet", fc.f)
					}
					t.Fatalf("reading back: %v\n%s", err, buf.String())
				}
				if len(f.ACLs) != 1 {
					t.Fatalf("got %d ACLs back\n%s", len(f.ACLs), buf.String())
				}
				got, want := comparable(f.ACLs[0], fc.keepHeader, fc.keepComments), comparable(a, fc.keepHeader, fc.keepComments)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("round trip differs\nwant %+v\n got %+v\n%s", want, got, buf.String())
				}
				e1, e2 := nacl.Compile(a), nacl.Compile(f.ACLs[0])
				for i := range pkts {
					dir := nacl.Direction(i & 1)
					if d1, d2 := e1.Evaluate(dir, &pkts[i]), e2.Evaluate(dir, &pkts[i]); d1.Action != d2.Action || d1.RuleNumber != d2.RuleNumber || d1.Uncertain != d2.Uncertain {
						t.Fatalf("packet %+v: %+v before, %+v after", pkts[i], d1, d2)
					}
				}
			}
		})
	}
}

// randomPacket draws packets near the random ACLs' CIDRs and ports.
func randomPacket(r *rand.Rand) nacl.Packet {
	v4 := []string{"10.0.1.5", "10.0.2.5", "192.168.7.7", "203.0.113.50", "8.8.8.8"}
	v6 := []string{"2001:db8:1::5", "2001:db8:2::5", "2600::1"}
	pool := v4
	if r.IntN(3) == 0 {
		pool = v6
	}
	p := nacl.Packet{Src: netip.MustParseAddr(pool[r.IntN(len(pool))]), Dst: netip.MustParseAddr(pool[r.IntN(len(pool))])}
	pr := []uint8{1, 6, 17, 58, 47}
	p.Proto = pr[r.IntN(len(pr))]
	p.DstPort, p.HasPort = uint16(r.IntN(65536)), p.Proto == 6 || p.Proto == 17
	p.ICMPType, p.ICMPCode, p.HasICMP = uint8(r.IntN(12)), uint8(r.IntN(5)), p.Proto == 1 || p.Proto == 58
	return p
}

func TestWriteCLI(t *testing.T) {
	f, err := Parse("x.nacl", []byte("acl acl-0123\nin 100 allow tcp 0.0.0.0/0 22 # ssh from anywhere\nin 110 allow icmp 0.0.0.0/0 3:4\nout 100 allow all ::/0\n"), FormatText)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, f.ACLs, FormatCLI); err != nil {
		t.Fatal(err)
	}
	want := `# flowverify: 3 entries for network ACL acl-0123; the default deny rules (32767/32768) exist already.
# ssh from anywhere
aws ec2 create-network-acl-entry --network-acl-id acl-0123 --ingress --rule-number 100 --protocol tcp --port-range From=22,To=22 --cidr-block 0.0.0.0/0 --rule-action allow
aws ec2 create-network-acl-entry --network-acl-id acl-0123 --ingress --rule-number 110 --protocol icmp --icmp-type-code Type=3,Code=4 --cidr-block 0.0.0.0/0 --rule-action allow
aws ec2 create-network-acl-entry --network-acl-id acl-0123 --egress --rule-number 100 --protocol -1 --ipv6-cidr-block ::/0 --rule-action allow
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestIPv4MappedSameInEveryFormat: an IPv4-mapped IPv6 prefix is read as
// the IPv6 prefix it is, with the same warning, in every format (as
// nacl.ParseCIDR reads it).
func TestIPv4MappedSameInEveryFormat(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"a.nacl", "in 100 allow all ::ffff:10.0.0.0/104\n"},
		{"a.json", `{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "Ipv6CidrBlock": "::ffff:10.0.0.0/104"}]}`},
		{"a.tf", "resource \"aws_network_acl\" \"a\" {\n  ingress {\n    rule_no = 100\n    action = \"allow\"\n    protocol = \"-1\"\n    ipv6_cidr_block = \"::ffff:10.0.0.0/104\"\n    from_port = 0\n    to_port = 0\n  }\n}\n"},
		{"a.yaml", "Resources:\n  A: {Type: AWS::EC2::NetworkAcl}\n  E: {Type: AWS::EC2::NetworkAclEntry, Properties: {NetworkAclId: !Ref A, RuleNumber: 100, Protocol: -1, RuleAction: allow, Ipv6CidrBlock: '::ffff:10.0.0.0/104'}}\n"},
	} {
		f, err := ParseWith(tc.name, []byte(tc.src), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		e := f.ACLs[0].Entries[0]
		warned := false
		for _, d := range f.Diagnostics {
			warned = warned || (d.Severity == nacl.SevWarning && strings.Contains(d.Msg, "is an IPv4-mapped IPv6 prefix"))
		}
		if e.CIDR.String() != "::ffff:10.0.0.0/104" || !e.IsIPv6() || !warned {
			t.Errorf("%s: %v ipv6 %v warned %v (%v)", tc.name, e.CIDR, e.IsIPv6(), warned, f.Diagnostics)
		}
	}
}
