module github.com/flowverify/flowverify

go 1.26

require (
	github.com/gopacket/gopacket v1.7.7
	github.com/hashicorp/hcl/v2 v2.25.0
	github.com/spf13/pflag v1.1.0
	github.com/zclconf/go-cty v1.19.0
	go4.org/netipx v0.0.0-20260823151212-3075585bcbeb
	gopkg.in/yaml.v3 v3.0.1
)
