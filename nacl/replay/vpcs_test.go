package replay

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
)

const vpcsDoc = `{"Vpcs": [
  {"VpcId": "vpc-0a1b", "CidrBlock": "10.0.0.0/16",
   "CidrBlockAssociationSet": [
     {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
     {"CidrBlock": "100.64.0.0/20", "CidrBlockState": {"State": "associated"}},
     {"CidrBlock": "172.16.0.0/24", "CidrBlockState": {"State": "disassociated"}}],
   "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2001:db8:10::/56", "Ipv6CidrBlockState": {"State": "associated"}}]},
  {"VpcId": "vpc-other", "CidrBlock": "192.168.0.0/16"}
]}`

func TestParseVPCs(t *testing.T) {
	vpcs, err := ParseVPCs("vpcs.json", []byte(vpcsDoc))
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs) != 2 || vpcs[0].ID != "vpc-0a1b" || vpcs[0].Path != "$.Vpcs[0]" {
		t.Fatalf("%+v", vpcs)
	}
	var got []string
	for _, p := range VPCCIDRs(vpcs, map[string]bool{"vpc-0a1b": true}) {
		got = append(got, p.String())
	}
	if w := "10.0.0.0/16 100.64.0.0/20 2001:db8:10::/56"; strings.Join(got, " ") != w {
		t.Errorf("CIDRs %q, want %q (disassociated block left out, primary once)", got, w)
	}
	if n := len(VPCCIDRs(vpcs, nil)); n != 4 {
		t.Errorf("every VPC: %d CIDRs", n)
	}
	// Each VPC's resolver is base+2 of its primary CIDR only.
	var rs []string
	for _, a := range VPCResolvers(vpcs, nil) {
		rs = append(rs, a.String())
	}
	if w := "10.0.0.2 192.168.0.2"; strings.Join(rs, " ") != w {
		t.Errorf("resolvers %q, want %q", rs, w)
	}
	if rs := VPCResolvers(vpcs, map[string]bool{"vpc-other": true}); len(rs) != 1 || rs[0].String() != "192.168.0.2" {
		t.Errorf("resolvers of vpc-other: %v", rs)
	}
	for _, c := range []struct{ doc, want string }{
		{``, "vpcs.json: empty file"},
		{`{"Vpcs": [{"CidrBlock": "10.0.0.0/16"}]}`, "$.Vpcs[0].VpcId: missing"},
		{`{"Vpcs": [{"VpcId": "v", "CidrBlock": "10.0.0.0/33"}]}`, "$.Vpcs[0].CidrBlock: \"10.0.0.0/33\" is not an IPv4 CIDR"},
		{`{"Vpcs": [{"VpcId": "v", "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "10.0.0.0/8"}]}]}`, "$.Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock"},
		{`{"Vpcs": [{"VpcId": "v"}]}`, "VPC v has no CIDR block"},
		{`{"Vpcs": [{"VpcId": "v", "CidrBlock": "10.0.0.0/16"}, {"VpcId": "v", "CidrBlock": "10.1.0.0/16"}]}`, "listed twice"},
		{`{"Vpcs": [{"VpcId": 7}]}`, "vpcs.json:1:"},
		{`{"Subnets": []}`, "not describe-vpcs output"},
	} {
		if _, err := ParseVPCs("vpcs.json", []byte(c.doc)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.doc, err, c.want)
		}
	}
	one, err := ParseVPCs("vpc.json", []byte(`{"Vpc": {"VpcId": "vpc-1", "CidrBlock": "10.9.0.7/16"}}`))
	if err != nil || one[0].CIDRs[0].String() != "10.9.0.0/16" || one[0].Path != "$.Vpc" {
		t.Errorf("create-vpc output: %+v %v", one, err)
	}
}

func FuzzParseVPCs(f *testing.F) {
	f.Add([]byte(vpcsDoc))
	f.Add([]byte(`{"Vpc": {"VpcId": "vpc-1", "CidrBlock": "10.9.0.7/16"}}`))
	f.Add([]byte(`[{"VpcId": "x", "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "::/0"}]}]`))
	f.Add([]byte(`{"Vpcs": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		vpcs, err := ParseVPCs("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, v := range vpcs {
			if v.ID == "" || len(v.CIDRs) == 0 {
				t.Fatalf("accepted VPC without ID or CIDR: %+v", v)
			}
			for _, p := range v.CIDRs {
				if p != p.Masked() {
					t.Fatalf("non-canonical CIDR %v", p)
				}
			}
		}
	})
}

// DNS to 10.0.0.2 (base+2 of the possible VPC CIDRs 10.0.0.0/16../23
// holding 10.0.1.0/24) is inferred as the resolver; DNS to an ordinary
// server and HTTP to a .2 address are not.
func TestInferResolvers(t *testing.T) {
	g := newConvGen()
	g.pkt("10.0.1.10", "10.0.0.2", 40000, 53, 17, 0)
	g.pkt("10.0.0.2", "10.0.1.10", 53, 40000, 17, 0)
	g.pkt("10.0.1.10", "10.0.0.2", 40001, 53, 17, 0)
	g.pkt("10.0.0.2", "10.0.1.10", 53, 40001, 17, 0)
	g.pkt("10.0.1.10", "192.0.2.53", 40002, 53, 17, 0)
	g.tcp("ok", "10.0.1.10", 40003, "10.3.0.2", 80)
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	rg := rec.Finish()
	topo := simple(t, webACL(t), "10.0.1.0/24")
	topo.VPCCIDRs = nil
	rs := InferResolvers(rg, topo)
	if len(rs) != 1 || rs[0].Addr != netip.MustParseAddr("10.0.0.2") || rs[0].Conversations != 2 ||
		rs[0].Widest.String() != "10.0.0.0/16" || rs[0].Narrowest.String() != "10.0.0.0/23" {
		t.Fatalf("resolvers %+v", rs)
	}
	topo.Resolvers = []netip.Addr{rs[0].Addr}
	rep := BuildReport(mustJudge(t, topo), rg)
	if rep.Summary.ExemptBy[ReasonAmazonDNS] != 4 {
		t.Errorf("exempt %v, want the 4 DNS packets to 10.0.0.2", rep.Summary.ExemptBy)
	}
	// With the VPC CIDR known nothing is left to infer.
	if rs := InferResolvers(rg, simple(t, webACL(t), "10.0.1.0/24")); len(rs) != 0 {
		t.Errorf("with --vpc-cidr: %+v", rs)
	}
}
