package replay

import (
	"strings"
	"testing"
)

func TestParseInterfaces(t *testing.T) {
	doc := `{"NetworkInterfaces": [
  {"NetworkInterfaceId": "eni-1", "SubnetId": "subnet-web", "VpcId": "vpc-1", "InterfaceType": "interface",
   "PrivateIpAddress": "10.0.1.10", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.10", "Primary": true}, {"PrivateIpAddress": "10.0.1.11"}],
   "Ipv6Addresses": [{"Ipv6Address": "2001:db8:1::10"}]},
  {"NetworkInterfaceId": "eni-2", "SubnetId": "subnet-db", "InterfaceType": "nat_gateway", "PrivateIpAddress": "10.0.2.5"}
]}`
	got, err := ParseInterfaces("eni.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].SubnetID != "subnet-web" || len(got[0].Addrs) != 3 || got[0].Addrs[2].String() != "2001:db8:1::10" ||
		got[1].Type != "nat_gateway" || got[1].Path != "$.NetworkInterfaces[1]" {
		t.Errorf("%+v", got)
	}
	for _, c := range []struct{ doc, want string }{
		{`{"NetworkInterfaces": [{"SubnetId": "s"}]}`, "eni.json: $.NetworkInterfaces[0].NetworkInterfaceId: missing"},
		{`{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "SubnetId": "s", "PrivateIpAddress": "x"}]}`, `eni.json: $.NetworkInterfaces[0].PrivateIpAddress: "x" is not an IP address`},
		{`{"Subnets": []}`, "not describe-network-interfaces output"},
		{"{\n  \"NetworkInterfaces\": [,]}", "eni.json:2:26: invalid JSON"},
	} {
		_, err := ParseInterfaces("eni.json", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseInterfaces(%s) = %v, want %q", c.doc, err, c.want)
		}
	}
}

func FuzzParseInterfaces(f *testing.F) {
	f.Add([]byte(`{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "SubnetId": "subnet-a", "PrivateIpAddress": "10.0.1.10",
  "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.10"}], "Ipv6Addresses": [{"Ipv6Address": "2001:db8::1"}]}]}`))
	f.Add([]byte(`[{"NetworkInterfaceId": "eni-2", "SubnetId": "s"}]`))
	f.Add([]byte(`{"NetworkInterfaces": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ifs, err := ParseInterfaces("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, in := range ifs {
			if in.ID == "" || in.SubnetID == "" || seen[in.ID] {
				t.Fatalf("accepted interface without ID or subnet, or twice: %+v", in)
			}
			seen[in.ID] = true
			for _, a := range in.Addrs {
				if !a.IsValid() {
					t.Fatalf("invalid address in %+v", in)
				}
			}
		}
	})
}
