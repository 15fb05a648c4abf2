// Package formattest holds the test helpers the NACL format packages
// share: random ACLs and packets for round-trip tests, ways to compare
// ACLs across a write/read cycle, and small readers of test data and
// diagnostics.
package formattest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// ParseFunc is a format's reader: Parse(name, data).
type ParseFunc func(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error)

// WriteFunc is a format's writer: Write(w, acls).
type WriteFunc func(w io.Writer, acls []*nacl.ACL) error

// RandomACLs builds n random ACLs with literal IDs, unique rule numbers
// per direction and every protocol shape the formats carry.
func RandomACLs(r *rand.Rand, n int) []*nacl.ACL {
	var out []*nacl.ACL
	for i := 0; i < n; i++ {
		a := &nacl.ACL{ID: fmt.Sprintf("acl-%08x", r.Uint32()), IsDefault: r.Intn(5) == 0}
		if r.Intn(2) == 0 {
			a.Name = fmt.Sprintf("web server %d", i)
		}
		if r.Intn(2) == 0 && !a.IsDefault {
			a.VPCID = fmt.Sprintf("vpc-%08x", r.Uint32())
		}
		for k := r.Intn(3); k > 0; k-- {
			a.Subnets = append(a.Subnets, fmt.Sprintf("subnet-%08x", r.Uint32()))
		}
		used := map[[2]int]bool{}
		for k := r.Intn(12); k > 0; k-- {
			e := randomEntry(r)
			key := [2]int{int(e.Direction), e.RuleNumber}
			if used[key] {
				continue
			}
			used[key] = true
			a.Entries = append(a.Entries, e)
		}
		out = append(out, a)
	}
	return out
}

func randomEntry(r *rand.Rand) nacl.Entry {
	e := nacl.Entry{RuleNumber: 1 + r.Intn(nacl.MaxRuleNumber), Direction: nacl.Direction(r.Intn(2)), Action: nacl.Action(r.Intn(2)), ICMPType: -1, ICMPCode: -1}
	protos := []int{nacl.ProtoAll, nacl.ProtoTCP, nacl.ProtoUDP, nacl.ProtoICMP, nacl.ProtoICMPv6, 47, 132}
	e.Protocol = protos[r.Intn(len(protos))]
	if r.Intn(3) == 0 {
		var b [16]byte
		r.Read(b[:])
		e.CIDR = netip.PrefixFrom(netip.AddrFrom16(b), r.Intn(129)).Masked()
	} else {
		var b [4]byte
		r.Read(b[:])
		e.CIDR = netip.PrefixFrom(netip.AddrFrom4(b), r.Intn(33)).Masked()
	}
	if e.Protocol == nacl.ProtoTCP || e.Protocol == nacl.ProtoUDP {
		from := uint16(r.Intn(65536))
		e.Ports = nacl.PortRange{From: from, To: from + uint16(r.Intn(int(65536-int(from))))}
	}
	if e.Protocol == nacl.ProtoICMP || (e.Protocol == nacl.ProtoICMPv6 && e.CIDR.Addr().Is6()) {
		e.ICMPType = r.Intn(257) - 1
		if e.ICMPType != -1 {
			e.ICMPCode = r.Intn(257) - 1
		}
	}
	if r.Intn(4) == 0 {
		e.Comment = fmt.Sprintf("rule %d\nsecond line", e.RuleNumber)
	}
	return e
}

// ComparableEntries strips what the IaC formats cannot carry (Pos,
// comments) and sorts the entries by direction and rule number.
func ComparableEntries(in []nacl.Entry) []nacl.Entry {
	out := make([]nacl.Entry, len(in))
	for i, e := range in {
		e.Pos, e.Comment = nacl.Pos{}, ""
		out[i] = e
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Direction != out[j].Direction {
			return out[i].Direction < out[j].Direction
		}
		return out[i].RuleNumber < out[j].RuleNumber
	})
	return out
}

// StripPos copies the ACLs without positions, entries in nacl's text
// order, for comparing ACLs that a format carries completely.
func StripPos(acls []*nacl.ACL) []nacl.ACL {
	var out []nacl.ACL
	for _, a := range acls {
		c := *a
		c.Pos = nacl.Pos{}
		c.Entries = append([]nacl.Entry(nil), a.Entries...)
		c.SortEntries()
		for i := range c.Entries {
			c.Entries[i].Pos = nacl.Pos{}
		}
		out = append(out, c)
	}
	return out
}

// randomPacket builds a packet of the entry-rich kinds the ACLs test.
func randomPacket(r *rand.Rand, v6 bool) nacl.Packet {
	var p nacl.Packet
	if v6 {
		var a, b [16]byte
		r.Read(a[:])
		r.Read(b[:])
		p.Src, p.Dst = netip.AddrFrom16(a), netip.AddrFrom16(b)
	} else {
		var a, b [4]byte
		r.Read(a[:])
		r.Read(b[:])
		p.Src, p.Dst = netip.AddrFrom4(a), netip.AddrFrom4(b)
	}
	protos := []uint8{6, 17, 1, 58, 47, 50}
	p.Proto = protos[r.Intn(len(protos))]
	p.DstPort, p.HasPort = uint16(r.Intn(65536)), p.Proto == 6 || p.Proto == 17
	p.ICMPType, p.ICMPCode, p.HasICMP = uint8(r.Intn(256)), uint8(r.Intn(256)), p.Proto == 1 || p.Proto == 58
	return p
}

// SameDecisions evaluates packets aimed at each entry's CIDR plus random
// ones against both ACLs and fails at the first difference.
func SameDecisions(t *testing.T, r *rand.Rand, a, b *nacl.ACL) {
	t.Helper()
	ea, eb := nacl.Compile(a), nacl.Compile(b)
	for i := 0; i < 300; i++ {
		p := randomPacket(r, r.Intn(2) == 0)
		if len(a.Entries) > 0 && r.Intn(2) == 0 {
			e := a.Entries[r.Intn(len(a.Entries))]
			p = randomPacket(r, e.CIDR.Addr().Is6())
			p.Src, p.Dst = e.CIDR.Addr(), e.CIDR.Addr()
			if e.Protocol >= 0 {
				p.Proto = uint8(e.Protocol)
			}
			p.DstPort, p.ICMPType = e.Ports.From, uint8(max(e.ICMPType, 0))
		}
		for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
			da, db := ea.Evaluate(dir, &p), eb.Evaluate(dir, &p)
			if da.Action != db.Action || da.RuleNumber != db.RuleNumber {
				t.Fatalf("%s %+v: before %v rule %d, after %v rule %d", dir, p, da.Action, da.RuleNumber, db.Action, db.RuleNumber)
			}
		}
	}
}

// RoundTrip describes a random write/read round-trip test of an IaC
// format (see RoundTripRandom).
type RoundTrip struct {
	// Seed seeds the random ACLs and packets.
	Seed int64
	// Name is the file name the written output is parsed as.
	Name  string
	Write WriteFunc
	Parse ParseFunc
	// AllowInfo accepts informational diagnostics on re-reading; any
	// other diagnostic fails the test.
	AllowInfo bool
	// CheckDefault requires IsDefault to survive the round trip.
	CheckDefault bool
}

// RoundTripRandom writes random ACLs, checks that writing is
// deterministic, reads the output back and checks that names, subnets,
// literal VPC IDs and entries (as ComparableEntries) survive and that
// every ACL decides packets as before.
func RoundTripRandom(t *testing.T, rt RoundTrip) {
	t.Helper()
	r := rand.New(rand.NewSource(rt.Seed))
	for iter := 0; iter < 60; iter++ {
		acls := RandomACLs(r, 1+r.Intn(4))
		var buf bytes.Buffer
		if err := rt.Write(&buf, acls); err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if err := rt.Write(&again, acls); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Fatalf("Write is not deterministic (err %v)", err)
		}
		got, diags, err := rt.Parse(rt.Name, buf.Bytes())
		if err != nil {
			t.Fatalf("iteration %d: %v\n%s", iter, err, buf.String())
		}
		if rt.AllowInfo {
			for _, d := range diags {
				if d.Severity != nacl.SevInfo {
					t.Errorf("iteration %d: unexpected diagnostic %v", iter, d)
				}
			}
		} else if len(diags) != 0 {
			t.Errorf("iteration %d: unexpected diagnostics %v", iter, diags)
		}
		if len(got) != len(acls) {
			t.Fatalf("iteration %d: %d ACLs, want %d", iter, len(got), len(acls))
		}
		for i, want := range acls {
			g := got[i]
			if g.Name != want.Name || (rt.CheckDefault && g.IsDefault != want.IsDefault) || !reflect.DeepEqual(g.Subnets, want.Subnets) {
				t.Errorf("iteration %d ACL %d: got name %q default %v subnets %v, want %q %v %v", iter, i, g.Name, g.IsDefault, g.Subnets, want.Name, want.IsDefault, want.Subnets)
			}
			if want.VPCID != "" && g.VPCID != want.VPCID {
				t.Errorf("iteration %d ACL %d: VPC %q, want %q", iter, i, g.VPCID, want.VPCID)
			}
			if ge, we := ComparableEntries(g.Entries), ComparableEntries(want.Entries); !reflect.DeepEqual(ge, we) {
				t.Fatalf("iteration %d ACL %d entries differ:\n got %+v\nwant %+v\n%s", iter, i, ge, we, buf.String())
			}
			SameDecisions(t, r, want, g)
		}
	}
}

// AddSeeds adds every file in testdata matching one of the glob patterns
// as a fuzz seed.
func AddSeeds(f *testing.F, patterns ...string) {
	for _, pat := range patterns {
		files, _ := filepath.Glob(filepath.Join("testdata", pat))
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// RewriteKeepsEntries writes acls, reads the output back and fails unless
// the same number of ACLs with the same entries (as ComparableEntries)
// comes back: the check of the IaC formats' fuzz tests.
func RewriteKeepsEntries(t *testing.T, acls []*nacl.ACL, write WriteFunc, parse ParseFunc, name string) {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, acls); err != nil {
		t.Fatalf("Write: %v", err)
	}
	again, _, err := parse(name, buf.Bytes())
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, buf.String())
	}
	if len(again) != len(acls) {
		t.Fatalf("%d ACLs after rewrite, want %d", len(again), len(acls))
	}
	for i := range acls {
		if a, b := ComparableEntries(acls[i].Entries), ComparableEntries(again[i].Entries); !reflect.DeepEqual(a, b) {
			t.Fatalf("entries changed:\n%+v\n%+v", a, b)
		}
	}
}

// RewriteIsExact writes acls, reads the output back and fails unless it
// equals acls but for positions (as StripPos): the check of the fuzz
// tests of the formats that carry a whole ACL.
func RewriteIsExact(t *testing.T, acls []*nacl.ACL, write WriteFunc, parse ParseFunc, name string) {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	again, _, err := parse(name, buf.Bytes())
	if err != nil {
		t.Fatalf("re-reading written output: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(StripPos(acls), StripPos(again)) {
		t.Fatalf("round trip differs:\n%s", buf.String())
	}
}

// ExpectError parses src as file and fails unless the parse returns an
// error that starts with prefix (names the file) and an error diagnostic
// at line (0: any) for field ("": any) whose message contains msg.
func ExpectError(t *testing.T, parse ParseFunc, file, prefix, src string, line int, field, msg string) {
	t.Helper()
	_, diags, err := parse(file, []byte(src))
	if err == nil {
		t.Fatalf("no error; diags %v", diags)
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q does not name the file", err)
	}
	if !HasDiag(diags, nacl.SevError, line, field, msg) {
		t.Errorf("no error at line %d field %q containing %q; got %v", line, field, msg, diags)
	}
}

// Short renders an entry as "in 100 allow 6 10.0.0.0/8 80-80 -1/-1".
func Short(e nacl.Entry) string {
	d := "in"
	if e.Direction == nacl.Egress {
		d = "out"
	}
	return fmt.Sprintf("%s %d %s %d %s %d-%d %d/%d", d, e.RuleNumber, e.Action, e.Protocol, e.CIDR, e.Ports.From, e.Ports.To, e.ICMPType, e.ICMPCode)
}

// Shorts renders the ACL's entries with Short, in order.
func Shorts(a *nacl.ACL) []string {
	var out []string
	for _, e := range a.Entries {
		out = append(out, Short(e))
	}
	return out
}

// ReadTestdata returns the contents of testdata/name.
func ReadTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// HasDiag reports whether diags hold a diagnostic of severity sev at line
// (0: any) for field ("": any) whose message contains substr.
func HasDiag(diags []nacl.Diagnostic, sev nacl.Severity, line int, field, substr string) bool {
	for _, d := range diags {
		if d.Severity == sev && (line == 0 || d.Pos.Line == line) && (field == "" || d.Field == field) && strings.Contains(d.Msg, substr) {
			return true
		}
	}
	return false
}
