package flows

import "slices"

// Service is a well-known server port that the classifier treats as
// evidence of the server side.
type Service struct {
	// Port is the server's TCP and/or UDP port.
	Port uint16
	// Name is the usual service name (IANA or the product's documentation).
	Name string
}

// ServicePorts lists the well-known server ports used as "service-port"
// evidence: the services an AWS user typically runs or reaches from a VPC.
// A port is evidence only when exactly one side of a conversation uses a
// listed port; when both sides do (NTP 123<->123, IKE 500/4500, BGP 179,
// DNS 53<->53, 80<->8080) the port says nothing and weaker evidence
// decides. The DHCP client ports 68 and 546 are deliberately absent: they
// are client ports, so a 68->67 exchange has exactly one service port (67).
// Ports that are also common ephemeral choices (3000, 5000, 8000, 9000)
// are left out on purpose.
var ServicePorts = []Service{
	{20, "ftp-data"}, {21, "ftp"}, {22, "ssh"}, {23, "telnet"}, {25, "smtp"},
	{43, "whois"}, {49, "tacacs"}, {53, "dns"}, {67, "dhcp-server"}, {69, "tftp"},
	{80, "http"}, {88, "kerberos"}, {110, "pop3"}, {111, "sunrpc"}, {119, "nntp"},
	{123, "ntp"}, {135, "msrpc"}, {137, "netbios-ns"}, {138, "netbios-dgm"},
	{139, "netbios-ssn"}, {143, "imap"}, {161, "snmp"}, {162, "snmp-trap"},
	{179, "bgp"}, {389, "ldap"}, {443, "https"}, {445, "smb"}, {464, "kpasswd"},
	{465, "smtps"}, {500, "isakmp"}, {514, "syslog"}, {515, "printer"},
	{520, "rip"}, {547, "dhcpv6-server"}, {587, "submission"}, {631, "ipp"},
	{636, "ldaps"}, {853, "dns-over-tls"}, {873, "rsync"}, {989, "ftps-data"},
	{990, "ftps"}, {993, "imaps"}, {995, "pop3s"}, {1080, "socks"},
	{1194, "openvpn"}, {1433, "mssql"}, {1434, "mssql-browser"}, {1521, "oracle"},
	{1701, "l2tp"}, {1723, "pptp"}, {1812, "radius"}, {1813, "radius-acct"},
	{1883, "mqtt"}, {2049, "nfs"}, {2181, "zookeeper"}, {2375, "docker"},
	{2376, "docker-tls"}, {2379, "etcd-client"}, {2380, "etcd-peer"},
	{3128, "squid"}, {3260, "iscsi"}, {3268, "ldap-gc"}, {3269, "ldaps-gc"},
	{3306, "mysql"}, {3389, "rdp"}, {4500, "ipsec-nat-t"}, {4789, "vxlan"},
	{5060, "sip"}, {5061, "sips"}, {5246, "capwap-control"}, {5247, "capwap-data"}, {5222, "xmpp"}, {5432, "postgresql"},
	{5439, "redshift"}, {5601, "kibana"}, {5671, "amqps"}, {5672, "amqp"},
	{5900, "vnc"}, {5985, "winrm"}, {5986, "winrm-https"}, {6081, "geneve"},
	{6379, "redis"}, {6443, "kubernetes-api"}, {6633, "openflow-legacy"},
	{6653, "openflow"}, {7000, "cassandra"},
	{7001, "cassandra-tls"}, {8080, "http-alt"}, {8086, "influxdb"},
	{8200, "vault"}, {8443, "https-alt"}, {8500, "consul"}, {8883, "mqtts"},
	{9042, "cassandra-cql"}, {9092, "kafka"}, {9094, "kafka-tls"},
	{9090, "prometheus"}, {9100, "node-exporter"}, {9200, "elasticsearch"},
	{9300, "elasticsearch-transport"}, {9418, "git"}, {10250, "kubelet"},
	{11211, "memcached"}, {11214, "memcached-tls"}, {12222, "lwapp-data"}, {12223, "lwapp-control"}, {15672, "rabbitmq-mgmt"},
	{27017, "mongodb"}, {27018, "mongodb-shard"}, {50051, "grpc"},
	{51820, "wireguard"},
}

// servicePortSet is a bitmap of ServicePorts, built once.
var servicePortSet = func() *[65536 / 64]uint64 {
	var s [65536 / 64]uint64
	for _, sv := range ServicePorts {
		s[sv.Port/64] |= 1 << (sv.Port % 64)
	}
	return &s
}()

// IsServicePort reports whether port is listed in ServicePorts.
func IsServicePort(port uint16) bool { return servicePortSet[port/64]&(1<<(port%64)) != 0 }

// ServiceName returns the name of a listed service port, or "".
func ServiceName(port uint16) string {
	for _, sv := range ServicePorts {
		if sv.Port == port {
			return sv.Name
		}
	}
	return ""
}

// RestrictedPorts are the TCP/UDP server ports flowverify never opens to
// the whole address family on its own inference (synth's intent, check's
// fixes): remote administration (SSH, Telnet, RDP, WinRM, VNC, SMB/RPC,
// Docker, SNMP) and databases and caches (SQL Server, Oracle, MySQL,
// PostgreSQL, Redis, Elasticsearch, memcached, MongoDB). A NACL open to
// 0.0.0.0/0 on 22 or 3389 fails CIS AWS Foundations 5.1 and AWS Security
// Hub control EC2.21.
var RestrictedPorts = []uint16{22, 23, 135, 139, 161, 445, 1433, 1434, 1521, 2375, 2376,
	3306, 3389, 5432, 5900, 5985, 5986, 6379, 9200, 9300, 11211, 27017}

// IsRestrictedPort reports whether port is listed in RestrictedPorts.
func IsRestrictedPort(port uint16) bool { return slices.Contains(RestrictedPorts, port) }
