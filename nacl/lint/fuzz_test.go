package lint

import (
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// aclFromBytes decodes 7 bytes per entry: flags (direction, action, IPv6),
// rule number, protocol, CIDR, port from, port to, ICMP type/code; values
// index the generator tables so that entries overlap often.
func aclFromBytes(data []byte) *nacl.ACL {
	acl := &nacl.ACL{ID: "acl-fuzz"}
	for len(data) >= 7 && len(acl.Entries) < 48 {
		b := data[:7]
		data = data[7:]
		e := nacl.Entry{
			RuleNumber: 1 + int(b[1]),
			Direction:  nacl.Direction(b[0] & 1),
			Action:     nacl.Action(b[0] >> 1 & 1),
			Protocol:   genProto[int(b[2])%len(genProto)],
			ICMPType:   genICMP[int(b[6]&15)%len(genICMP)],
			ICMPCode:   genCode[int(b[6]>>4)%len(genCode)],
			Ports:      nacl.PortRange{From: genPorts[int(b[4])%len(genPorts)], To: genPorts[int(b[5])%len(genPorts)]},
		}
		if b[2] >= 200 { // any protocol number, including unusual ones
			e.Protocol = int(b[2]) - 200 + 40
		}
		if b[0]&4 != 0 {
			e.CIDR = netip.MustParsePrefix(genCIDR6[int(b[3])%len(genCIDR6)])
		} else {
			e.CIDR = netip.MustParsePrefix(genCIDR4[int(b[3])%len(genCIDR4)])
		}
		acl.Entries = append(acl.Entries, e)
	}
	return acl
}

func FuzzLint(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 100, 1, 1, 2, 2, 0, 0, 200, 1, 0, 2, 2, 0})                     // two tcp rules, one hides the other
	f.Add([]byte{2, 10, 0, 2, 0, 9, 0, 2, 20, 0, 3, 0, 9, 0, 2, 30, 0, 1, 0, 9, 0}) // union shadowing
	f.Add([]byte{6, 10, 7, 0, 0, 0, 0x12, 2, 20, 7, 0, 0, 0, 0x13, 1, 5, 6, 0, 0, 9, 0})
	f.Add([]byte{3, 1, 4, 0, 9, 0, 0, 1, 2, 8, 4, 0, 0, 0x21, 255, 255, 255, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		acl := aclFromBytes(data)
		fs := Lint(acl, Options{MaxCoverChecks: 500})
		for i := 1; i < len(fs); i++ {
			a, b := fs[i-1], fs[i]
			if a.Direction > b.Direction || (a.Direction == b.Direction && a.IPv6 && !b.IPv6) ||
				(a.Direction == b.Direction && a.IPv6 == b.IPv6 && a.Rule > b.Rule) {
				t.Fatalf("findings not sorted at %d", i)
			}
		}
		for _, fd := range fs {
			if fd.Message == "" || fd.Fix == "" || fd.Code == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
			if fd.Code == CodeUnreachable && len(fd.Related) == 0 {
				t.Fatalf("unreachable rule without hiding rules: %s", fd.Message)
			}
		}
		h := fnv.New64a()
		h.Write(data)
		r := rand.New(rand.NewPCG(h.Sum64(), 7))
		// Fuzzed ACLs may repeat rule numbers; the invariants name rules by
		// number, so check them only when numbers are unique per direction.
		seen := map[[2]int]bool{}
		for _, e := range acl.Entries {
			k := [2]int{int(e.Direction), e.RuleNumber}
			if seen[k] {
				return
			}
			seen[k] = true
		}
		if err := checkInvariants(r, acl, 100); err != nil {
			t.Fatalf("%v\nentries:\n%s", err, entriesText(acl))
		}
	})
}

// boxFromBytes decodes a box of small dimensions (IPv4 addresses in
// 0-255 so that points can be enumerated along that dimension).
func boxFromBytes(b []byte) box {
	x := fullBox(false)
	for d := range numDims {
		lo, hi := uint64(b[2*d]), uint64(b[2*d+1])
		if lo > hi {
			lo, hi = hi, lo
		}
		x[d] = interval{small(lo), small(hi)}
	}
	return x
}

func FuzzSubtract(f *testing.F) {
	f.Add([]byte{0, 10, 0, 10, 0, 10, 0, 10, 0, 10, 2, 5, 2, 5, 2, 5, 2, 5, 2, 5}, uint64(1))
	f.Add([]byte{0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255}, uint64(2))
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		if len(data) < 20 {
			return
		}
		a, b := boxFromBytes(data[:10]), boxFromBytes(data[10:20])
		pieces := subtract(nil, &a, &b)
		for i := range pieces {
			if !a.contains(&pieces[i]) || pieces[i].intersects(&b) {
				t.Fatalf("piece %d %v not inside a∖b", i, pieces[i])
			}
			for d := range numDims {
				if pieces[i][d].hi.less(pieces[i][d].lo) {
					t.Fatalf("piece %d empty in dim %d", i, d)
				}
			}
			for j := i + 1; j < len(pieces); j++ {
				if pieces[i].intersects(&pieces[j]) {
					t.Fatalf("pieces %d and %d overlap", i, j)
				}
			}
		}
		// Every sampled point of a lies in b or in exactly one piece.
		r := rand.New(rand.NewPCG(seed, 1))
		for range 200 {
			var p box
			for d := range numDims {
				v := a[d].lo.lo + r.Uint64N(a[d].hi.lo-a[d].lo.lo+1)
				p[d] = interval{small(v), small(v)}
			}
			n := 0
			for i := range pieces {
				if pieces[i].contains(&p) {
					n++
				}
			}
			inB := b.contains(&p)
			if (inB && n != 0) || (!inB && n != 1) {
				t.Fatalf("point %v: in b %v, in %d pieces", p, inB, n)
			}
		}
	})
}
