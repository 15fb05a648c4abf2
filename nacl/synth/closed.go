package synth

import (
	"math"
	"slices"

	"github.com/flowverify/flowverify/nacl"
)

// closedKey is a direction, family and protocol in which server ports
// were found closed.
type closedKey struct {
	dir   nacl.Direction
	v6    bool
	proto int
}

// noteClosed records the server port of a conversation that never worked
// (a SYN answered by RST, an unanswered SYN or probe): a budget merge may
// not open it (see cost).
func (b *builder) noteClosed(cl *classified) {
	c := cl.c
	if !c.HasPorts() {
		return
	}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		if dirsOf(&cl.jreq)&(1<<dir) == 0 {
			continue
		}
		k := closedKey{dir: dir, v6: c.Server.Addr.Is6(), proto: int(c.Proto)}
		if b.closed == nil {
			b.closed = map[closedKey][]uint16{}
		}
		ps := b.closed[k]
		if i, found := slices.BinarySearch(ps, c.Server.Port); !found {
			b.closed[k] = slices.Insert(ps, i, c.Server.Port)
		}
	}
}

// cost is the merge cost (mergeCostOf), infinite when the merged rule
// would newly allow a port that a scan or a refused connection found
// closed: the budget never buys rules by opening what the capture says
// should stay shut.
func (b *builder) cost(x, y *box) float64 {
	c, m := mergeCostOf(x, y)
	if c == 0 || len(b.closed) == 0 {
		return c
	}
	for k, ports := range b.closed {
		if k.dir != m.dir || k.v6 != m.v6 || (m.proto != nacl.ProtoAll && m.proto != k.proto) {
			continue
		}
		if newlyAllowsClosed(&m, x, y, k.proto, ports) {
			b.blocked++
			return math.Inf(1)
		}
	}
	return c
}

// portSpan is the port interval of protocol proto that bx allows (for
// some peer); ok is false when it allows none.
func portSpan(bx *box, proto int) (lo, hi int, ok bool) {
	switch {
	case bx.proto == nacl.ProtoAll:
		return 0, 65535, true
	case bx.proto == proto && isPortProto(proto):
		return int(bx.ports.From), int(bx.ports.To), true
	}
	return 0, 0, false
}

// newlyAllowsClosed reports whether m allows one of the sorted closed
// ports of proto that neither x nor y allows: O(log n) binary searches
// in the gaps m leaves around x and y, not a scan of every closed port
// per merge candidate (a port scan can leave tens of thousands).
func newlyAllowsClosed(m, x, y *box, proto int, ports []uint16) bool {
	lo, hi, ok := portSpan(m, proto)
	if !ok {
		return false
	}
	// The port intervals x and y allow, in order, then the end of m's.
	var buf [3][2]int
	cover := buf[:0]
	for _, bx := range [2]*box{x, y} {
		if a, z, ok := portSpan(bx, proto); ok {
			cover = append(cover, [2]int{a, z})
		}
	}
	if len(cover) == 2 && cover[1][0] < cover[0][0] {
		cover[0], cover[1] = cover[1], cover[0]
	}
	from := lo
	for _, iv := range append(cover, [2]int{hi + 1, hi + 1}) {
		if to := min(iv[0]-1, hi); from <= to && anyPortIn(ports, from, to) {
			return true
		}
		from = max(from, iv[1]+1)
	}
	return false
}

// anyPortIn reports whether the sorted ports hold one in [from, to].
func anyPortIn(ports []uint16, from, to int) bool {
	i, _ := slices.BinarySearch(ports, uint16(from))
	return i < len(ports) && int(ports[i]) <= to
}
