package lint

import (
	"math/rand/v2"
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
)

// Values random ACLs are drawn from: nested and disjoint CIDRs and port
// boundaries, so that rules overlap often.
var (
	genCIDR4 = []string{"0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "10.1.2.3/32", "192.0.2.0/24", "0.0.0.0/1", "128.0.0.0/1"}
	genCIDR6 = []string{"::/0", "2001:db8::/32", "2001:db8::/33", "2001:db8:8000::/33", "2001:db8:1::/48", "::/1", "8000::/1", "::/64"}
	genProto = []int{-1, 6, 6, 6, 17, 17, 1, 58, 50}
	genPorts = []uint16{0, 22, 80, 443, 1023, 1024, 32768, 49152, 60999, 65535}
	genICMP  = []int{-1, 0, 2, 3, 8, 135}
	genCode  = []int{-1, 0, 4}
)

// randomACL builds an ACL of up to n entries per direction with unique
// rule numbers per direction.
func randomACL(r *rand.Rand, n int) *nacl.ACL {
	acl := &nacl.ACL{ID: "acl-random"}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		used := map[int]bool{}
		k := r.IntN(n + 1)
		for range k {
			num := 1 + r.IntN(60)*10
			if used[num] {
				continue
			}
			used[num] = true
			e := nacl.Entry{RuleNumber: num, Direction: dir, Action: nacl.Action(r.IntN(2)), Protocol: genProto[r.IntN(len(genProto))],
				ICMPType: genICMP[r.IntN(len(genICMP))], ICMPCode: genCode[r.IntN(len(genCode))]}
			if r.IntN(3) == 0 {
				e.CIDR = netip.MustParsePrefix(genCIDR6[r.IntN(len(genCIDR6))])
			} else {
				e.CIDR = netip.MustParsePrefix(genCIDR4[r.IntN(len(genCIDR4))])
			}
			a, b := genPorts[r.IntN(len(genPorts))], genPorts[r.IntN(len(genPorts))]
			if r.IntN(30) != 0 && a > b { // rarely keep an empty range
				a, b = b, a
			}
			e.Ports = nacl.PortRange{From: a, To: b}
			acl.Entries = append(acl.Entries, e)
		}
	}
	return acl
}

// randomPacket returns a packet for direction dir, usually near the
// boundaries of a random entry's box, sometimes anywhere.
func randomPacket(r *rand.Rand, acl *nacl.ACL, dir nacl.Direction) nacl.Packet {
	v6 := r.IntN(3) == 0
	b := fullBox(v6)
	var es []*nacl.Entry
	for i := range acl.Entries {
		if acl.Entries[i].Direction == dir {
			es = append(es, &acl.Entries[i])
		}
	}
	if len(es) > 0 && r.IntN(5) != 0 {
		e := es[r.IntN(len(es))]
		if eb, _, ok := entryBox(e); ok {
			b, v6 = eb, e.IsIPv6()
		}
	}
	f := fullBox(v6)
	var pt box
	for d := range numDims {
		pt[d].lo = pickNear(r, b[d], f[d])
		pt[d].hi = pt[d].lo
	}
	if r.IntN(4) == 0 { // switch to a random protocol of interest
		pt[dimProto].lo = small(uint64([]int{1, 6, 17, 58, 50}[r.IntN(5)]))
	}
	return pointPacket(&pt, dir, v6)
}

// pickNear picks a value in full: a bound of iv, just outside it, or a
// random value inside it.
func pickNear(r *rand.Rand, iv, full interval) u128 {
	var v u128
	switch r.IntN(5) {
	case 0:
		v = iv.lo
	case 1:
		v = iv.hi
	case 2:
		v = iv.lo.dec()
	case 3:
		v = iv.hi.inc()
	default:
		if iv.hi.hi == 0 && iv.lo.hi == 0 && iv.hi.lo > iv.lo.lo {
			span := iv.hi.lo - iv.lo.lo
			off := r.Uint64()
			if span != ^uint64(0) {
				off = r.Uint64N(span + 1)
			}
			v = small(iv.lo.lo + off)
		} else {
			v = u128{iv.lo.hi, iv.lo.lo + r.Uint64N(1<<40)}
			if iv.hi.less(v) {
				v = iv.lo
			}
		}
	}
	if v.less(full.lo) || full.hi.less(v) {
		return iv.lo
	}
	return v
}
