// Package pcaps holds flowverify's recorded sample captures, the NACL
// files that go with them, and the scripts that recorded them. It exports
// only a catalogue of the samples and a way for tests to find the files.
//
// The captures were recorded in network namespaces on one machine with
// real servers (nginx, OpenSSH, BIND, chrony, socat) and clients (curl,
// ssh, dig, chronyd -Q, ping); see README.md in this directory and
// record.sh. They are committed; the scripts are not run by tests.
package pcaps

import (
	"path/filepath"
	"runtime"
)

// Pcap link-layer header types used by the samples (LINKTYPE_* values).
const (
	LinkTypeEthernet  = 1
	LinkTypeLinuxSLL2 = 276
)

// Sample describes one committed capture file.
type Sample struct {
	// File is the capture's file name in Dir, e.g. "webserver.pcap".
	File string
	// Script is the recording script in Dir.
	Script string
	// LinkType is the file's pcap link-layer header type.
	LinkType uint32
	// Packets is the number of records in the file.
	Packets int
	// TCPConversations and UDPConversations are the numbers of 5-tuple
	// conversations `tshark -z conv,tcp` / `-z conv,udp` lists.
	TCPConversations, UDPConversations int
	// ACLFiles are the NACL files in Dir written for this capture.
	ACLFiles []string
	// Description says what the capture shows.
	Description string
}

// Samples lists every committed capture, in the order README.md gives.
var Samples = []Sample{
	{
		File: "webserver.pcap", Script: "webserver.sh", LinkType: LinkTypeEthernet,
		Packets: 194, TCPConversations: 8, UDPConversations: 6,
		ACLFiles:    []string{"webserver.nacl"},
		Description: "web server 10.0.1.10 (HTTP/HTTPS/SSH) serving internet clients and updating itself (DNS, mirror HTTP/HTTPS, NTP, ping)",
	},
	{
		File: "webserver-2.pcap", Script: "webserver.sh", LinkType: LinkTypeEthernet,
		Packets: 191, TCPConversations: 8, UDPConversations: 6,
		ACLFiles:    []string{"webserver.nacl"},
		Description: "second independent recording of the webserver scenario (other client addresses, new ephemeral ports)",
	},
	{
		File: "webserver-3.pcap", Script: "webserver.sh", LinkType: LinkTypeEthernet,
		Packets: 230, TCPConversations: 21, UDPConversations: 6,
		ACLFiles:    []string{"webserver.nacl"},
		Description: "third recording of the webserver scenario: new clients, another package mirror (198.51.100.80), and a connect scan from 203.0.113.99 of open and closed ports",
	},
	{
		File: "portscan.pcap", Script: "portscan.sh", LinkType: LinkTypeEthernet,
		Packets: 2063, TCPConversations: 1024, UDPConversations: 0,
		ACLFiles:    []string{"webserver.nacl"},
		Description: "TCP connect scan of ports 1-1024 on 10.0.1.10 from 203.0.113.66; 22, 80, 443 open",
	},
	{
		File: "ipv6.pcap", Script: "ipv6.sh", LinkType: LinkTypeEthernet,
		Packets: 56, TCPConversations: 3, UDPConversations: 0,
		ACLFiles:    []string{"ipv6.nacl"},
		Description: "IPv6 web server 2001:db8:10:1::10 with clients in 2001:db8:beef::/48, ICMPv6 echo, neighbour discovery",
	},
	{
		File: "any-sll2.pcap", Script: "any-sll2.sh", LinkType: LinkTypeLinuxSLL2,
		Packets: 55, TCPConversations: 4, UDPConversations: 0,
		ACLFiles:    []string{"webserver.nacl"},
		Description: "web traffic captured with tcpdump -i any (Linux cooked v2), including loopback",
	},
	{
		File: "vpc-two-subnets.pcap", Script: "vpc.sh", LinkType: LinkTypeEthernet,
		Packets: 144, TCPConversations: 11, UDPConversations: 0,
		ACLFiles:    []string{"vpc-acls.json", "vpc-subnets.json"},
		Description: "apps in 10.0.1.0/24 talking to a database and cache in 10.0.2.0/24 and to the internet",
	},
	{
		File: "twotier.pcap", Script: "twotier.sh", LinkType: LinkTypeEthernet,
		Packets: 204, TCPConversations: 18, UDPConversations: 0,
		ACLFiles:    []string{"twotier.nacl"},
		Description: "app subnet 10.0.1.0/24 serving ALB-like nodes in 10.0.3.0/24 (client ports spread over 1024-65535) and querying a database primary and replica in 10.0.2.0/24",
	},
	{
		File: "twotier-2.pcap", Script: "twotier.sh", LinkType: LinkTypeEthernet,
		Packets: 204, TCPConversations: 18, UDPConversations: 0,
		ACLFiles:    []string{"twotier.nacl"},
		Description: "second recording of the two-tier scenario: other app hosts, a new replica and ALB node, new ports",
	},
	{
		File: "exempt.pcap", Script: "exempt.sh", LinkType: LinkTypeEthernet,
		Packets: 84, TCPConversations: 4, UDPConversations: 6,
		ACLFiles:    []string{"exempt.nacl"},
		Description: "traffic NACLs never filter (Amazon DNS, IMDS, Time Sync) plus one ordinary HTTPS download",
	},
}

// Dir returns the directory holding the samples. It is derived from this
// source file's location, so it works in tests run from the source tree
// (not in binaries built with -trimpath).
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "pcaps"
	}
	return filepath.Dir(file)
}

// Path returns the path of the named file in Dir, e.g.
// pcaps.Path("webserver.pcap").
func Path(name string) string { return filepath.Join(Dir(), name) }

// Find returns the Sample whose File is name.
func Find(name string) (Sample, bool) {
	for _, s := range Samples {
		if s.File == name {
			return s, true
		}
	}
	return Sample{}, false
}
