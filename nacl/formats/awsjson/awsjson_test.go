package awsjson

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func read(t *testing.T, name string) []*nacl.ACL {
	t.Helper()
	acls, diags, err := Parse(name, formattest.ReadTestdata(t, name))
	if err != nil {
		t.Fatalf("%s: %v (%v)", name, err, diags)
	}
	return acls
}

func TestDescribeExampleFromAWSDocs(t *testing.T) {
	acls := read(t, "describe-network-acls.json")
	if len(acls) != 2 {
		t.Fatalf("got %d ACLs", len(acls))
	}
	a := acls[0]
	if a.ID != "acl-0ea1f54ca7EXAMPLE" || !a.IsDefault || a.VPCID != "vpc-06e4ab6c6cEXAMPLE" || !reflect.DeepEqual(a.Subnets, []string{"subnet-0931fc2fa5EXAMPLE"}) {
		t.Fatalf("ACL 0 header: %+v", a)
	}
	if len(a.Entries) != 2 { // the 32767 entries are dropped
		t.Fatalf("ACL 0 has %d entries, want 2", len(a.Entries))
	}
	b := acls[1]
	if len(b.Entries) != 4 || !b.HasIPv6() {
		t.Fatalf("ACL 1 entries: %+v", b.Entries)
	}
	e := b.Entries[1]
	if e.RuleNumber != 101 || e.Direction != nacl.Egress || e.CIDR != netip.MustParsePrefix("::/0") || e.Protocol != nacl.ProtoAll || e.Action != nacl.Allow {
		t.Fatalf("entry: %+v", e)
	}
	if e.Pos.Path != "$.NetworkAcls[1].Entries[1]" || e.Pos.Line == 0 {
		t.Fatalf("pos: %+v", e.Pos)
	}
}

func TestICMPAndPortExamples(t *testing.T) {
	a := read(t, "icmp-entries.json")[0]
	if a.Name != "pmtud" || len(a.Entries) != 4 {
		t.Fatalf("%+v", a)
	}
	if e := a.Entries[2]; e.ICMPType != 3 || e.ICMPCode != 4 || e.Direction != nacl.Ingress {
		t.Fatalf("icmp entry %+v", e)
	}
	if e := a.Entries[3]; e.Protocol != nacl.ProtoICMPv6 || e.ICMPType != 2 || e.ICMPCode != -1 {
		t.Fatalf("icmpv6 entry %+v", e)
	}
	p := read(t, "port-deny.json")[0]
	if p.ID != "acl-0portEXAMPLE" || len(p.Subnets) != 2 || len(p.Entries) != 4 {
		t.Fatalf("%+v", p)
	}
	ev := nacl.Compile(p)
	d := ev.Evaluate(nacl.Ingress, &nacl.Packet{Src: netip.MustParseAddr("172.16.200.9"), Dst: netip.MustParseAddr("10.0.0.1"), Proto: 6, DstPort: 22, HasPort: true})
	if d.Action != nacl.Deny || d.RuleNumber != 20 {
		t.Fatalf("port deny: %+v", d)
	}
	for _, e := range p.Entries {
		if e.Protocol != nacl.ProtoTCP {
			t.Fatalf("protocol spelled %q/6 not read as 6: %+v", "tcp", e)
		}
	}
}

func TestErrorsNamePathLineAndField(t *testing.T) {
	cases := []struct {
		doc, want string
	}{
		{`{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[
  {"CidrBlock":"0.0.0.0/0","Egress":false,"Protocol":"6","RuleAction":"allow","RuleNumber":100,"PortRange":{"From":80,"To":70000}}]}]}`,
			"x.json:2:124: $.NetworkAcls[0].Entries[0].PortRange.To: PortRange.To: port 70000 outside 0-65535"},
		{`{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[{"CidrBlock":"0.0.0.0/0","Egress":false,"Protocol":"6","RuleAction":"allow","RuleNumber":100}]}]}`,
			"$.NetworkAcls[0].Entries[0].PortRange: PortRange: missing: protocol tcp needs a PortRange"},
		{`{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[{"Egress":false,"Protocol":"-1","RuleAction":"allow","RuleNumber":100}]}]}`,
			"CidrBlock: missing CidrBlock or Ipv6CidrBlock"},
		{`{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[{"CidrBlock":"0.0.0.0/0","Ipv6CidrBlock":"::/0","Egress":false,"Protocol":"-1","RuleAction":"allow","RuleNumber":100}]}]}`,
			"not both"},
		{`{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[{"CidrBlock":"0.0.0.0/0","Egress":false,"Protocol":"bogus","RuleAction":"allow","RuleNumber":100}]}]}`,
			`Protocol: unknown protocol "bogus"`},
		{`{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[{"CidrBlock":"0.0.0.0/0","Egress":false,"Protocol":"-1","RuleAction":"allow","RuleNumber":32767}]}]}`,
			"implicit default rule"},
		{`{"NetworkAcls":[{"NetworkAclId":"acl-1","Entries":[{"CidrBlock":"10.0.0.0/8","Egress":false,"Protocol":"1","IcmpTypeCode":{"Type":300,"Code":0},"RuleAction":"allow","RuleNumber":1}]}]}`,
			"IcmpTypeCode.Type: ICMP type 300 outside -1..255"},
		{"{\"NetworkAcls\": [\n  {\"NetworkAclId\": \"acl-1\",,}]}", "x.json:2:"},
		{`{"Foo": 1}`, "no NetworkAcls"},
	}
	for _, c := range cases {
		_, _, err := Parse("x.json", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("doc %s:\n got %v\nwant %q", c.doc, err, c.want)
		}
	}
}

func TestNonCanonicalCIDRWarnsAndKeepsEntries(t *testing.T) {
	doc := `{"NetworkAclId":"acl-1","Entries":[
	{"CidrBlock":"100.68.0.18/18","Egress":false,"Protocol":"-1","RuleAction":"allow","RuleNumber":1},
	{"CidrBlock":"10.0.0.0/8","Egress":false,"Protocol":"6","RuleAction":"allow","RuleNumber":2}]}`
	acls, diags, err := Parse("y.json", []byte(doc))
	if err == nil {
		t.Fatal("want an error for the entry without PortRange")
	}
	if len(acls) != 1 || len(acls[0].Entries) != 1 || acls[0].Entries[0].CIDR != netip.MustParsePrefix("100.68.0.0/18") {
		t.Fatalf("entries kept: %+v", acls)
	}
	found := false
	for _, d := range diags {
		if d.Severity == nacl.SevWarning && strings.Contains(d.Msg, "100.68.0.18/18 is not canonical; AWS stores 100.68.0.0/18") && d.Pos.Line == 2 {
			found = true
		}
	}
	if !found {
		t.Fatalf("no canonical warning in %v", diags)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"describe-network-acls.json", "icmp-entries.json", "port-deny.json"} {
		acls := read(t, name)
		var buf bytes.Buffer
		if err := Write(&buf, acls); err != nil {
			t.Fatal(err)
		}
		again, _, err := Parse("out.json", buf.Bytes())
		if err != nil {
			t.Fatalf("%s: reading written output: %v\n%s", name, err, buf.String())
		}
		if !reflect.DeepEqual(formattest.StripPos(acls), formattest.StripPos(again)) {
			t.Fatalf("%s: round trip differs\n%+v\n%+v", name, acls[0], again[0])
		}
		if name == "describe-network-acls.json" && !strings.Contains(buf.String(), `"RuleNumber": 32768`) {
			t.Fatalf("IPv6 default entry missing:\n%s", buf.String())
		}
	}
}

func TestWriteIsSortedEgressFirstWithDefaults(t *testing.T) {
	a := &nacl.ACL{ID: "acl-x", Entries: []nacl.Entry{
		{RuleNumber: 200, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: -1, CIDR: netip.MustParsePrefix("10.0.0.0/8"), ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 100, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: -1, CIDR: netip.MustParsePrefix("10.0.0.0/8"), ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 100, Direction: nacl.Egress, Action: nacl.Allow, Protocol: -1, CIDR: netip.MustParsePrefix("10.0.0.0/8"), ICMPType: -1, ICMPCode: -1, Comment: "dropped"},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, []*nacl.ACL{a}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	i100e := strings.Index(out, `"Egress": true`)
	i32767e := strings.Index(out, `"RuleNumber": 32767`)
	i100 := strings.Index(out, `"RuleNumber": 100,`)
	i200 := strings.Index(out, `"RuleNumber": 200`)
	if !(i100e < i32767e && i32767e < i200 && i100 < i200) || strings.Contains(out, "32768") || strings.Contains(out, "dropped") {
		t.Fatalf("order or content wrong:\n%s", out)
	}
}
