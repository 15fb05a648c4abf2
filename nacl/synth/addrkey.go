package synth

import (
	"cmp"
	"encoding/binary"
	"net/netip"
)

// addrKey is an address as a pointer-free map key. A netip.Addr holds a
// pointer (its zone), so the garbage collector scans every map keyed by
// one, and the synthesis keeps maps with an entry per peer and service
// and per client; these use addrKey. Conversation addresses carry no
// zone.
type addrKey struct {
	hi, lo uint64
	bits   uint8 // netip.Addr.BitLen: 0 (the zero Addr), 32 or 128
}

// keyOf returns the key of a.
func keyOf(a netip.Addr) addrKey {
	b := a.As16()
	return addrKey{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), bits: uint8(a.BitLen())}
}

// addr returns the address of k.
func (k addrKey) addr() netip.Addr {
	switch k.bits {
	case 32:
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(k.lo))
		return netip.AddrFrom4(b)
	case 128:
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], k.hi)
		binary.BigEndian.PutUint64(b[8:], k.lo)
		return netip.AddrFrom16(b)
	}
	return netip.Addr{}
}

// compare orders keys as netip.Addr.Compare orders their addresses.
func (k addrKey) compare(o addrKey) int {
	if c := cmp.Compare(k.bits, o.bits); c != 0 {
		return c
	}
	if c := cmp.Compare(k.hi, o.hi); c != 0 {
		return c
	}
	return cmp.Compare(k.lo, o.lo)
}
