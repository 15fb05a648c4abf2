package cfn

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// randomACLs builds n random ACLs with literal IDs, unique rule numbers
// per direction and every protocol shape the format carries.
func randomACLs(r *rand.Rand, n int) []*nacl.ACL {
	var out []*nacl.ACL
	for i := 0; i < n; i++ {
		a := &nacl.ACL{ID: fmt.Sprintf("acl-%08x", r.Uint32()), IsDefault: r.Intn(5) == 0}
		if r.Intn(2) == 0 {
			a.Name = fmt.Sprintf("web server %d", i)
		}
		if r.Intn(2) == 0 && !a.IsDefault {
			a.VPCID = fmt.Sprintf("vpc-%08x", r.Uint32())
		}
		for k := r.Intn(3); k > 0; k-- {
			a.Subnets = append(a.Subnets, fmt.Sprintf("subnet-%08x", r.Uint32()))
		}
		used := map[[2]int]bool{}
		for k := r.Intn(12); k > 0; k-- {
			e := randomEntry(r)
			key := [2]int{int(e.Direction), e.RuleNumber}
			if used[key] {
				continue
			}
			used[key] = true
			a.Entries = append(a.Entries, e)
		}
		out = append(out, a)
	}
	return out
}

func randomEntry(r *rand.Rand) nacl.Entry {
	e := nacl.Entry{RuleNumber: 1 + r.Intn(nacl.MaxRuleNumber), Direction: nacl.Direction(r.Intn(2)), Action: nacl.Action(r.Intn(2)), ICMPType: -1, ICMPCode: -1}
	protos := []int{nacl.ProtoAll, nacl.ProtoTCP, nacl.ProtoUDP, nacl.ProtoICMP, nacl.ProtoICMPv6, 47, 132}
	e.Protocol = protos[r.Intn(len(protos))]
	if r.Intn(3) == 0 {
		var b [16]byte
		r.Read(b[:])
		e.CIDR = netip.PrefixFrom(netip.AddrFrom16(b), r.Intn(129)).Masked()
	} else {
		var b [4]byte
		r.Read(b[:])
		e.CIDR = netip.PrefixFrom(netip.AddrFrom4(b), r.Intn(33)).Masked()
	}
	if e.Protocol == nacl.ProtoTCP || e.Protocol == nacl.ProtoUDP {
		from := uint16(r.Intn(65536))
		e.Ports = nacl.PortRange{From: from, To: from + uint16(r.Intn(int(65536-int(from))))}
	}
	if e.Protocol == nacl.ProtoICMP || (e.Protocol == nacl.ProtoICMPv6 && e.CIDR.Addr().Is6()) {
		e.ICMPType = r.Intn(257) - 1
		if e.ICMPType != -1 {
			e.ICMPCode = r.Intn(257) - 1
		}
	}
	if r.Intn(4) == 0 {
		e.Comment = fmt.Sprintf("rule %d\nsecond line", e.RuleNumber)
	}
	return e
}

// comparable strips what the format cannot carry (Pos, comments, IDs)
// and sorts the entries.
func comparableEntries(in []nacl.Entry) []nacl.Entry {
	out := make([]nacl.Entry, len(in))
	for i, e := range in {
		e.Pos, e.Comment = nacl.Pos{}, ""
		out[i] = e
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Direction != out[j].Direction {
			return out[i].Direction < out[j].Direction
		}
		return out[i].RuleNumber < out[j].RuleNumber
	})
	return out
}

// randomPacket builds a packet of the entry-rich kinds the ACLs test.
func randomPacket(r *rand.Rand, v6 bool) nacl.Packet {
	var p nacl.Packet
	if v6 {
		var a, b [16]byte
		r.Read(a[:])
		r.Read(b[:])
		p.Src, p.Dst = netip.AddrFrom16(a), netip.AddrFrom16(b)
	} else {
		var a, b [4]byte
		r.Read(a[:])
		r.Read(b[:])
		p.Src, p.Dst = netip.AddrFrom4(a), netip.AddrFrom4(b)
	}
	protos := []uint8{6, 17, 1, 58, 47, 50}
	p.Proto = protos[r.Intn(len(protos))]
	p.DstPort, p.HasPort = uint16(r.Intn(65536)), p.Proto == 6 || p.Proto == 17
	p.ICMPType, p.ICMPCode, p.HasICMP = uint8(r.Intn(256)), uint8(r.Intn(256)), p.Proto == 1 || p.Proto == 58
	return p
}

// samePackets evaluates packets aimed at each entry's CIDR plus random
// ones against both ACLs and reports the first difference.
func sameDecisions(t *testing.T, r *rand.Rand, a, b *nacl.ACL) {
	t.Helper()
	ea, eb := nacl.Compile(a), nacl.Compile(b)
	for i := 0; i < 300; i++ {
		p := randomPacket(r, r.Intn(2) == 0)
		if len(a.Entries) > 0 && r.Intn(2) == 0 {
			e := a.Entries[r.Intn(len(a.Entries))]
			p = randomPacket(r, e.CIDR.Addr().Is6())
			p.Src, p.Dst = e.CIDR.Addr(), e.CIDR.Addr()
			if e.Protocol >= 0 {
				p.Proto = uint8(e.Protocol)
			}
			p.DstPort, p.ICMPType = e.Ports.From, uint8(max(e.ICMPType, 0))
		}
		for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
			da, db := ea.Evaluate(dir, &p), eb.Evaluate(dir, &p)
			if da.Action != db.Action || da.RuleNumber != db.RuleNumber {
				t.Fatalf("%s %+v: before %v rule %d, after %v rule %d", dir, p, da.Action, da.RuleNumber, db.Action, db.RuleNumber)
			}
		}
	}
}

func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for iter := 0; iter < 60; iter++ {
		acls := randomACLs(r, 1+r.Intn(4))
		var buf bytes.Buffer
		if err := Write(&buf, acls); err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if err := Write(&again, acls); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Fatalf("Write is not deterministic (err %v)", err)
		}
		got, diags, err := Parse("rt.yaml", buf.Bytes())
		if err != nil {
			t.Fatalf("iteration %d: %v\n%s", iter, err, buf.String())
		}
		if len(diags) != 0 {
			t.Errorf("iteration %d: unexpected diagnostics %v", iter, diags)
		}
		if len(got) != len(acls) {
			t.Fatalf("iteration %d: %d ACLs, want %d", iter, len(got), len(acls))
		}
		for i, want := range acls {
			g := got[i]
			if g.Name != want.Name || !reflect.DeepEqual(g.Subnets, want.Subnets) {
				t.Errorf("iteration %d ACL %d: got name %q subnets %v, want %q %v", iter, i, g.Name, g.Subnets, want.Name, want.Subnets)
			}
			if want.VPCID != "" && g.VPCID != want.VPCID {
				t.Errorf("iteration %d ACL %d: VPC %q, want %q", iter, i, g.VPCID, want.VPCID)
			}
			if ge, we := comparableEntries(g.Entries), comparableEntries(want.Entries); !reflect.DeepEqual(ge, we) {
				t.Fatalf("iteration %d ACL %d entries differ:\n got %+v\nwant %+v\n%s", iter, i, ge, we, buf.String())
			}
			sameDecisions(t, r, want, g)
		}
	}
}

func TestWriteShape(t *testing.T) {
	acls := []*nacl.ACL{
		{ID: "acl-0123", Name: "web-server", Subnets: []string{"subnet-0aa", "PublicSubnet"}, IsDefault: true, Entries: []nacl.Entry{
			{RuleNumber: 200, Direction: nacl.Egress, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
			{RuleNumber: 100, Action: nacl.Allow, Protocol: nacl.ProtoTCP, CIDR: netip.MustParsePrefix("10.0.0.0/8"), Ports: nacl.PortRange{From: 22, To: 22}, ICMPType: -1, ICMPCode: -1, Comment: "ssh from the office"},
			{RuleNumber: 100, Action: nacl.Allow, Protocol: nacl.ProtoICMPv6, CIDR: netip.MustParsePrefix("::/0"), ICMPType: 2, ICMPCode: 0},
			{RuleNumber: nacl.DefaultRuleIPv6, Action: nacl.Deny, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("::/0"), ICMPType: -1, ICMPCode: -1},
		}},
		{ID: "PrivateAcl", VPCID: "vpc-0abc"},
		{ID: "aws_network_acl.main", VPCID: "aws_vpc.main.id"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"AWSTemplateFormatVersion: \"2010-09-09\"\n",
		"  VpcId:\n    Type: AWS::EC2::VPC::Id\n",
		"  # Network ACL acl-0123 (web-server)\n  # This was the VPC's default network ACL",
		"  WebServer:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: !Ref VpcId\n      Tags:\n        - Key: Name\n          Value: web-server\n",
		"  # ssh from the office\n  WebServerIngress100:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref WebServer\n      RuleNumber: 100\n      Protocol: 6\n      RuleAction: allow\n      Egress: false\n      CidrBlock: 10.0.0.0/8\n      PortRange:\n        From: 22\n        To: 22\n",
		"  WebServerIngress100V6:\n",
		"      Ipv6CidrBlock: ::/0\n      Icmp:\n        Type: 2\n        Code: 0\n",
		"  WebServerEgress200:\n",
		"  WebServerSubnet1Association:\n    Type: AWS::EC2::SubnetNetworkAclAssociation\n    Properties:\n      SubnetId: subnet-0aa\n      NetworkAclId: !Ref WebServer\n",
		"      SubnetId: !Ref WebServerSubnet2\n",
		"  PrivateAcl:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: vpc-0abc\n",
		"  Main:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: !Ref VpcIdAwsVpcMainId\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "32768\n") {
		t.Errorf("implicit rule written:\n%s", out)
	}
	got, diags, err := Parse("w.yaml", buf.Bytes())
	if err != nil || len(got) != 3 || len(got[0].Entries) != 3 || got[0].Subnets[1] != "PublicSubnet" || got[2].VPCID != "aws_vpc.main.id" {
		t.Fatalf("re-parse: %v %v %+v", err, diags, got)
	}
}

func TestWriteEscapes(t *testing.T) {
	acls := []*nacl.ACL{{ID: "x", Name: "!Ref evil: {a}\n# not a comment", Entries: []nacl.Entry{
		{RuleNumber: 1, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1, Comment: "line one\n\nKey: value"},
	}}}
	var buf bytes.Buffer
	if err := Write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	got, _, err := Parse("e.yaml", buf.Bytes())
	if err != nil || len(got) != 1 || got[0].Name != acls[0].Name || len(got[0].Entries) != 1 {
		t.Fatalf("err %v got %+v\n%s", err, got, buf.String())
	}
	// Names and IDs that YAML would read as other types stay strings.
	for _, name := range []string{"true", "123", "null", "~", "0x1F", "1e3", "- x", "a: b"} {
		acls := []*nacl.ACL{{ID: name, Name: name, VPCID: name, Subnets: []string{name}}}
		buf.Reset()
		if err := Write(&buf, acls); err != nil {
			t.Fatal(err)
		}
		got, _, err := Parse("e.yaml", buf.Bytes())
		if err != nil || len(got) != 1 || got[0].Name != name || got[0].VPCID != name || !reflect.DeepEqual(got[0].Subnets, []string{name}) {
			t.Errorf("%q: err %v got %+v\n%s", name, err, got, buf.String())
		}
	}
}
