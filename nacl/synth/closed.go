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

// cost is mergeCost, infinite when the merged rule would newly allow a
// port that a scan or a refused connection found closed: the budget
// never buys rules by opening what the capture says should stay shut.
func (b *builder) cost(x, y *box) float64 {
	c := mergeCost(x, y)
	if c == 0 || len(b.closed) == 0 {
		return c
	}
	m := merged(x, y)
	for k, ports := range b.closed {
		if k.dir != m.dir || k.v6 != m.v6 || (m.proto != nacl.ProtoAll && m.proto != k.proto) {
			continue
		}
		for _, p := range ports {
			if allowsPort(&m, k.proto, p) && !allowsPort(x, k.proto, p) && !allowsPort(y, k.proto, p) {
				b.blocked++
				return math.Inf(1)
			}
		}
	}
	return c
}

// allowsPort reports whether bx allows port p of protocol proto (for
// some peer).
func allowsPort(bx *box, proto int, p uint16) bool {
	if bx.proto == nacl.ProtoAll {
		return true
	}
	return bx.proto == proto && isPortProto(proto) && bx.ports.Contains(p)
}
