package capture

import (
	"net/netip"
	"time"
)

// maxFragEntries bounds the fragment table; past it, first fragments are
// not remembered (their later fragments stay unattributed).
const maxFragEntries = 1 << 16

// fragKey identifies the fragments of one IP datagram.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

// fragInfo is what a first fragment tells about its datagram.
type fragInfo struct {
	seen             time.Time
	hasPorts         bool
	srcPort, dstPort uint16
	hasICMP          bool
	icmpType         uint8
	icmpCode         uint8
	icmpID           uint16
}

// fragTable remembers the transport fields of first fragments so that
// later fragments of the same datagram can be attributed to their
// conversation. Entries expire after timeout of capture time and are
// dropped when the last fragment is seen.
type fragTable struct {
	m         map[fragKey]fragInfo
	timeout   time.Duration
	now       time.Time
	lastSweep time.Time
}

func (t *fragTable) init(timeout time.Duration) { t.timeout = timeout }

func keyOf(p *Packet) fragKey {
	return fragKey{src: p.Src, dst: p.Dst, id: p.IPID, proto: p.Proto}
}

// first records the first fragment p.
func (t *fragTable) first(p *Packet) {
	if t.m == nil {
		t.m = make(map[fragKey]fragInfo)
	}
	t.sweep(false)
	if len(t.m) >= maxFragEntries {
		t.sweep(true)
		if len(t.m) >= maxFragEntries {
			return
		}
	}
	t.m[keyOf(p)] = fragInfo{
		seen: t.now, hasPorts: p.HasPorts, srcPort: p.SrcPort, dstPort: p.DstPort,
		hasICMP: p.HasICMP, icmpType: p.ICMPType, icmpCode: p.ICMPCode, icmpID: p.ICMPID,
	}
}

// later attributes the non-first fragment p when its first fragment was seen.
func (t *fragTable) later(p *Packet) {
	if len(t.m) == 0 {
		return
	}
	k := keyOf(p)
	fi, ok := t.m[k]
	if !ok {
		return
	}
	if t.expired(fi) {
		delete(t.m, k)
		return
	}
	p.FragmentAttributed = true
	p.HasPorts, p.SrcPort, p.DstPort = fi.hasPorts, fi.srcPort, fi.dstPort
	p.HasICMP, p.ICMPType, p.ICMPCode, p.ICMPID = fi.hasICMP, fi.icmpType, fi.icmpCode, fi.icmpID
	if !p.MoreFragments {
		delete(t.m, k)
	}
}

func (t *fragTable) expired(fi fragInfo) bool {
	d := t.now.Sub(fi.seen)
	return d > t.timeout || d < -t.timeout
}

// sweep drops expired entries, at most once per timeout unless forced.
func (t *fragTable) sweep(force bool) {
	if !force && t.now.Sub(t.lastSweep) < t.timeout && t.lastSweep.Sub(t.now) < t.timeout {
		return
	}
	t.lastSweep = t.now
	for k, fi := range t.m {
		if t.expired(fi) {
			delete(t.m, k)
		}
	}
}
