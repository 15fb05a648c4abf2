package capture

import (
	"net/netip"
	"testing"
	"time"
)

// fragFlood feeds n first fragments with distinct IDs, one microsecond
// of capture time apart, and returns the table.
func fragFlood(n int) *fragTable {
	var t fragTable
	t.init(30 * time.Second)
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	for i := range n {
		t.now = t0.Add(time.Duration(i) * time.Microsecond)
		p := Packet{Src: src, Dst: dst, Proto: ProtoUDP, IPID: uint32(i), Fragment: true,
			MoreFragments: true, HasPorts: true, SrcPort: uint16(i), DstPort: 53}
		t.first(&p)
	}
	return &t
}

// TestFragTableLinearWork: first fragments with distinct IDs past the
// table's capacity cost O(1) each (the old table rescanned all 65,536
// entries for every new one: 59 s for 100k, ~25 min for 1M).
func TestFragTableLinearWork(t *testing.T) {
	sizes := []int{100_000, 1_000_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		ft := fragFlood(n)
		if ft.work > 4*n {
			t.Errorf("%d first fragments: %d queue operations, want at most %d (linear)", n, ft.work, 4*n)
		}
		if len(ft.m) != maxFragEntries {
			t.Errorf("%d first fragments: table holds %d, want the bound %d", n, len(ft.m), maxFragEntries)
		}
		if len(ft.queue) > 2*maxFragEntries+65 {
			t.Errorf("%d first fragments: queue holds %d entries, want it bounded", n, len(ft.queue))
		}
		// The newest is kept, the oldest was evicted.
		newest := Packet{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.7"), Proto: ProtoUDP, IPID: uint32(n - 1)}
		ft.later(&newest)
		if !newest.FragmentAttributed || newest.SrcPort != uint16(n-1) {
			t.Errorf("%d first fragments: the newest one's later fragment is not attributed: %+v", n, newest)
		}
		oldest := newest
		oldest.IPID, oldest.FragmentAttributed = 0, false
		ft.later(&oldest)
		if oldest.FragmentAttributed {
			t.Errorf("%d first fragments: the oldest one should have been evicted", n)
		}
	}
}

// TestFragTableExpiresInOrder: an entry past the timeout is dropped when
// the next first fragment arrives, without waiting for the table to fill;
// completed datagrams leave no queue behind.
func TestFragTableExpiresInOrder(t *testing.T) {
	var ft fragTable
	ft.init(30 * time.Second)
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	pk := func(id uint32) *Packet {
		return &Packet{Src: src, Dst: dst, Proto: ProtoTCP, IPID: id, HasPorts: true, SrcPort: 40000, DstPort: 443}
	}
	ft.now = t0
	ft.first(pk(1))
	ft.now = t0.Add(31 * time.Second)
	ft.first(pk(2))
	if _, ok := ft.m[keyOf(pk(1))]; ok || len(ft.m) != 1 {
		t.Fatalf("entry 1 should have expired; table %v", ft.m)
	}
	// Many complete datagrams (first then last fragment) keep the queue small.
	for i := range 100_000 {
		ft.first(pk(uint32(10 + i)))
		last := pk(uint32(10 + i))
		ft.later(last)
		if !last.FragmentAttributed {
			t.Fatalf("datagram %d: last fragment not attributed", i)
		}
	}
	if len(ft.m) != 1 || len(ft.queue) > 200 {
		t.Errorf("after 100k complete datagrams: table %d, queue %d; want 1 and a small queue", len(ft.m), len(ft.queue))
	}
	if ft.work > 400_000 {
		t.Errorf("100k complete datagrams cost %d queue operations, want linear", ft.work)
	}
	// A re-used ID replaces the entry; the old queue entry goes stale.
	ft.first(pk(2))
	ft.now = ft.now.Add(31 * time.Second)
	ft.first(pk(3))
	if len(ft.m) != 1 {
		t.Errorf("after expiry: table %d entries, want 1", len(ft.m))
	}
}
