package lint

// The packet space of one direction and IP family is the product of five
// dimensions. A NACL entry matches a box in it: an interval per dimension.
// Dimensions that an entry's protocol ignores (ports for non-TCP/UDP, ICMP
// type/code for non-ICMP) are always full in the entry's box, so set
// operations on boxes are exact for real packets: a concrete point of a box
// is a packet whose irrelevant fields are simply not looked at.
const (
	dimProto = iota // IP protocol number 0-255
	dimAddr         // source (inbound) or destination (outbound) address
	dimPort         // destination port 0-65535 (TCP/UDP)
	dimType         // ICMP type 0-255
	dimCode         // ICMP code 0-255
	numDims
)

// interval is an inclusive integer range lo..hi with lo <= hi.
type interval struct{ lo, hi u128 }

// box is a product of intervals, one per dimension. A box value is never
// empty: constructors return ok=false instead.
type box [numDims]interval

// Upper bounds of the small dimensions.
const (
	maxProto = 255
	maxPort  = 65535
	maxICMP  = 255
)

// fullBox is the whole packet space of a family.
func fullBox(v6 bool) box {
	addrHi := lowOnes(32)
	if v6 {
		addrHi = lowOnes(128)
	}
	return box{
		dimProto: {small(0), small(maxProto)},
		dimAddr:  {u128{}, addrHi},
		dimPort:  {small(0), small(maxPort)},
		dimType:  {small(0), small(maxICMP)},
		dimCode:  {small(0), small(maxICMP)},
	}
}

// intersects reports whether a and b share a point.
func (a *box) intersects(b *box) bool {
	for d := range numDims {
		if a[d].hi.less(b[d].lo) || b[d].hi.less(a[d].lo) {
			return false
		}
	}
	return true
}

// intersect returns a∩b and whether it is non-empty.
func (a *box) intersect(b *box) (box, bool) {
	var r box
	for d := range numDims {
		lo, hi := a[d].lo, a[d].hi
		if lo.less(b[d].lo) {
			lo = b[d].lo
		}
		if b[d].hi.less(hi) {
			hi = b[d].hi
		}
		if hi.less(lo) {
			return box{}, false
		}
		r[d] = interval{lo, hi}
	}
	return r, true
}

// contains reports whether b lies entirely inside a.
func (a *box) contains(b *box) bool {
	for d := range numDims {
		if b[d].lo.less(a[d].lo) || a[d].hi.less(b[d].hi) {
			return false
		}
	}
	return true
}

// subtract appends the pieces of a∖b to dst: at most two per dimension,
// pairwise disjoint, together exactly a∖b.
func subtract(dst []box, a, b *box) []box {
	if !a.intersects(b) {
		return append(dst, *a)
	}
	cur := *a
	for d := range numDims {
		if cur[d].lo.less(b[d].lo) {
			p := cur
			p[d].hi = b[d].lo.dec()
			dst = append(dst, p)
			cur[d].lo = b[d].lo
		}
		if b[d].hi.less(cur[d].hi) {
			p := cur
			p[d].lo = b[d].hi.inc()
			dst = append(dst, p)
			cur[d].hi = b[d].hi
		}
	}
	return dst
}

// volume returns the number of points of b as a float (exact enough to
// compare sizes).
func (b *box) volume() float64 {
	v := 1.0
	for d := range numDims {
		w := float64(b[d].hi.hi-b[d].lo.hi)*(1<<64) + float64(b[d].hi.lo) - float64(b[d].lo.lo) + 1
		v *= w
	}
	return v
}
