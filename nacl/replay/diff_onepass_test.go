package replay

import (
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

// diffSeen sums what the diffs of a test covered, so that the test fails
// when its inputs stop exercising a case.
type diffSeen struct {
	denied, allowed, unattributed, v6, icmpErr, multiSubnet int
}

// sameDiff compares CompareTopologies (one worker and three) with the
// two-report reference on rec, both ways round, and adds what the diff
// covered to seen.
func sameDiff(t *testing.T, name string, oldTopo, newTopo *Topology, rec *Recording, seen *diffSeen) {
	t.Helper()
	for _, p := range [][2]*Topology{{oldTopo, newTopo}, {newTopo, oldTopo}} {
		want, err := compareTopologiesRef(p[0], p[1], rec)
		if err != nil {
			t.Fatalf("%s: reference: %v", name, err)
		}
		for _, workers := range []int{1, 3} {
			got, err := compareTopologies(p[0], p[1], rec, workers)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, %d worker(s): one-pass diff differs from the two-report reference:\n got %+v\nwant %+v", name, workers, got, want)
			}
		}
		seen.denied += want.NewlyDenied
		seen.allowed += want.NewlyAllowed
		if want.UnattributedChanged > 0 {
			seen.unattributed++
		}
		for i := range want.Changes {
			c := &want.Changes[i]
			if c.Conv.Version == 6 {
				seen.v6++
			}
			if c.Denial != nil && c.Denial.ICMPError {
				seen.icmpErr++
			}
		}
		if len(p[1].Subnets) > 1 && len(want.Changes) > 0 {
			seen.multiSubnet++
		}
	}
}

// TestCompareTopologiesMatchesReference: on every bundled capture
// (pcaps/ and pcaps/crafted/), recorded with and without a window, the
// one-pass diff equals the two-report reference, field for field, for the
// sample NACL against allow-all and against a strict NACL, and for random
// multi-subnet topologies.
func TestCompareTopologiesMatchesReference(t *testing.T) {
	var files []string
	for _, pat := range []string{pcaps.Path("*.pcap"), pcaps.Path("crafted/*.pcap")} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("%d bundled captures", len(files))
	}
	cidrs := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("2001:db8:10:1::/64")}
	vpc := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}
	topo := func(acl *nacl.ACL) *Topology {
		tp, err := SimpleTopology(acl, cidrs, vpc)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	a := nacl.Allow
	allowAll := topo(&nacl.ACL{ID: "acl-all", Entries: []nacl.Entry{ent(t, "in", 100, a, -1, "0.0.0.0/0", 0, 0),
		ent(t, "in", 101, a, -1, "::/0", 0, 0), ent(t, "out", 100, a, -1, "0.0.0.0/0", 0, 0), ent(t, "out", 101, a, -1, "::/0", 0, 0)}})
	strict := topo(&nacl.ACL{ID: "acl-strict", Entries: []nacl.Entry{ent(t, "in", 100, a, 6, "0.0.0.0/0", 22, 22),
		ent(t, "out", 100, a, 6, "0.0.0.0/0", 1024, 65535)}})
	var seen diffSeen
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			ps := readPackets(t, f)
			var addrs []netip.Addr
			for i := range ps {
				if ps[i].Kind == capture.KindIP && ps[i].Src.IsValid() {
					addrs = append(addrs, ps[i].Src, ps[i].Dst)
				}
			}
			if len(addrs) == 0 {
				t.Skip("no IP packet")
			}
			sample := topo(webACL(t))
			if s, ok := pcaps.Find(name); ok {
				sample = sampleJudge(t, s).Topology()
			}
			r := rand.New(rand.NewPCG(uint64(len(ps)), 3))
			for _, w := range []Window{{}, openWindow} {
				rr := NewRecorder(flows.DefaultConfig(), w)
				for i := range ps {
					rr.Add(&ps[i])
				}
				rec := rr.Classify()
				sameDiff(t, name+" sample/allow-all", sample, allowAll, rec, &seen)
				sameDiff(t, name+" sample/strict", sample, strict, rec, &seen)
				for range 3 {
					o, _ := randTopo(r, addrs)
					n, _ := randTopo(r, addrs)
					if len(o.Subnets) == 0 || len(n.Subnets) == 0 {
						continue
					}
					sameDiff(t, name+" random", o, n, rec, &seen)
				}
			}
		})
	}
	t.Logf("covered: %+v", seen)
	if seen.denied == 0 || seen.allowed == 0 || seen.v6 == 0 || seen.multiSubnet == 0 {
		t.Errorf("the captures no longer exercise every case: %+v", seen)
	}
}

// TestCompareTopologiesEdgeCases: a synthetic recording with an IPv4 and
// an IPv6 conversation, an ICMP error attached to a UDP conversation, a
// non-first fragment that joins no conversation and traffic between two
// subnets: the one-pass diff equals the reference, and each of those
// changes verdict.
func TestCompareTopologiesEdgeCases(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var ps []capture.Packet
	add := func(p capture.Packet) {
		p.Frame, p.Time, p.Kind, p.IPLen = int64(len(ps)+1), t0.Add(time.Duration(len(ps))*time.Millisecond), capture.KindIP, 60
		p.Version = 4
		if p.Src.Is6() {
			p.Version = 6
		}
		ps = append(ps, p)
	}
	ip := netip.MustParseAddr
	l4 := func(src, dst string, sp, dp uint16, proto, flags uint8) capture.Packet {
		return capture.Packet{Src: ip(src), Dst: ip(dst), Proto: proto, HasPorts: true, SrcPort: sp, DstPort: dp, TCPFlags: flags}
	}
	// IPv4 HTTPS from outside, answered.
	add(l4("198.51.100.7", "10.0.1.10", 40000, 443, capture.ProtoTCP, capture.TCPSyn))
	add(l4("10.0.1.10", "198.51.100.7", 443, 40000, capture.ProtoTCP, capture.TCPSyn|capture.TCPAck))
	// IPv6 HTTPS from outside, answered.
	add(l4("2001:db8:99::7", "2001:db8:10:1::10", 40001, 443, capture.ProtoTCP, capture.TCPSyn))
	add(l4("2001:db8:10:1::10", "2001:db8:99::7", 443, 40001, capture.ProtoTCP, capture.TCPSyn|capture.TCPAck))
	// UDP from the subnet to a closed port outside, answered by an ICMP port unreachable.
	add(l4("10.0.1.10", "198.51.100.8", 40002, 5000, capture.ProtoUDP, 0))
	add(capture.Packet{Src: ip("198.51.100.8"), Dst: ip("10.0.1.10"), Proto: capture.ProtoICMP, HasICMP: true, ICMPType: 3, ICMPCode: 3,
		Quote: capture.Quote{Valid: true, Src: ip("10.0.1.10"), Dst: ip("198.51.100.8"), Proto: capture.ProtoUDP, HasPorts: true, SrcPort: 40002, DstPort: 5000}})
	// From the first subnet to the second (outbound of one, inbound of the other).
	add(l4("10.0.1.10", "10.0.2.20", 40003, 5432, capture.ProtoTCP, capture.TCPSyn))
	add(l4("10.0.2.20", "10.0.1.10", 5432, 40003, capture.ProtoTCP, capture.TCPSyn|capture.TCPAck))
	// A non-first fragment whose first fragment was not captured: no conversation.
	add(capture.Packet{Src: ip("198.51.100.9"), Dst: ip("10.0.1.10"), Proto: capture.ProtoUDP, Fragment: true, FragOffset: 185})

	rr := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range ps {
		rr.Add(&ps[i])
	}
	rec := rr.Classify()
	if len(rec.Unattributed()) != 1 {
		t.Fatalf("%d unattributed keys, want the fragment's", len(rec.Unattributed()))
	}
	two := func(acl *nacl.ACL) *Topology {
		acl.Entries = append(acl.Entries, ent(t, "out", 200, nacl.Allow, -1, "0.0.0.0/0", 0, 0), ent(t, "out", 201, nacl.Allow, -1, "::/0", 0, 0))
		return &Topology{Subnets: []Subnet{
			{ID: "subnet-a", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("2001:db8:10:1::/64")}, ACL: acl},
			{ID: "subnet-b", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.2.0/24")}, ACL: acl}}}
	}
	// Old: everything inbound allowed. New: inbound IPv4 HTTPS only.
	old := two(&nacl.ACL{ID: "acl-open", Entries: []nacl.Entry{ent(t, "in", 100, nacl.Allow, -1, "0.0.0.0/0", 0, 0),
		ent(t, "in", 101, nacl.Allow, -1, "::/0", 0, 0)}})
	tight := two(&nacl.ACL{ID: "acl-https", Entries: []nacl.Entry{ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 443, 443)}})
	var seen diffSeen
	sameDiff(t, "synthetic", old, tight, rec, &seen)
	d, err := CompareTopologies(old, tight, rec)
	if err != nil {
		t.Fatal(err)
	}
	// Newly denied: the IPv6 SYN, the ICMP error answering the UDP
	// request (the whole response leg), the cross-subnet SYN and SYN-ACK
	// (inbound of subnet-b, then of subnet-a) and the fragment, which
	// joins no conversation.
	if d.UnattributedChanged != 1 || d.NewlyDenied != 3 || d.NewlyAllowed != 0 || d.PacketsNewlyDenied != 5 {
		t.Errorf("diff: %d unattributed, %d newly denied (%d packets), %d newly allowed; changes %+v",
			d.UnattributedChanged, d.NewlyDenied, d.PacketsNewlyDenied, d.NewlyAllowed, d.Changes)
	}
	if d.Old.Denied != 0 || d.New.Denied != 5 || d.New.Conversations != 4 || d.New.Affected != 3 || d.New.Unattributed != 1 {
		t.Errorf("summaries: old %+v, new %+v", d.Old, d.New)
	}
	if seen.v6 == 0 || seen.icmpErr == 0 || seen.multiSubnet == 0 || seen.unattributed == 0 {
		t.Errorf("the synthetic recording no longer exercises every case: %+v", seen)
	}
	t.Logf("covered: %+v", seen)
}
