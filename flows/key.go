package flows

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// keyKind says how a key identifies its conversation.
const (
	// kindPorts: TCP/UDP, keyed by both addresses and ports.
	kindPorts uint8 = iota
	// kindEcho: ICMP/ICMPv6 echo, keyed by both addresses and the identifier (in pa).
	kindEcho
	// kindAddrs: other ICMP and other IP protocols, keyed by addresses only.
	kindAddrs
	// kindV6 is or'ed into key.kind for IPv6 so that an IPv4 address and
	// its IPv4-mapped IPv6 form never share a conversation.
	kindV6 uint8 = 0x80
)

// key is the compact, canonical (direction-independent) identity of a
// conversation: endpoint a is the lower of the two (address, then port).
// It is 38 bytes and comparable.
type key struct {
	a, b   [16]byte
	pa, pb uint16
	proto  uint8
	kind   uint8
}

// makeKey builds the canonical key of a packet from src to dst and
// reports the canonical side of the sender (0 when src is key.a).
func makeKey(kind, proto uint8, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) (key, uint8) {
	k := key{proto: proto, kind: kind}
	if src.Is6() || dst.Is6() {
		k.kind |= kindV6
	}
	sa, da := src.As16(), dst.As16()
	side := uint8(0)
	switch kind {
	case kindPorts:
		if less(da, dport, sa, sport) {
			sa, da, sport, dport, side = da, sa, dport, sport, 1
		}
		k.pa, k.pb = sport, dport
	case kindEcho:
		// sport carries the echo identifier; both directions use the same one.
		if less(da, 0, sa, 0) {
			sa, da, side = da, sa, 1
		}
		k.pa = sport
	default:
		if less(da, 0, sa, 0) {
			sa, da, side = da, sa, 1
		}
	}
	k.a, k.b = sa, da
	return k, side
}

// less orders endpoints by address bytes, then port.
func less(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return pa < pb
}

// addr returns endpoint a (side 0) or b (side 1) as a netip.Addr of the
// key's IP version.
func (k *key) addr(side uint8) netip.Addr {
	b := k.a
	if side == 1 {
		b = k.b
	}
	a := netip.AddrFrom16(b)
	if k.kind&kindV6 == 0 {
		return a.Unmap()
	}
	return a
}

// port returns the port of side 0 or 1 (zero for keys without ports).
func (k *key) port(side uint8) uint16 {
	if k.kind&^kindV6 != kindPorts {
		return 0
	}
	if side == 1 {
		return k.pb
	}
	return k.pa
}

// version is 4 or 6.
func (k *key) version() uint8 {
	if k.kind&kindV6 != 0 {
		return 6
	}
	return 4
}

// hash mixes the key with seed (a wyhash-style multiply-fold over 8-byte
// words). The seed is random per table so that crafted captures cannot
// aim at collisions; output order never depends on it.
func (k *key) hash(seed uint64) uint64 {
	h := seed
	h = mix(h^binary.LittleEndian.Uint64(k.a[0:8]), binary.LittleEndian.Uint64(k.a[8:16])^0x9E3779B97F4A7C15)
	h = mix(h^binary.LittleEndian.Uint64(k.b[0:8]), binary.LittleEndian.Uint64(k.b[8:16])^0xC2B2AE3D27D4EB4F)
	tail := uint64(k.pa) | uint64(k.pb)<<16 | uint64(k.proto)<<32 | uint64(k.kind)<<40
	return mix(h^tail, 0x165667B19E3779F9)
}

// mix multiplies a and b to 128 bits and folds the halves.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
