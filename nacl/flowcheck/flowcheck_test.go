package flowcheck

import (
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/text"
	"github.com/flowverify/flowverify/nacl/replay"
)

func parseACL(t *testing.T, src string) *nacl.ACL {
	t.Helper()
	acls, _, err := text.Parse("test.nacl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return acls[0]
}

func simpleChecker(t *testing.T, acl string, cidrs ...string) *Checker {
	t.Helper()
	var ps []netip.Prefix
	for _, c := range cidrs {
		ps = append(ps, netip.MustParsePrefix(c))
	}
	topo, err := replay.SimpleTopology(parseACL(t, acl), ps, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	return New(j, nil)
}

// readRecords reads a flow-log fixture.
func readRecords(t *testing.T, path string) []flowlog.Record {
	t.Helper()
	r, err := flowlog.Open([]string{path}, flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []flowlog.Record
	for x := r.Next(); x != nil; x = r.Next() {
		out = append(out, *x)
	}
	return out
}

// TestAWSPingExample is AWS's own example: inbound ICMP allowed by the
// security group and the NACL, the NACL denies outbound ICMP: the reply's
// REJECT is the NACL's, named by its rule.
func TestAWSPingExample(t *testing.T) {
	c := simpleChecker(t, `in 100 allow icmp 0.0.0.0/0
in 110 allow tcp 0.0.0.0/0 22
out 100 allow tcp 0.0.0.0/0 1024-65535
`, "172.31.16.0/20")
	recs := readRecords(t, "../../flows/flowlog/testdata/aws-doc-default.log")
	type want struct {
		line    int64
		verdict replay.Verdict
		attr    Attribution
		dir     nacl.Direction
		rule    int
	}
	wants := []want{
		{2, replay.NotFiltered, AttrNone, 0, 0},        // 172.31.16.139 -> .21 same /20
		{3, replay.NotFiltered, AttrNotNACL, 0, 0},     // RDP REJECT inside the subnet: a security group
		{6, replay.Allow, AttrNone, nacl.Ingress, 100}, // ping request in
		{7, replay.Deny, AttrNACL, nacl.Egress, 32767}, // ping reply out: the NACL's default rule
	}
	got := map[int64]Result{}
	for i := range recs {
		got[recs[i].Line] = c.Check(&recs[i])
	}
	for _, w := range wants {
		res := got[w.line]
		if res.Verdict != w.verdict || res.Attribution != w.attr {
			t.Errorf("line %d: verdict %s attribution %q, want %s %q", w.line, res.Verdict, res.Attribution, w.verdict, w.attr)
			continue
		}
		if w.rule != 0 {
			ch := res.Check()
			if ch == nil || ch.Rule != w.rule || ch.Direction != w.dir || res.Placement != PlacedByAddress {
				t.Errorf("line %d: check %+v placement %s, want %s rule %d", w.line, ch, res.Placement, w.dir, w.rule)
			}
		}
	}
	hits := c.Hits()
	if len(hits) != 2 || hits[0].Rule != 100 || hits[0].Direction != nacl.Ingress || hits[0].Packets != 4 ||
		hits[1].Rule != 32767 || hits[1].AttributedNACL != 1 || hits[1].Rejected != 1 || hits[1].First != 1432917094 {
		t.Errorf("hits %+v", hits)
	}
	tot := c.Totals()
	if tot.NACL != 1 || tot.NotNACL != 1 || tot.Records != 5 {
		t.Errorf("totals %+v", tot)
	}
}

func rec(src, dst string, sport, dport uint16, action flowlog.Action) *flowlog.Record {
	r := &flowlog.Record{InterfaceID: "eni-1", Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
		SrcPort: sport, DstPort: dport, Proto: 6, Packets: 1, Bytes: 60, Start: 10, End: 20, Action: action}
	r.MarkPresent(flowlog.FieldSrcAddr, flowlog.FieldDstAddr, flowlog.FieldSrcPort, flowlog.FieldDstPort, flowlog.FieldProtocol)
	return r
}

func TestAttributions(t *testing.T) {
	// A what-if ACL that denies inbound SSH from everywhere.
	c := simpleChecker(t, "in 100 deny tcp 0.0.0.0/0 22\nin 200 allow tcp 0.0.0.0/0 443\nout 100 allow all 0.0.0.0/0\n", "10.0.1.0/24")
	r := rec("198.51.100.7", "10.0.1.5", 40000, 22, flowlog.ActionAccept)
	r.Status = "OK"
	if res := c.Check(r); res.Attribution != AttrAcceptWouldDeny || res.Check().Rule != 100 {
		t.Errorf("ACCEPT the ACL denies: %+v", res)
	}
	r = rec("198.51.100.7", "10.0.1.5", 40000, 443, flowlog.ActionReject)
	if res := c.Check(r); res.Attribution != AttrNotNACL || res.Verdict != replay.Allow {
		t.Errorf("REJECT the ACL allows: %+v", res)
	}
	// Amazon Time Sync is never filtered: a REJECT there is not the NACL's.
	r = rec("10.0.1.5", "169.254.169.123", 40000, 123, flowlog.ActionReject)
	r.Proto = 17
	if res := c.Check(r); res.Attribution != AttrNotNACL || res.Verdict != replay.Exempt {
		t.Errorf("exempt: %+v", res)
	}
}

// TestPlacement: between two modelled subnets a packet meets two checks;
// the record's subnet-id, the interfaces file or flow-direction say which
// one the logging interface saw.
func TestPlacement(t *testing.T) {
	acls, _, err := text.Parse("vpc.nacl", []byte(`acl acl-web subnets subnet-web
in 100 allow all 0.0.0.0/0
out 100 deny tcp 10.0.2.0/24 5432
out 200 allow all 0.0.0.0/0
acl acl-db subnets subnet-db
in 100 deny tcp 10.0.1.0/24 5432
in 200 allow all 0.0.0.0/0
out 100 allow all 0.0.0.0/0
`))
	if err != nil {
		t.Fatal(err)
	}
	subnets := []replay.SubnetInfo{
		{ID: "subnet-web", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}},
		{ID: "subnet-db", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.2.0/24")}},
	}
	topo, _, err := replay.VPCTopology(acls, subnets, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := replay.NewJudge(topo)
	c := New(j, []replay.InterfaceInfo{{ID: "eni-db", SubnetID: "subnet-db"}})
	base := func() *flowlog.Record { return rec("10.0.1.5", "10.0.2.9", 40000, 5432, flowlog.ActionReject) }

	r := base()
	r.SubnetID = "subnet-web"
	if res := c.Check(r); res.Placement != PlacedBySubnetID || res.Check().ACL != "acl-web" || res.Check().Direction != nacl.Egress || res.Attribution != AttrNACL {
		t.Errorf("subnet-id: %+v", res)
	}
	r = base()
	r.InterfaceID = "eni-db"
	if res := c.Check(r); res.Placement != PlacedByInterfaces || res.Check().ACL != "acl-db" || res.Check().Direction != nacl.Ingress {
		t.Errorf("interfaces: %+v", res)
	}
	r = base()
	r.Direction = flowlog.DirIngress
	if res := c.Check(r); res.Placement != PlacedByAddress || res.Check().ACL != "acl-db" {
		t.Errorf("flow-direction: %+v", res)
	}
	r = base()
	if res := c.Check(r); res.Placement != PlacedUnknown || !res.Uncertain || res.Check().ACL != "acl-web" || res.Attribution != AttrNACL {
		t.Errorf("unknown: %+v", res)
	}
	// Logged egress at an interface in no modelled subnet: its own NACL
	// is unknown, so the not-nacl is uncertain.
	r = rec("10.0.9.9", "10.0.2.9", 40000, 5432, flowlog.ActionReject)
	r.Direction = flowlog.DirEgress
	if res := c.Check(r); res.Placement != PlacedOutside || res.Verdict != replay.NotFiltered || res.Attribution != AttrNotNACL || !res.Uncertain {
		t.Errorf("outside: %+v", res)
	}
	// pkt-srcaddr/pkt-dstaddr are what the NACL sees.
	r = base()
	r.Src = netip.MustParseAddr("10.0.2.100")
	r.PktSrc, r.PktDst = netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("10.0.2.9")
	r.Direction = flowlog.DirIngress
	if res := c.Check(r); res.Packet.Src != r.PktSrc || res.Check() == nil || res.Check().ACL != "acl-db" || res.Check().Rule != 100 {
		t.Errorf("pkt addresses: %+v", res)
	}
}
