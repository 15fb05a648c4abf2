package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// intentOpts are the defaults (--peers intent) for subnet 10.1.0.0/24 in
// the VPC 10.1.0.0/16 with the peer subnet 10.1.2.0/24.
func intentOpts() Options {
	o := opts("10.1.0.0/24")
	o.Peers = PeersIntent
	o.VPCCIDRs = []netip.Prefix{mustPrefix("10.1.0.0/16")}
	o.PeerSubnets = []netip.Prefix{mustPrefix("10.1.2.0/24")}
	return o
}

func decisionOf(t *testing.T, r *Result, dir nacl.Direction, port uint16) Decision {
	t.Helper()
	for _, d := range r.Decisions {
		if d.Direction == dir && d.Port == port {
			return d
		}
	}
	t.Fatalf("no decision for %s port %d: %+v", dir, port, r.Decisions)
	return Decision{}
}

func TestIntentDecisions(t *testing.T) {
	convs := []*flows.Conversation{
		// Public clients of a web service.
		conv(1, 6, "198.51.100.7", 40001, "10.1.0.10", 443),
		conv(2, 6, "203.0.113.9", 50002, "10.1.0.10", 443),
		// The server's own downloads from one public mirror.
		conv(3, 6, "10.1.0.10", 40003, "192.0.2.80", 80),
		// Requests to a public peer on a port that is not well known.
		conv(4, 6, "10.1.0.10", 40004, "192.0.2.90", 7777),
		// One database primary in the peer subnet.
		conv(5, 6, "10.1.0.10", 40005, "10.1.2.20", 5432),
		conv(6, 6, "10.1.0.11", 40006, "10.1.2.20", 5432),
		// Two cache nodes in the peer subnet.
		conv(7, 6, "10.1.0.10", 40007, "10.1.2.30", 6379),
		conv(8, 6, "10.1.0.10", 40008, "10.1.2.31", 6379),
		// Two app peers elsewhere in the VPC (no modelled subnet).
		conv(9, 6, "10.1.5.1", 40009, "10.1.0.10", 8080),
		conv(10, 6, "10.1.6.1", 40010, "10.1.0.10", 8080),
		// Two on-premises peers outside every modelled prefix.
		conv(11, 6, "192.168.1.5", 40011, "10.1.0.10", 9000),
		conv(12, 6, "192.168.7.5", 40012, "10.1.0.10", 9000),
	}
	r := mustSynth(t, convs, intentOpts())
	mustPass(t, r, observe(convs))
	for _, tc := range []struct {
		dir    nacl.Direction
		port   uint16
		intent Intent
		to     string
	}{
		{nacl.Ingress, 443, IntentPublic, "0.0.0.0/0"},
		{nacl.Egress, 80, IntentPublicDestination, "0.0.0.0/0"},
		{nacl.Egress, 7777, IntentExact, "192.0.2.90/32"},
		{nacl.Egress, 5432, IntentFixedPeer, "10.1.2.20/32"},
		{nacl.Egress, 6379, IntentSubnet, "10.1.2.0/24"},
		{nacl.Ingress, 8080, IntentVPC, "10.1.0.0/16"},
		{nacl.Ingress, 9000, IntentExact, "192.168.1.5/32 192.168.7.5/32"},
	} {
		d := decisionOf(t, r, tc.dir, tc.port)
		var to []string
		for _, p := range d.Prefixes {
			to = append(to, p.String())
		}
		if d.Intent != tc.intent || strings.Join(to, " ") != tc.to || d.Reason == "" {
			t.Errorf("%s %d: %s -> %v (%s), want %s -> %s", tc.dir, tc.port, d.Intent, to, d.Reason, tc.intent, tc.to)
		}
	}
	if d := decisionOf(t, r, nacl.Ingress, 443); math.Abs(d.OverBits-32) > 0.001 {
		t.Errorf("443 to the world adds %.1f bits, want 32 (2^32 - 2 addresses not observed)", d.OverBits)
	}
	// The response legs follow their service's decision (the public
	// ones contain the others here).
	txt := rules(r.ACL)
	for _, w := range []string{"out 200 allow tcp 10.1.2.20/32 5432", "in 500 allow tcp 0.0.0.0/0 32768-60999", "out 500 allow tcp 0.0.0.0/0 32768-65535"} {
		if !strings.Contains(txt, w) {
			t.Errorf("rules lack %q:\n%s", w, txt)
		}
	}
	// --peers subnet widens the fixed peer; --peers exact keeps /32s.
	o := intentOpts()
	o.Peers = PeersSubnet
	if d := decisionOf(t, mustSynth(t, convs, o), nacl.Egress, 5432); d.Intent != IntentSubnet || d.Prefixes[0] != mustPrefix("10.1.2.0/24") {
		t.Errorf("--peers subnet: %+v", d)
	}
	o.Peers = PeersExact
	rx := mustSynth(t, convs, o)
	if strings.Contains(rules(rx.ACL), "0.0.0.0/0 443") {
		t.Errorf("--peers exact opened 443 to the world:\n%s", rules(rx.ACL))
	}
}

// A conversation whose roles are unsure, on a port in an ephemeral range,
// never becomes a rule opening that port to the world.
func TestUnsureRoleKeepsPeersExact(t *testing.T) {
	var convs []*flows.Conversation
	for i, peer := range []string{"198.51.100.7", "203.0.113.9", "192.0.2.44"} {
		c := conv(i+1, 17, peer, 5353, "10.1.0.10", 40000)
		c.Evidence, c.Confidence = flows.EvidenceFirstPacket, flows.Low
		convs = append(convs, c)
	}
	r := mustSynth(t, convs, intentOpts())
	mustPass(t, r, observe(convs))
	if d := decisionOf(t, r, nacl.Ingress, 40000); d.Intent != IntentUnsureRole || len(d.Prefixes) != 3 {
		t.Errorf("decision %+v, want unsure-role with the 3 peers", d)
	}
	for _, e := range r.ACL.Entries {
		if e.CIDR.Bits() == 0 && e.Protocol == nacl.ProtoUDP {
			t.Errorf("unsure roles opened %s", ruleText(e))
		}
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "roles uncertain in 3 of 3 conversation(s)") {
		t.Errorf("no warning: %q", r.Warnings)
	}
}

// Two observed ports never pick windows-2003 or freebsd: an AWS-managed
// sender's ports (1024-65535) would fit too. Many ports may.
func TestNoNarrowOSFromFewPorts(t *testing.T) {
	mk := func(ports ...uint16) []*flows.Conversation {
		var out []*flows.Conversation
		for i, p := range ports {
			out = append(out, conv(i+1, 6, "10.1.2.9", p, "10.1.0.10", 8080))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		ports   []uint16
		profile string
	}{
		{"windows-2003 fit, 2 ports", []uint16{2000, 3000}, "aws-managed"},
		{"freebsd fit, 2 ports", []uint16{12000, 64000}, "aws-managed"},
		{"spread over 1024-65535", []uint16{1500, 64000}, "aws-managed"},
		{"linux", []uint16{33000, 40000}, "linux"},
	} {
		r := mustSynth(t, mk(tc.ports...), intentOpts())
		if len(r.Clients) != 1 || r.Clients[0].Profile != tc.profile {
			t.Errorf("%s: clients %+v, want %s", tc.name, r.Clients, tc.profile)
		}
	}
	many := make([]uint16, minOSEvidence)
	for i := range many {
		many[i] = uint16(1100 + 200*i)
	}
	if r := mustSynth(t, mk(many...), intentOpts()); r.Clients[0].Profile != "windows-2003" {
		t.Errorf("%d conversations in 1025-5000: %+v, want windows-2003", len(many), r.Clients)
	}
}

// Public clients of unknown OS get a range covering every client OS, and
// --ephemeral CIDR=PROFILE forces the range of the clients inside CIDR.
func TestPublicClientsAndEphemeralFor(t *testing.T) {
	convs := []*flows.Conversation{
		conv(1, 6, "198.51.100.7", 40001, "10.1.0.10", 443),
		conv(2, 6, "10.1.2.7", 40002, "10.1.0.10", 8080),
		conv(3, 6, "10.1.2.8", 40003, "10.1.0.10", 8080),
	}
	o := intentOpts()
	ef, err := ParseEphemeralFor("10.1.2.0/24=aws-managed")
	if err != nil {
		t.Fatal(err)
	}
	o.EphemeralFor = []EphemeralFor{ef}
	r := mustSynth(t, convs, o)
	mustPass(t, r, observe(convs))
	got := map[string]string{}
	for _, c := range r.Clients {
		got[c.Client.String()] = c.Profile + " " + c.Range.String()
	}
	want := map[string]string{"198.51.100.7": "modern-client 32768-65535", "10.1.2.7": "aws-managed 1024-65535", "10.1.2.8": "aws-managed 1024-65535"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("client %s: %q, want %q", k, got[k], v)
		}
	}
	if !strings.Contains(rules(r.ACL), "out 200 allow tcp 10.1.2.0/24 1024-65535") && !strings.Contains(strings.Join(strings.Fields(rules(r.ACL)), " "), "allow tcp 10.1.2.0/24 1024-65535") {
		t.Errorf("no aws-managed response rule for the marked subnet:\n%s", rules(r.ACL))
	}
	for _, bad := range []string{"10.1.2.0/24", "x=linux", "10.1.2.0/24=bsd"} {
		if _, err := ParseEphemeralFor(bad); err == nil {
			t.Errorf("ParseEphemeralFor(%q) accepted", bad)
		}
	}
}

// A lossy budget merge never opens a port that a refused connection found
// closed; when nothing else fits, the quota is exceeded with a warning.
func TestBudgetKeepsClosedPortsShut(t *testing.T) {
	var convs []*flows.Conversation
	for i, p := range []uint16{22, 80, 443} {
		convs = append(convs, conv(i+1, 6, "198.51.100.7", 40000+uint16(i), "10.1.0.10", p))
	}
	for i, p := range []uint16{23, 25, 81, 444} {
		c := conv(10+i, 6, "203.0.113.66", 41000+uint16(i), "10.1.0.10", p)
		c.State = flows.StateRejected
		convs = append(convs, c)
	}
	o := intentOpts()
	o.MaxRules, o.PMTUD = 2, false
	r := mustSynth(t, convs, o)
	j, err := replay.NewJudge(Topology(r.ACL, &o))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs[3:] {
		req, _ := legPackets(c)
		if jd := j.Judge(&req); jd.Verdict != replay.Deny {
			t.Errorf("SYN to closed port %d: %s\n%s", c.Server.Port, jd.Verdict, rules(r.ACL))
		}
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "more than --max-rules 2") {
		t.Errorf("no over-quota warning: %q", r.Warnings)
	}
	// Without the refused connections the merges are made.
	r2 := mustSynth(t, convs[:3], o)
	if n := len(r2.ACL.Entries); n != 2 {
		t.Errorf("%d rules without closed ports, want 2:\n%s", n, rules(r2.ACL))
	}
}

// TestHoldoutPropertyAndClosedPorts: on random traffic, replaying the
// training data itself never denies a working conversation, and a
// conversation that never worked reaches its port only through a port a
// working conversation served there or an ephemeral response range.
func TestHoldoutPropertyAndClosedPorts(t *testing.T) {
	unmerged := 0
	defer func() {
		if unmerged < 5 {
			t.Errorf("only %d seeds without lossy merges: the port property was hardly checked", unmerged)
		}
	}()
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		convs := randomConvs(rng, 1+rng.IntN(200), 1+rng.IntN(40), []int{6, 50, 400}[rng.IntN(3)])
		o := opts("10.1.0.0/24", "2001:db8:1::/64")
		o.Peers = []PeerMode{PeersIntent, PeersSubnet, PeersExact}[rng.IntN(3)]
		o.VPCCIDRs = []netip.Prefix{mustPrefix("10.1.0.0/16")}
		o.MaxRules = 2 + rng.IntN(HardMaxRules-1)
		r := mustSynth(t, convs, o)
		u, err := ReplayConversations(r, convs, observe(convs), "training data")
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Denied) > 0 {
			t.Errorf("seed %d (%s): training data replayed: %s: %+v", seed, o.Peers, u, u.Denied[0])
		}
		// Ports served by working conversations, per direction/proto.
		type sk struct {
			dir   nacl.Direction
			proto uint8
			port  uint16
		}
		served := map[sk]bool{}
		j, err := replay.NewJudge(Topology(r.ACL, &o))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range convs {
			if failedReason(c) == "" && c.HasPorts() {
				req, _ := legPackets(c)
				for _, ch := range checksOf(j, &req) {
					served[sk{ch, c.Proto, c.Server.Port}] = true
				}
			}
		}
		// Generalising peers never generalises ports: without lossy budget
		// merges, every port of a service rule was served by a working
		// conversation (IncludeFailed is off here).
		if len(r.Merges) == 0 {
			unmerged++
			for _, ru := range r.Rules {
				e := ru.Entry
				if ru.Kind != KindService || (e.Protocol != nacl.ProtoTCP && e.Protocol != nacl.ProtoUDP) {
					continue
				}
				for p := int(e.Ports.From); p <= int(e.Ports.To); p++ {
					if !served[sk{e.Direction, uint8(e.Protocol), uint16(p)}] {
						t.Errorf("seed %d (%s): %s opens port %d, which no working conversation served", seed, o.Peers, ruleText(e), p)
						break
					}
				}
			}
		}
		for _, c := range convs {
			if failedReason(c) == "" || !c.HasPorts() {
				continue
			}
			req, _ := legPackets(c)
			jd := j.Judge(&req)
			if jd.Verdict != replay.Allow {
				continue
			}
			for _, dir := range checksOf(j, &req) {
				if served[sk{dir, c.Proto, c.Server.Port}] || inResponseRange(r, dir, c.Proto, c.Server.Port) {
					continue
				}
				t.Errorf("seed %d (%s): never-worked %s reaches closed port %d %s, which no working conversation served:\n%s",
					seed, o.Peers, convLabel(c), c.Server.Port, dir, rules(r.ACL))
			}
		}
	}
}

// checksOf returns the directions a packet is checked in.
func checksOf(j *replay.Judge, p *nacl.Packet) []nacl.Direction {
	jd := j.Judge(p)
	var out []nacl.Direction
	for i := 0; i < jd.NCheck; i++ {
		out = append(out, jd.Checks[i].Direction)
	}
	return out
}

// inResponseRange reports whether port lies in a response rule of dir (the
// documented looseness of stateless ACLs: a reply range admits new
// connections to listeners in it).
func inResponseRange(r *Result, dir nacl.Direction, proto uint8, port uint16) bool {
	for _, ru := range r.Rules {
		e := ru.Entry
		if e.Direction == dir && (ru.Kind == KindResponse || ru.Kind == KindMerged) &&
			(e.Protocol == nacl.ProtoAll || (e.Protocol == int(proto) && e.Ports.Contains(port))) {
			return true
		}
	}
	return false
}

// TestCurve: below what the traffic needs, the rules-vs-over-permission
// curve starts at the unmerged count with +0 bits and ends at the quota,
// its over-permission never falling as rules are saved.
func TestCurve(t *testing.T) {
	var convs []*flows.Conversation
	for i := 0; i < 8; i++ {
		convs = append(convs, conv(i+1, 6, fmt.Sprintf("10.1.2.%d", 10+i), 40000+uint16(i), "10.1.0.10", uint16(1000+100*i)))
	}
	o := intentOpts()
	o.MaxRules, o.PMTUD = 4, false
	r := mustSynth(t, convs, o)
	var in []CurvePoint
	for _, p := range r.Curve {
		if p.Direction == nacl.Ingress && !p.IPv6 {
			in = append(in, p)
		}
	}
	if len(in) < 2 || in[0].Rules != 9 || in[0].AddedBits != 0 || in[len(in)-1].Rules != 4 {
		t.Fatalf("curve %+v", in)
	}
	for i := 1; i < len(in); i++ {
		if in[i].Rules != in[i-1].Rules-1 || in[i].AddedBits < in[i-1].AddedBits || in[i].Merge == "" {
			t.Errorf("curve step %d: %+v after %+v", i, in[i], in[i-1])
		}
	}
}

// TestWebserverHoldsOnThirdRecording learns from webserver.pcap and
// replays webserver-3.pcap (new clients, another mirror, a port scan):
// every working conversation is allowed, every SYN to a closed port denied.
//
// SSH is an administrative port: by default it stays with the peers seen
// (the two new SSH clients are kept out on purpose, nothing else is
// denied); with PublicPorts 22 it is a public service like 80 and 443.
func TestWebserverHoldsOnThirdRecording(t *testing.T) {
	rec3 := record(t, "webserver-3.pcap")
	rd, _ := synthSample(t, "webserver.pcap", sampleOpts("10.0.1.0/24"))
	ud, err := ReplayUnseen(rd, rec3, nil, "webserver-3.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if !ud.OK() || ud.Working != 12 || len(ud.Restricted) != 2 {
		t.Fatalf("webserver-3.pcap, default: %s %+v\n%s", ud, ud.Restricted, rules(rd.ACL))
	}
	for _, d := range ud.Restricted {
		if !strings.HasSuffix(d.Label, ":22") || d.Reason != ReasonNewPeer {
			t.Errorf("kept out: %+v, want only new SSH peers", d)
		}
	}
	o := sampleOpts("10.0.1.0/24")
	o.PublicPorts = []uint16{22}
	r, _ := synthSample(t, "webserver.pcap", o)
	u, err := ReplayUnseen(r, rec3, nil, "webserver-3.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if !u.OK() || u.Working != 12 || u.Failed != 10 || len(u.Restricted) != 0 {
		t.Fatalf("webserver-3.pcap: %s %+v\n%s", u, u.Denied, rules(r.ACL))
	}
	// Every packet of the working conversations, and no SYN of the scan.
	j, err := replay.NewJudge(Topology(r.ACL, &r.opts))
	if err != nil {
		t.Fatal(err)
	}
	obs := FromRecording(rec3)
	rec3.EachConversation(func(c *flows.Conversation) error {
		for _, x := range obs.shapesOf(c.ID) {
			v := j.Judge(&x.Packet).Verdict
			switch {
			case failedReason(c) == "" && v == replay.Deny:
				t.Errorf("%s: packet %+v of a working conversation denied", convLabel(c), x.Packet)
			case failedReason(c) != "" && x.Packet.Dst == c.Server.Addr && v != replay.Deny:
				t.Errorf("%s: SYN to a closed port %s", convLabel(c), v)
			}
		}
		return nil
	})
	// Not vacuous: the transcribed peers deny the new clients and mirror.
	o = sampleOpts("10.0.1.0/24")
	o.Peers = PeersExact
	rx, _ := synthSample(t, "webserver.pcap", o)
	ux, err := ReplayUnseen(rx, rec3, nil, "webserver-3.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if ux.OK() || ux.Denied[0].Reason != ReasonNewPeer {
		t.Errorf("--peers exact on webserver-3.pcap: %s", ux)
	}
}

// TestWebserverHoldout: learning from the first 80% of webserver.pcap
// (the server's own updates) and replaying the rest names each held-out
// client conversation as denied for a new port.
func TestWebserverHoldout(t *testing.T) {
	rec := record(t, "webserver.pcap")
	cut, ok := HoldoutCut(rec, 0.2)
	if !ok {
		t.Fatal("no time span")
	}
	o := sampleOpts("10.0.1.0/24")
	o.Observations = FromRecording(rec)
	o.Learn = Learned(cut)
	r := mustSynth(t, conversations(t, rec), o)
	cr := mustPass(t, r, o.Observations)
	if r.HeldOut == 0 || cr.Packets == 0 {
		t.Fatalf("held out %d, self-check %s", r.HeldOut, cr)
	}
	u, err := ReplayUnseen(r, rec, func(c *flows.Conversation) bool { return !o.Learn(c) }, "holdout")
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[DenialReason]int{}
	for _, d := range u.Denied {
		reasons[d.Reason]++
		if strings.Contains(d.Label, ":22") || strings.Contains(d.Label, ":80") || strings.Contains(d.Label, ":443") {
			if d.Reason != ReasonNewPort || d.Response || d.Direction != nacl.Ingress {
				t.Errorf("%+v, want a request denied inbound for a new port", d)
			}
		}
	}
	if reasons[ReasonNewPort] != 6 {
		t.Errorf("reasons %v, want 6 new-port denials (the clients came after the cut): %s", reasons, u)
	}
	// Held-out data learned from is clean.
	all, err := ReplayUnseen(r, rec, o.Learn, "training")
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Denied) != 0 {
		t.Errorf("training part denied: %s", all)
	}
}

// TestTwoTier learns from twotier.pcap: the rules name the database and
// ALB subnets, not /32s, and use aws-managed for the ALB-like sender; the
// second recording (new app hosts, replica and ALB node) is allowed.
func TestTwoTier(t *testing.T) {
	o := sampleOpts("10.0.1.0/24")
	o.PeerSubnets = []netip.Prefix{mustPrefix("10.0.2.0/24"), mustPrefix("10.0.3.0/24")}
	r, _ := synthSample(t, "twotier.pcap", o)
	txt := strings.Join(strings.Fields(rules(r.ACL)), " ")
	for _, w := range []string{"in 100 allow tcp 10.0.3.0/24 8080", "allow tcp 10.0.3.0/24 1024-65535", "allow tcp 10.0.2.0/24 5432"} {
		if !strings.Contains(txt, w) {
			t.Errorf("rules lack %q:\n%s", w, rules(r.ACL))
		}
	}
	for _, e := range r.ACL.Entries {
		if e.CIDR.Bits() == 32 {
			t.Errorf("a /32 rule: %s", ruleText(e))
		}
	}
	for _, c := range r.Clients {
		if mustPrefix("10.0.3.0/24").Contains(c.Client) && c.Profile != "aws-managed" {
			t.Errorf("ALB-like sender %s: %s %s, want aws-managed", c.Client, c.Profile, c.Range)
		}
	}
	ri := slices.IndexFunc(r.Rules, func(ru Rule) bool { return ru.Profile == "aws-managed" })
	if ri < 0 || r.Rules[ri].Entry.Direction != nacl.Egress {
		t.Errorf("no outbound aws-managed response rule: %+v", r.Rules)
	}
	u, err := ReplayUnseen(r, record(t, "twotier-2.pcap"), nil, "twotier-2.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if !u.OK() || u.Working != 18 {
		t.Errorf("twotier-2.pcap: %s %+v", u, u.Denied)
	}
}

// TestDenialReasons: each reason ReplayConversations gives for unseen
// traffic, on rules learned from one client of a service and one ping.
func TestDenialReasons(t *testing.T) {
	train := []*flows.Conversation{
		conv(1, 6, "10.1.2.7", 40001, "10.1.0.10", 8080),
		echo(2, "10.1.0.10", "10.1.2.9"),
	}
	o := intentOpts()
	o.PMTUD = false
	r := mustSynth(t, train, o)
	unseen := []*flows.Conversation{
		conv(1, 6, "10.1.2.7", 40002, "10.1.0.10", 8080), // same client, new port in range: allowed
		conv(2, 6, "10.1.5.5", 40003, "10.1.0.10", 8080), // a peer outside the fixed peer
		conv(3, 6, "10.1.2.7", 40004, "10.1.0.10", 9090), // a port never served
		conv(4, 6, "10.1.2.7", 1500, "10.1.0.10", 8080),  // client port outside linux
		conv(5, 17, "10.1.2.7", 40005, "10.1.0.10", 53),  // no UDP rule at all
		echo(6, "10.1.2.9", "10.1.0.10"),                 // echo request inbound: no rule for type 8
	}
	u, err := ReplayConversations(r, unseen, observe(unseen), "unseen")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]DenialReason{}
	for _, d := range u.Denied {
		got[d.ConvID] = d.Reason
	}
	want := map[int]DenialReason{2: ReasonNewPeer, 3: ReasonNewPort, 4: ReasonNewEphemeral, 5: ReasonNewProtocol, 6: ReasonNewICMP}
	if u.Working != 6 || len(got) != len(want) {
		t.Errorf("%s: %v\n%s", u, got, rules(r.ACL))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("#%d: %q, want %q\n%s", id, got[id], w, rules(r.ACL))
		}
	}
}

// A UDP probe answered only by ICMP port unreachable never worked: in
// unseen data it counts as a failed conversation that must stay denied.
func TestUnseenUDPProbeAnsweredByICMP(t *testing.T) {
	train := []*flows.Conversation{conv(1, 17, "198.51.100.7", 40001, "10.1.0.10", 53)}
	r := mustSynth(t, train, intentOpts())
	probe := conv(1, 17, "203.0.113.66", 40002, "10.1.0.10", 161)
	probe.ToClient = flows.DirStats{}
	probe.ICMPErrors = 1
	obs := NewObservations()
	req, _ := legPackets(probe)
	obs.AddPacket(1, req, false, flows.FrameRef{Frame: 1})
	obs.AddPacket(1, nacl.Packet{Src: netip.MustParseAddr("10.1.0.10"), Dst: probe.Client.Addr, Proto: 1, HasICMP: true, ICMPType: 3, ICMPCode: 3}, true, flows.FrameRef{Frame: 2})
	u, err := ReplayConversations(r, []*flows.Conversation{probe}, obs, "probe")
	if err != nil {
		t.Fatal(err)
	}
	if u.Working != 0 || u.Failed != 1 || !u.OK() {
		t.Errorf("%s", u)
	}
}

// Never-worked conversations in unseen data: on a served port (refused by
// the host) and through a response range (stateless NACL) are told apart
// from a port the rules open though nothing served it.
func TestUnseenNeverWorkedKinds(t *testing.T) {
	train := []*flows.Conversation{
		conv(1, 6, "198.51.100.7", 40001, "10.1.0.10", 443),
		conv(2, 6, "10.1.0.10", 40002, "192.0.2.80", 443),
	}
	for i, p := range []uint16{22, 80} { // served, merged below
		train = append(train, conv(3+i, 6, "198.51.100.8", 40003+uint16(i), "10.1.0.10", p))
	}
	o := intentOpts()
	o.MaxRules, o.PMTUD = 3, false // forces 22, 80 and 443 into one range
	r := mustSynth(t, train, o)
	mk := func(id int, client string, cport uint16, server string, sport uint16) *flows.Conversation {
		c := conv(id, 6, client, cport, server, sport)
		c.State, c.ToClient = flows.StateUnanswered, flows.DirStats{}
		return c
	}
	unseen := []*flows.Conversation{
		mk(1, "203.0.113.5", 40010, "10.1.0.11", 443),   // served port, host down
		mk(2, "203.0.113.5", 40011, "10.1.0.10", 33000), // inside the response range
		mk(3, "203.0.113.5", 40012, "10.1.0.10", 100),   // inside the merged 22-443
		mk(4, "203.0.113.5", 40013, "10.1.0.10", 21),    // closed and denied
	}
	u, err := ReplayConversations(r, unseen, observe(unseen), "unseen")
	if err != nil {
		t.Fatal(err)
	}
	if u.Failed != 4 || u.FailedServedPort != 1 || len(u.FailedViaResponse) != 1 || len(u.FailedAllowed) != 1 || u.OK() ||
		!strings.Contains(u.FailedAllowed[0], ":100 ") {
		t.Errorf("%s\nvia response %q\nlet through %q\n%s", u, u.FailedViaResponse, u.FailedAllowed, rules(r.ACL))
	}
}

// TestRestrictedPortStaysWithPeers: RDP reached from twelve public peers
// (more than MaxPeers) stays with those peers, aggregated, never
// 0.0.0.0/0 (CIS AWS Foundations 5.1, Security Hub EC2.21); HTTPS from
// the same peers opens to the world; PublicPorts opens RDP too.
func TestRestrictedPortStaysWithPeers(t *testing.T) {
	var convs []*flows.Conversation
	for i := 0; i < 12; i++ {
		peer := fmt.Sprintf("198.51.100.%d", 10+i)
		convs = append(convs,
			conv(2*i+1, 6, peer, 40000+uint16(i), "10.1.0.10", 3389),
			conv(2*i+2, 6, peer, 41000+uint16(i), "10.1.0.10", 443))
	}
	o := intentOpts()
	r := mustSynth(t, convs, o)
	var rdp, https bool
	for _, d := range r.Decisions {
		switch d.Port {
		case 3389:
			rdp = d.Intent == IntentRestricted
		case 443:
			https = d.Intent == IntentPublic
		}
	}
	if !rdp || !https {
		t.Fatalf("decisions %+v", r.Decisions)
	}
	for _, e := range r.ACL.Entries {
		if e.Direction != nacl.Ingress || !e.Ports.Contains(3389) || e.Protocol != 6 {
			continue
		}
		if e.CIDR.Bits() == 0 {
			t.Errorf("RDP opened to the world: %s\n%s", ruleText(e), rules(r.ACL))
		}
	}
	o.PublicPorts = []uint16{3389}
	r = mustSynth(t, convs, o)
	open := false
	for _, e := range r.ACL.Entries {
		open = open || (e.Direction == nacl.Ingress && e.Protocol == 6 && e.Ports.Contains(3389) && e.CIDR.Bits() == 0)
	}
	if !open {
		t.Errorf("--public-port 3389 did not open RDP:\n%s", rules(r.ACL))
	}
}
