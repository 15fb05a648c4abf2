package synth

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
)

var t0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// conv builds a finished conversation by hand, as flows.Table would.
func conv(id int, proto uint8, client string, cport uint16, server string, sport uint16) *flows.Conversation {
	c := &flows.Conversation{
		ID: id, Proto: proto,
		Client:     flows.Endpoint{Addr: netip.MustParseAddr(client), Port: cport},
		Server:     flows.Endpoint{Addr: netip.MustParseAddr(server), Port: sport},
		Evidence:   flows.EvidenceSYN,
		Confidence: flows.Certain,
		State:      flows.StateClosedFIN,
	}
	c.Version = 4
	if c.Client.Addr.Is6() {
		c.Version = 6
	}
	if proto != 6 {
		c.State, c.Evidence, c.Confidence = flows.StateTwoWay, flows.EvidenceServicePort, flows.Medium
	}
	start := t0.Add(time.Duration(id) * time.Second)
	c.ToServer = flows.DirStats{Packets: 5, Bytes: 500, First: start, Last: start.Add(time.Second)}
	c.ToClient = flows.DirStats{Packets: 4, Bytes: 4000, First: start.Add(time.Millisecond), Last: start.Add(time.Second)}
	if proto == 6 || proto == 17 {
		c.ClientProfiles = ephemeral.Matching(cport)
	}
	return c
}

// echo builds an ICMP echo conversation.
func echo(id int, client, server string) *flows.Conversation {
	c := conv(id, 1, client, 0, server, 0)
	if c.Version == 6 {
		c.Proto = 58
	}
	c.Evidence, c.Confidence = flows.EvidenceICMPEcho, flows.Certain
	return c
}

// observe records the packet shapes of the conversations' observed legs.
func observe(convs []*flows.Conversation) *Observations {
	o := NewObservations()
	for _, c := range convs {
		req, resp := legPackets(c)
		if c.ToServer.Packets > 0 {
			o.addCount(c.ID, req, false, flows.FrameRef{Frame: int64(c.ID)}, c.ToServer.Packets)
		}
		if c.ToClient.Packets > 0 {
			o.addCount(c.ID, resp, false, flows.FrameRef{Frame: int64(c.ID)}, c.ToClient.Packets)
		}
	}
	return o
}

// opts are the defaults with --peers exact: the unit tests check the
// transcription (aggregation, ranges, merges, budget) on exact peers;
// intent_test.go and the sample tests check the generalisation.
func opts(subnets ...string) Options {
	o := DefaultOptions()
	o.Peers = PeersExact
	for _, s := range subnets {
		o.Subnets = append(o.Subnets, netip.MustParsePrefix(s))
	}
	return o
}

// rules renders the ACL's entries in the native text format, in order.
func rules(a *nacl.ACL) string {
	var lines []string
	for _, e := range a.Entries {
		lines = append(lines, ruleText(e))
	}
	return strings.Join(lines, "\n")
}

func mustSynth(t testing.TB, convs []*flows.Conversation, o Options) *Result {
	t.Helper()
	r, err := Synthesize(convs, o)
	if err != nil {
		t.Fatalf("Synthesize: %v", err)
	}
	return r
}

// mustPass runs the self-check and fails the test on any denied packet.
func mustPass(t testing.TB, r *Result, obs *Observations) *CheckResult {
	t.Helper()
	cr, err := SelfCheck(r, obs)
	if err != nil {
		t.Fatal(err)
	}
	if !cr.OK() {
		t.Fatalf("self-check failed:\n%s\nrules:\n%s", dump(r, cr), rules(r.ACL))
	}
	return cr
}

// dump prints everything a result holds (what the reports show), for
// comparisons and failure messages.
func dump(r *Result, cr *CheckResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "used %d, excluded %d, %v .. %v, over %.3f bits %.3f units, %d free merges\n", r.Used, r.NumExcluded(), r.First, r.Last, r.OverBits, r.OverPermission, r.Lossless)
	for _, ru := range r.Rules {
		fmt.Fprintf(&b, "rule %s # %s | %s %s %d %v %v %v %.3f\n", ruleText(ru.Entry), ru.Entry.Comment, ru.Kind, ru.Profile, ru.Conversations, ru.Example, ru.First, ru.Last, ru.OverBits)
	}
	for _, c := range r.Clients {
		fmt.Fprintf(&b, "client %+v\n", c)
	}
	_ = r.EachExcluded(func(e *Excluded) error {
		fmt.Fprintf(&b, "excluded #%d %s: %s\n", e.Conv.ID, e.Category, e.Reason)
		return nil
	})
	for _, c := range r.Conflicts {
		fmt.Fprintf(&b, "conflict #%d %s %d\n", c.Conv.ID, c.Direction, c.Rule)
	}
	for i := range r.OutsideForced {
		fmt.Fprintf(&b, "outside %+v\n", r.OutsideForced[i])
	}
	for _, m := range r.Merges {
		fmt.Fprintf(&b, "merge %+v\n", m)
	}
	for _, d := range r.Decisions {
		fmt.Fprintf(&b, "decision %s %d %d %s %v %d %d %d %d %v %v %v %d %d %v %.3f\n", d.Direction, d.Proto, d.Port, d.Intent, d.Prefixes, d.Why, d.Unsure, d.PublicPeers, d.PublicNets, d.PublicExamples, d.FixedPeer, d.Enclosing, d.Inside, d.Outside, d.AnyPeer, d.OverBits)
	}
	for _, p := range r.Curve {
		fmt.Fprintf(&b, "curve %+v\n", p)
	}
	fmt.Fprintf(&b, "counts %+v\nnotes %+v\nwarnings %+v\n", r.Counts, r.Notes, r.Warnings)
	if cr != nil {
		fmt.Fprintf(&b, "self-check %+v\n", *cr)
	}
	return b.String()
}

// hasMsg reports whether one of ms satisfies f.
func hasMsg(ms []Message, f func(*Message) bool) bool {
	for i := range ms {
		if f(&ms[i]) {
			return true
		}
	}
	return false
}

// convLabel (for test messages) is "#ID tcp 10.0.0.1:40000 -> 10.0.0.2:443".
func convLabel(c *flows.Conversation) string {
	if c.HasPorts() {
		return fmt.Sprintf("#%d %s %s -> %s", c.ID, flows.ProtoName(c.Proto),
			endpoint(c.Client), endpoint(c.Server))
	}
	return fmt.Sprintf("#%d %s %s -> %s", c.ID, flows.ProtoName(c.Proto), c.Client.Addr, c.Server.Addr)
}

func endpoint(e flows.Endpoint) string {
	if e.Addr.Is6() {
		return fmt.Sprintf("[%s]:%d", e.Addr, e.Port)
	}
	return fmt.Sprintf("%s:%d", e.Addr, e.Port)
}
