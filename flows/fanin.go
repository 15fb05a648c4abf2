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
// whole capture.
type fanIn struct {
	// count holds exactly the endpoints of the conversations that the
	// rules before fan-in leave undecided (classifyEarly), the only ones
	// peers and knownRoles.apply are asked about. Most conversations of a
	// large capture (handshakes, service ports) need none, so the map
	// stays small.
	count map[endpointKey]int32
	min   int
}

// newFanIn counts peers over the distinct keys of the index (a reused
// 5-tuple is one peer, however many conversations it had).
func newFanIn(x *index, s *store, minPeers int) *fanIn {
	f := &fanIn{count: make(map[endpointKey]int32), min: minPeers}
	for i := 0; i < s.n; i++ {
		r := s.at(i)
		if _, ok := classifyEarly(r); ok {
			continue
		}
		f.count[endpointOf(&r.k, 0)] = 0
		f.count[endpointOf(&r.k, 1)] = 0
	}
	if len(f.count) == 0 {
		return f
	}
	x.each(func(i int) {
		r := s.at(i)
		if r.k.kind&^kindV6 != kindPorts {
			return
		}
		f.inc(endpointOf(&r.k, 0))
		if r.k.a != r.k.b || r.k.pa != r.k.pb {
			f.inc(endpointOf(&r.k, 1))
		}
	})
	return f
}

// inc counts one more peer of e when e is wanted.
func (f *fanIn) inc(e endpointKey) {
	if c, ok := f.count[e]; ok {
		f.count[e] = c + 1
	}
}

// wants reports whether e is an endpoint of an undecided conversation.
func (f *fanIn) wants(e endpointKey) bool {
	_, ok := f.count[e]
	return ok
}

// endpointOf is side 0 or 1 of k.
func endpointOf(k *key, side uint8) endpointKey {
	if side == 1 {
		return endpointKey{k.b, k.pb, k.proto, k.kind}
	}
	return endpointKey{k.a, k.pa, k.proto, k.kind}
}

// peers is the number of distinct peers of side s of r.
func (f *fanIn) peers(r *rec, s uint8) int { return int(f.count[endpointOf(&r.k, s)]) }
