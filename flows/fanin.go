package flows

// endpointKey names one transport endpoint of one protocol.
type endpointKey struct {
	addr  addr128
	port  uint16
	proto uint8
	kind  uint8
}

// fanIn counts, for the TCP/UDP endpoints whose conversations need it,
// the distinct peers (address:port) they exchanged packets with over the
// whole capture, and how many of those came to them.
type fanIn struct {
	// count holds exactly the endpoints of the conversations that the
	// rules before fan-in leave undecided (classifyEarly), the only ones
	// peers and knownRoles.apply are asked about. Most conversations of a
	// large capture (handshakes, service ports) need none, so the map
	// stays small.
	count map[endpointKey]peerStat
	min   int
	// now is the time inc stamps on the endpoints it counts (streaming
	// tables forget endpoints not seen for a while).
	now int64
}

// peerStat is what fanIn knows of one endpoint's peers.
type peerStat struct {
	// in counts the peers that came to the endpoint (sent the first
	// packet of their conversation); total counts every peer.
	in, total int32
	// first is the first peer seen; mixedAddr and mixedPort say whether a
	// later peer had another address, another port.
	first                endpointKey
	mixedAddr, mixedPort bool
	// last is when the endpoint was last counted (streaming tables only).
	last int64
}

// newFanIn counts peers over the distinct keys of the index (a reused
// 5-tuple is one peer, however many conversations it had; its latest
// conversation says who came to whom).
func newFanIn(x *index, s *store, minPeers int) *fanIn {
	f := &fanIn{count: make(map[endpointKey]peerStat), min: minPeers}
	for i := 0; i < s.n; i++ {
		r := s.at(i)
		if _, ok := classifyEarly(r); ok {
			continue
		}
		f.count[endpointOf(&r.k, 0)] = peerStat{}
		f.count[endpointOf(&r.k, 1)] = peerStat{}
	}
	if len(f.count) == 0 {
		return f
	}
	x.each(func(i int) {
		r := s.at(i)
		if r.k.kind&^kindV6 != kindPorts {
			return
		}
		a := r.aSide()
		f.inc(endpointOf(&r.k, 1-a), endpointOf(&r.k, a), true)
		if r.k.a != r.k.b || r.k.pa != r.k.pb {
			f.inc(endpointOf(&r.k, a), endpointOf(&r.k, 1-a), false)
		}
	})
	return f
}

// inc counts peer as one more peer of e (one that came to e when in is
// true) when e is wanted.
func (f *fanIn) inc(e, peer endpointKey, in bool) {
	st, ok := f.count[e]
	if !ok {
		return
	}
	if st.total == 0 {
		st.first = peer
	} else {
		st.mixedAddr = st.mixedAddr || peer.addr != st.first.addr
		st.mixedPort = st.mixedPort || peer.port != st.first.port
	}
	st.total++
	st.last = f.now
	if in {
		st.in++
	}
	f.count[e] = st
}

// wants reports whether e is an endpoint of an undecided conversation.
func (f *fanIn) wants(e endpointKey) bool {
	_, ok := f.count[e]
	return ok
}

// peers is the number of distinct peers that came to side s of r.
func (f *fanIn) peers(r *rec, s uint8) int { return int(f.count[endpointOf(&r.k, s)].in) }

// total is the number of distinct peers of side s of r, either way.
func (f *fanIn) total(r *rec, s uint8) int { return int(f.count[endpointOf(&r.k, s)].total) }

// shared reports whether side s of r talked with at least two peers of
// different addresses and different ports, at least one of which came to
// it (the listening side of several independent clients; an endpoint
// that only called others is a client fanning out).
func (f *fanIn) shared(r *rec, s uint8) bool {
	st := f.count[endpointOf(&r.k, s)]
	return st.total >= 2 && st.in >= 1 && st.mixedAddr && st.mixedPort
}

// endpointOf is side 0 or 1 of k.
func endpointOf(k *key, side uint8) endpointKey {
	if side == 1 {
		return endpointKey{k.b, k.pb, k.proto, k.kind}
	}
	return endpointKey{k.a, k.pa, k.proto, k.kind}
}
