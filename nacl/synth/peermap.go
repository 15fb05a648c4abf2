package synth

import (
	"iter"
	"net/netip"
)

// peerMap holds the use of each peer of one service. There is one entry
// per distinct (peer, service) pair, the largest aggregation of a
// synthesis, so IPv4 peers (nearly all of them) are keyed by their four
// bytes: a small, cheaply hashed, pointer-free map slot. Other addresses
// (IPv6, and the zero address tests use) are keyed by addrKey.
type peerMap struct {
	v4    map[uint32]peerUse
	other map[addrKey]peerUse
}

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

// get returns the use of peer a (zero when none).
func (m *peerMap) get(a netip.Addr) peerUse {
	if k, ok := v4Key(a); ok {
		return m.v4[k]
	}
	return m.other[keyOf(a)]
}

// set stores the use of peer a.
func (m *peerMap) set(a netip.Addr, u peerUse) {
	if k, ok := v4Key(a); ok {
		m.v4[k] = u
		return
	}
	if m.other == nil {
		m.other = map[addrKey]peerUse{}
	}
	m.other[keyOf(a)] = u
}

// len returns the number of peers.
func (m *peerMap) len() int { return len(m.v4) + len(m.other) }

// all yields every peer with its use, in no particular order.
func (m *peerMap) all() iter.Seq2[addrKey, peerUse] {
	return func(yield func(addrKey, peerUse) bool) {
		for k, u := range m.v4 {
			if !yield(v4AddrKey(k), u) {
				return
			}
		}
		for k, u := range m.other {
			if !yield(k, u) {
				return
			}
		}
	}
}

// peerSet is a set of addresses, pointer-free (the collector does not
// scan it): IPv4 addresses by their four bytes, others by addrKey.
type peerSet struct {
	v4    map[uint32]struct{}
	other map[addrKey]struct{}
}

// has reports whether a is in the set.
func (s *peerSet) has(a netip.Addr) bool {
	if k, ok := v4Key(a); ok {
		_, in := s.v4[k]
		return in
	}
	_, in := s.other[keyOf(a)]
	return in
}

// add puts a in the set.
func (s *peerSet) add(a netip.Addr) {
	if k, ok := v4Key(a); ok {
		if s.v4 == nil {
			s.v4 = map[uint32]struct{}{}
		}
		s.v4[k] = struct{}{}
		return
	}
	if s.other == nil {
		s.other = map[addrKey]struct{}{}
	}
	s.other[keyOf(a)] = struct{}{}
}

// len returns the number of addresses in the set.
func (s *peerSet) len() int { return len(s.v4) + len(s.other) }

// appendAddrs appends the addresses of the set to dst, in no particular
// order.
func (s *peerSet) appendAddrs(dst []netip.Addr) []netip.Addr {
	for k := range s.v4 {
		dst = append(dst, v4AddrKey(k).addr())
	}
	for k := range s.other {
		dst = append(dst, k.addr())
	}
	return dst
}
