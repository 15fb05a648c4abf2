package text

import (
	"bytes"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func TestReadmeExample(t *testing.T) {
	data, err := os.ReadFile("testdata/readme-example.nacl")
	if err != nil {
		t.Fatal(err)
	}
	acls, diags, err := Parse("readme-example.nacl", data)
	if err != nil {
		t.Fatalf("%v %v", err, diags)
	}
	if len(acls) != 2 {
		t.Fatalf("got %d ACLs", len(acls))
	}
	a := acls[0]
	if a.ID != "acl-0123" || a.Name != "web-server" || !reflect.DeepEqual(a.Subnets, []string{"subnet-a", "subnet-b"}) || len(a.Entries) != 7 {
		t.Fatalf("ACL 0: %+v", a)
	}
	icmp := a.Entries[3]
	if icmp.Protocol != nacl.ProtoICMP || icmp.ICMPType != 3 || icmp.ICMPCode != 4 || icmp.Comment != "ICMP TYPE[:CODE], -1 = any; omitted = any" {
		t.Fatalf("icmp entry: %+v", icmp)
	}
	if e := a.Entries[4]; e.Protocol != nacl.ProtoICMPv6 || e.ICMPType != 2 || e.ICMPCode != -1 || !e.IsIPv6() {
		t.Fatalf("icmpv6 entry: %+v", e)
	}
	if e := a.Entries[6]; e.Direction != nacl.Egress || e.Ports != (nacl.PortRange{From: 1024, To: 65535}) || e.Pos.Line != 9 {
		t.Fatalf("udp entry: %+v", e)
	}
	b := acls[1]
	if b.Name != "db tier" || b.VPCID != "vpc-0abc" || !b.IsDefault || len(b.Entries) != 2 {
		t.Fatalf("ACL 1 (default rule should be dropped): %+v", b)
	}
}

func TestErrorsHaveLineColumnAndField(t *testing.T) {
	cases := []struct{ in, want string }{
		{"in 100 allow tcp 0.0.0.0/0", "f:1:27: ports: tcp needs a port range"},
		{"in 100 allow tcp 0.0.0.0/0 80-70", "f:1:28: ports: port range 80-70: From is greater than To"},
		{"in 100 allow tcp 0.0.0.0/0 70000", "f:1:28: ports: port 70000 outside 0-65535"},
		{"\n  sideways 100 allow tcp 0.0.0.0/0 80", "f:2:3: direction: unknown direction"},
		{"in x allow tcp 0.0.0.0/0 80", "f:1:4: rule number:"},
		{"in 100 permit tcp 0.0.0.0/0 80", "f:1:8: action: unknown rule action"},
		{"in 100 allow tcpp 0.0.0.0/0 80", `f:1:14: protocol: unknown protocol "tcpp"`},
		{"in 100 allow tcp 10.0.0.300/8 80", "f:1:18: cidr: bad CIDR"},
		{"in 100 allow tcp 10.0.0.1 80", "no prefix length"},
		{"in 100 allow icmp 0.0.0.0/0 3:999", "f:1:29: icmp: ICMP code 999 outside -1..255"},
		{"in 100 allow", "f:1:1: protocol: missing protocol"},
		{"in 100 allow tcp 0.0.0.0/0 80 extra", `f:1:31: unexpected "extra"`},
		{"in 32767 allow all 0.0.0.0/0", "implicit default rule"},
		{`acl "unterminated`, "unterminated quoted string"},
		{"acl a\nacl a", `f:2:5: acl: ACL "a" defined twice`},
		{"acl a colour red", "unknown acl attribute"},
	}
	for _, c := range cases {
		_, _, err := Parse("f", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %q", c.in, err, c.want)
		}
	}
}

func TestKeepsGoodEntriesAndWarns(t *testing.T) {
	in := "in 100 allow all 100.68.0.18/18\nin 110 allow tcp 0.0.0.0/0\nin 120 allow gre 0.0.0.0/0 80\n"
	acls, diags, err := Parse("rules.txt", []byte(in))
	if err == nil {
		t.Fatal("want error for line 2")
	}
	if len(acls) != 1 || acls[0].ID != "rules" || len(acls[0].Entries) != 2 {
		t.Fatalf("acls %+v", acls)
	}
	if acls[0].Entries[0].CIDR != netip.MustParsePrefix("100.68.0.0/18") {
		t.Fatalf("not canonicalised: %v", acls[0].Entries[0].CIDR)
	}
	var warns []string
	for _, d := range diags {
		if d.Severity == nacl.SevWarning {
			warns = append(warns, d.Error())
		}
	}
	want := []string{
		"rules.txt:1:18: cidr: 100.68.0.18/18 is not canonical; AWS stores 100.68.0.0/18",
		`rules.txt:3:28: ports: "80" ignored: AWS ignores ports for protocol 47 with CIDR 0.0.0.0/0`,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Fatalf("warnings:\n%q\nwant\n%q", warns, want)
	}
}

func TestRoundTrip(t *testing.T) {
	data, _ := os.ReadFile("testdata/readme-example.nacl")
	acls, _, err := Parse("a", data)
	if err != nil {
		t.Fatal(err)
	}
	acls[0].Entries[0].Comment = "with \"quotes\" and # hash"
	acls[1].Subnets = []string{"subnet 1"}
	var buf bytes.Buffer
	if err := Write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	again, _, err := Parse("b", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(formattest.StripPos(acls), formattest.StripPos(again)) {
		t.Fatalf("round trip differs:\n%s\n%+v\n%+v", buf.String(), formattest.StripPos(acls), formattest.StripPos(again))
	}
	// Written output is sorted and aligned.
	lines := strings.Split(buf.String(), "\n")
	if lines[1] != "in  100 allow tcp    0.0.0.0/0     22          # with \"quotes\" and # hash" {
		t.Fatalf("line 2 is %q\n%s", lines[1], buf.String())
	}
}
