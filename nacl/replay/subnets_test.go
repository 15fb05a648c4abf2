package replay

import (
	"net/netip"
	"strings"
	"testing"
)

const subnetsDoc = `{
  "Subnets": [
    {"SubnetId": "subnet-web", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24",
     "Ipv6CidrBlockAssociationSet": [
       {"Ipv6CidrBlock": "2001:db8:10:1::/64", "Ipv6CidrBlockState": {"State": "associated"}},
       {"Ipv6CidrBlock": "2001:db8:10:9::/64", "Ipv6CidrBlockState": {"State": "disassociated"}}],
     "Tags": [{"Key": "Name", "Value": "web"}]},
    {"SubnetId": "subnet-v6", "VpcId": "vpc-1",
     "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2001:db8:10:2::/64"}]}
  ]
}`

func TestParseSubnets(t *testing.T) {
	got, err := ParseSubnets("s.json", []byte(subnetsDoc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "subnet-web" || got[0].Name != "web" || got[0].VPCID != "vpc-1" || got[0].Path != "$.Subnets[0]" {
		t.Fatalf("got %+v", got)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("2001:db8:10:1::/64")}
	if len(got[0].CIDRs) != 2 || got[0].CIDRs[0] != want[0] || got[0].CIDRs[1] != want[1] {
		t.Errorf("CIDRs %v, want %v (disassociated block left out)", got[0].CIDRs, want)
	}
	if len(got[1].CIDRs) != 1 || !got[1].CIDRs[0].Addr().Is6() {
		t.Errorf("IPv6-only subnet: %v", got[1].CIDRs)
	}
	one, err := ParseSubnets("one.json", []byte(`{"Subnet": {"SubnetId": "subnet-a", "CidrBlock": "10.0.3.7/24"}}`))
	if err != nil || len(one) != 1 || one[0].CIDRs[0].String() != "10.0.3.0/24" || one[0].Path != "$.Subnet" {
		t.Errorf("single subnet: %+v, %v", one, err)
	}
	arr, err := ParseSubnets("arr.json", []byte(`[{"SubnetId": "subnet-a", "CidrBlock": "10.0.3.0/24"}]`))
	if err != nil || len(arr) != 1 || arr[0].Path != "$[0]" {
		t.Errorf("bare array: %+v, %v", arr, err)
	}
}

func TestParseSubnetsErrors(t *testing.T) {
	cases := []struct{ doc, want string }{
		{``, "empty file"},
		{`{"Subnets": [}`, "bad.json:1:15: invalid JSON"},
		{"{\n \"Subnets\": [{\"SubnetId\": 7}]}", "bad.json:2:"},
		{`{"Subnets": [{"CidrBlock": "10.0.0.0/24"}]}`, "$.Subnets[0].SubnetId: missing"},
		{`{"Subnets": [{"SubnetId": "s", "CidrBlock": "10.0.0.0/33"}]}`, `$.Subnets[0].CidrBlock: "10.0.0.0/33" is not an IPv4 CIDR`},
		{`{"Subnets": [{"SubnetId": "s", "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "10.0.0.0/8"}]}]}`, "Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock"},
		{`{"Subnets": [{"SubnetId": "s"}]}`, "neither CidrBlock"},
		{`{"Subnets": [{"SubnetId": "s", "CidrBlock": "10.0.0.0/24"}, {"SubnetId": "s", "CidrBlock": "10.0.1.0/24"}]}`, "listed twice"},
		{`{"NetworkAcls": []}`, "not describe-subnets output"},
	}
	for _, c := range cases {
		_, err := ParseSubnets("bad.json", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.doc, err, c.want)
		}
	}
}

func FuzzParseSubnets(f *testing.F) {
	f.Add([]byte(subnetsDoc))
	f.Add([]byte(`{"Subnet": {"SubnetId": "subnet-a", "CidrBlock": "10.0.3.7/24"}}`))
	f.Add([]byte(`[{"SubnetId": "x", "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "::/0"}]}]`))
	f.Add([]byte(`{"Subnets": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		subs, err := ParseSubnets("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, s := range subs {
			if s.ID == "" || len(s.CIDRs) == 0 {
				t.Fatalf("accepted subnet without ID or CIDR: %+v", s)
			}
			for _, p := range s.CIDRs {
				if p != p.Masked() {
					t.Fatalf("non-canonical CIDR %v", p)
				}
			}
		}
	})
}
