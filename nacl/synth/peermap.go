package synth

import (
	"iter"
	"net/netip"
)

// addrMap maps addresses to values. There is an entry per distinct peer
// or client, the largest aggregations of a synthesis, so IPv4 addresses
// (nearly all of them) are keyed by their four bytes: a small, cheaply
// hashed, pointer-free map slot. Other addresses (IPv6, and the zero
// address tests use) are keyed by addrKey. The zero value is empty.
type addrMap[V any] struct {
	v4    map[uint32]V
	other map[addrKey]V
}

// peerMap holds the use of each peer of one service.
type peerMap = addrMap[peerUse]

func newPeerMap() *peerMap { return &peerMap{v4: map[uint32]peerUse{}} }

// v4Key returns the map key of an IPv4 address (ok false for others).
func v4Key(a netip.Addr) (uint32, bool) {
	if !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

// v4AddrKey returns the addrKey of the IPv4 address with key k (as keyOf
// gives it: the IPv4-mapped form in lo).
func v4AddrKey(k uint32) addrKey { return addrKey{lo: 0xffff<<32 | uint64(k), bits: 32} }

// lookup returns the value of a and whether a has one.
func (m *addrMap[V]) lookup(a netip.Addr) (V, bool) {
	if k, ok := v4Key(a); ok {
		v, in := m.v4[k]
		return v, in
	}
	v, in := m.other[keyOf(a)]
	return v, in
}

// get returns the value of a (zero when none).
func (m *addrMap[V]) get(a netip.Addr) V {
	v, _ := m.lookup(a)
	return v
}

// has reports whether a has a value.
func (m *addrMap[V]) has(a netip.Addr) bool {
	_, in := m.lookup(a)
	return in
}

// set stores the value of a.
func (m *addrMap[V]) set(a netip.Addr, v V) {
	if k, ok := v4Key(a); ok {
		if m.v4 == nil {
			m.v4 = map[uint32]V{}
		}
		m.v4[k] = v
		return
	}
	if m.other == nil {
		m.other = map[addrKey]V{}
	}
	m.other[keyOf(a)] = v
}

// len returns the number of addresses.
func (m *addrMap[V]) len() int { return len(m.v4) + len(m.other) }

// all yields every address with its value, in no particular order.
func (m *addrMap[V]) all() iter.Seq2[addrKey, V] {
	return func(yield func(addrKey, V) bool) {
		for k, v := range m.v4 {
			if !yield(v4AddrKey(k), v) {
				return
			}
		}
		for k, v := range m.other {
			if !yield(k, v) {
				return
			}
		}
	}
}

// peerSet is a set of addresses, pointer-free (the collector does not
// scan it).
type peerSet struct{ m addrMap[struct{}] }

// has reports whether a is in the set.
func (s *peerSet) has(a netip.Addr) bool { return s.m.has(a) }

// add puts a in the set.
func (s *peerSet) add(a netip.Addr) { s.m.set(a, struct{}{}) }

// len returns the number of addresses in the set.
func (s *peerSet) len() int { return s.m.len() }

// appendAddrs appends the addresses of the set to dst, in no particular
// order.
func (s *peerSet) appendAddrs(dst []netip.Addr) []netip.Addr {
	for k := range s.m.all() {
		dst = append(dst, k.addr())
	}
	return dst
}
