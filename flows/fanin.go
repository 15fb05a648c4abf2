package flows

// endpointKey names one transport endpoint of one protocol.
type endpointKey struct {
	addr  [16]byte
	port  uint16
	proto uint8
	kind  uint8
}

// fanIn counts, for every TCP/UDP endpoint, the distinct peers
// (address:port) it exchanged packets with over the whole capture.
type fanIn struct {
	count map[endpointKey]int32
	min   int
}

// newFanIn counts peers over the distinct keys of the index (a reused
// 5-tuple is one peer, however many conversations it had).
func newFanIn(x *index, s *store, minPeers int) *fanIn {
	f := &fanIn{count: make(map[endpointKey]int32), min: minPeers}
	x.each(func(i int) {
		r := s.at(i)
		if r.k.kind&^kindV6 != kindPorts {
			return
		}
		f.count[endpointOf(&r.k, 0)]++
		if r.k.a != r.k.b || r.k.pa != r.k.pb {
			f.count[endpointOf(&r.k, 1)]++
		}
	})
	return f
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
