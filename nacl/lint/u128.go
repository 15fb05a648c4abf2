package lint

import (
	"math/bits"
	"net/netip"
)

// u128 is an unsigned 128-bit integer: an IPv6 address, or an IPv4 address
// in the low 32 bits, or a small value (protocol, port, ICMP type/code).
type u128 struct{ hi, lo uint64 }

// small returns v as a u128.
func small(v uint64) u128 { return u128{lo: v} }

// cmp returns -1, 0 or +1.
func (a u128) cmp(b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// less reports a < b.
func (a u128) less(b u128) bool { return a.cmp(b) < 0 }

// inc returns a+1 (wrapping).
func (a u128) inc() u128 {
	lo, c := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + c, lo}
}

// dec returns a-1 (wrapping).
func (a u128) dec() u128 {
	lo, b := bits.Sub64(a.lo, 1, 0)
	return u128{a.hi - b, lo}
}

// lowOnes returns a value with the n low bits set (0 <= n <= 128).
func lowOnes(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{lo: 1<<uint(n) - 1}
	case n == 64:
		return u128{lo: ^uint64(0)}
	case n < 128:
		return u128{hi: 1<<uint(n-64) - 1, lo: ^uint64(0)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

// or returns a|b.
func (a u128) or(b u128) u128 { return u128{a.hi | b.hi, a.lo | b.lo} }

// addrValue converts an address to its integer value (IPv4 in the low 32 bits).
func addrValue(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return small(uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3]))
	}
	b := a.As16()
	var v u128
	for i := 0; i < 8; i++ {
		v.hi = v.hi<<8 | uint64(b[i])
		v.lo = v.lo<<8 | uint64(b[i+8])
	}
	return v
}

// valueAddr converts an integer back to an IPv4 (v6 false) or IPv6 address.
func valueAddr(v u128, v6 bool) netip.Addr {
	if !v6 {
		x := uint32(v.lo)
		return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
	}
	var b [16]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(v.hi)
		b[i+8] = byte(v.lo)
		v.hi >>= 8
		v.lo >>= 8
	}
	return netip.AddrFrom16(b)
}
