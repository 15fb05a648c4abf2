package lint

import (
	"fmt"
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
)

// Peer addresses used for the side of a witness packet a NACL entry does
// not look at (the destination of inbound packets, the source of outbound).
var (
	witnessPeer4 = netip.MustParseAddr("10.0.0.10")
	witnessPeer6 = netip.MustParseAddr("fd00::10")
)

// pointPacket builds the packet at the low corner of b.
func pointPacket(b *box, dir nacl.Direction, v6 bool) nacl.Packet {
	proto := int(b[dimProto].lo.lo)
	p := nacl.Packet{Proto: uint8(proto)}
	addr, peer := valueAddr(b[dimAddr].lo, v6), witnessPeer4
	if v6 {
		peer = witnessPeer6
	}
	if dir == nacl.Egress {
		p.Src, p.Dst = peer, addr
	} else {
		p.Src, p.Dst = addr, peer
	}
	if matchesPorts(proto) {
		p.DstPort, p.HasPort = uint16(b[dimPort].lo.lo), true
	}
	if proto == nacl.ProtoICMP || proto == nacl.ProtoICMPv6 {
		p.ICMPType, p.ICMPCode, p.HasICMP = uint8(b[dimType].lo.lo), uint8(b[dimCode].lo.lo), true
	}
	return p
}

// Witness returns a packet that rule ruleNumber of direction dir decides
// when acl is evaluated, and false when no packet reaches that rule (it
// is unreachable, matches nothing, or does not exist). The error reports
// an ACL too intricate for the work limit.
func Witness(acl *nacl.ACL, dir nacl.Direction, ruleNumber int) (nacl.Packet, bool, error) {
	gs := splitGroups(acl)
	for _, v6 := range []bool{false, true} {
		g := gs[groupKey{dir, v6}]
		for i := range g.rules {
			if g.rules[i].num != ruleNumber || !g.rules[i].ok {
				continue
			}
			reach, err := g.reachOf(i, nil)
			if err != nil {
				return nacl.Packet{}, false, fmt.Errorf("witness for %s rule %d: %w", dir, ruleNumber, err)
			}
			if len(reach) == 0 {
				return nacl.Packet{}, false, nil
			}
			return pointPacket(&reach[0], dir, v6), true, nil
		}
	}
	return nacl.Packet{}, false, nil
}
