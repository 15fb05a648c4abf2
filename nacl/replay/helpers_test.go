package replay

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// ent builds an entry: dir "in"/"out", proto -1/6/17/1/58, ports "" or "80" or "1024-65535".
func ent(t testing.TB, dir string, num int, action nacl.Action, proto int, cidr string, from, to uint16) nacl.Entry {
	t.Helper()
	d := nacl.Ingress
	if dir == "out" {
		d = nacl.Egress
	}
	return nacl.Entry{RuleNumber: num, Direction: d, Action: action, Protocol: proto,
		CIDR: netip.MustParsePrefix(cidr), Ports: nacl.PortRange{From: from, To: to}, ICMPType: -1, ICMPCode: -1}
}

// webACL is the seed scenario's NACL: inbound 22/80/443 allowed, inbound
// tcp 1024-65535 denied, outbound 22/80/443 and 1024-65535 allowed.
func webACL(t testing.TB) *nacl.ACL {
	a, d := nacl.Allow, nacl.Deny
	return &nacl.ACL{ID: "acl-web", Name: "web-server", Entries: []nacl.Entry{
		ent(t, "in", 100, a, 6, "0.0.0.0/0", 22, 22),
		ent(t, "in", 110, a, 6, "0.0.0.0/0", 80, 80),
		ent(t, "in", 120, a, 6, "0.0.0.0/0", 443, 443),
		ent(t, "in", 130, d, 6, "0.0.0.0/0", 1024, 65535),
		ent(t, "out", 100, a, 6, "0.0.0.0/0", 22, 22),
		ent(t, "out", 110, a, 6, "0.0.0.0/0", 80, 80),
		ent(t, "out", 120, a, 6, "0.0.0.0/0", 443, 443),
		ent(t, "out", 130, a, 6, "0.0.0.0/0", 1024, 65535),
	}}
}

func tcpPkt(src, dst string, dport uint16) nacl.Packet {
	return nacl.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: 6, DstPort: dport, HasPort: true}
}

func mustJudge(t testing.TB, topo *Topology) *Judge {
	t.Helper()
	j, err := NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func simple(t testing.TB, acl *nacl.ACL, cidrs ...string) *Topology {
	t.Helper()
	var ps []netip.Prefix
	for _, c := range cidrs {
		ps = append(ps, netip.MustParsePrefix(c))
	}
	topo, err := SimpleTopology(acl, ps, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// checksText is the compact form render prints ("in#130",
// "acl-a out#100:allow, acl-b in#130:deny"), for the tests' tables.
func checksText(cs []Check, withACL bool) string {
	var parts []string
	for _, c := range cs {
		s := ""
		if withACL {
			s = c.ACL + " "
		}
		d := "in"
		if c.Direction == nacl.Egress {
			d = "out"
		}
		s += d + "#" + strconv.Itoa(c.Rule)
		if len(cs) > 1 {
			s += ":" + c.Action.String()
		}
		if c.Uncertain {
			s += "?"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
