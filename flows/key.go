package flows

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"unsafe"
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
// Addresses are held as their 16-byte (IPv4-mapped for IPv4) form in two
// big-endian words, so that comparing, ordering and hashing take a few
// word operations. It is 40 bytes (38 and padding) and comparable.
type key struct {
	a, b   addr128
	pa, pb uint16
	proto  uint8
	kind   uint8
}

// addr128 is a 16-byte address as big-endian words: hi holds bytes 0-7.
type addr128 struct{ hi, lo uint64 }

func addrWords(a netip.Addr) addr128 {
	if netipLayoutOK {
		// netip.Addr holds the same two words (IPv4 in its mapped form).
		w := (*addr128)(unsafe.Pointer(&a))
		return *w
	}
	b := a.As16()
	return addr128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// netipLayoutOK is true when netip.Addr starts with its address as two
// big-endian words (hi, lo), as in every Go release so far; checked once
// so that a different layout falls back to As16.
var netipLayoutOK = func() bool {
	if unsafe.Sizeof(netip.Addr{}) < unsafe.Sizeof(addr128{}) {
		return false
	}
	for _, s := range []string{"10.1.2.3", "255.254.253.252", "2001:db8::1", "fe80::1:2:3:4", "::", "::ffff:1.2.3.4", "0.0.0.0"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		want := addr128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
		if *(*addr128)(unsafe.Pointer(&a)) != want {
			return false
		}
	}
	return true
}()

// bytes16 is the 16-byte form of a.
func (a addr128) bytes16() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return b
}

// eq reports whether k and o are the same key.
func (k *key) eq(o *key) bool {
	return k.a == o.a && k.b == o.b && k.pa == o.pa && k.pb == o.pb && k.proto == o.proto && k.kind == o.kind
}

// makeKey builds the canonical key of a packet from src to dst and
// reports the canonical side of the sender (0 when src is key.a).
func makeKey(kind, proto uint8, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) (key, uint8) {
	var k key
	side := k.set(kind, proto, src, sport, dst, dport)
	return k, side
}

// set is makeKey filling k in place (the hot path: no struct copies).
func (k *key) set(kind, proto uint8, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) uint8 {
	k.proto, k.kind = proto, kind
	if src.Is6() || dst.Is6() {
		k.kind |= kindV6
	}
	sa, da := addrWords(src), addrWords(dst)
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
		k.pa, k.pb = sport, 0
	default:
		if less(da, 0, sa, 0) {
			sa, da, side = da, sa, 1
		}
		k.pa, k.pb = 0, 0
	}
	k.a, k.b = sa, da
	return side
}

// less orders endpoints by address bytes, then port.
func less(a addr128, pa uint16, b addr128, pb uint16) bool {
	if a.hi != b.hi {
		return a.hi < b.hi
	}
	if a.lo != b.lo {
		return a.lo < b.lo
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
	a := netip.AddrFrom16(b.bytes16())
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
	h = mix(h^k.a.hi, k.a.lo^0x9E3779B97F4A7C15)
	h = mix(h^k.b.hi, k.b.lo^0xC2B2AE3D27D4EB4F)
	tail := uint64(k.pa) | uint64(k.pb)<<16 | uint64(k.proto)<<32 | uint64(k.kind)<<40
	return mix(h^tail, 0x165667B19E3779F9)
}

// mix multiplies a and b to 128 bits and folds the halves.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
