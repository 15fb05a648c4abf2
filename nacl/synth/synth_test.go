package synth

import (
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

func TestWebServerRules(t *testing.T) {
	var convs []*flows.Conversation
	for i := 0; i < 6; i++ {
		convs = append(convs, conv(i+1, 6, "203.0.113.5", uint16(40000+i), "10.0.1.10", 443))
	}
	convs = append(convs, conv(7, 6, "203.0.113.5", 40100, "10.0.1.10", 80))
	r := mustSynth(t, convs, opts("10.0.1.0/24"))
	want := strings.Join([]string{
		"in 100 allow tcp 203.0.113.5/32 80",
		"in 200 allow tcp 203.0.113.5/32 443",
		"in 300 allow icmp 0.0.0.0/0 3:4",
		"out 100 allow tcp 203.0.113.5/32 32768-60999",
	}, "\n")
	if got := rules(r.ACL); got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	for _, e := range r.ACL.Entries {
		if e.Comment == "" {
			t.Errorf("rule %s has no comment", ruleText(e))
		}
	}
	if !strings.Contains(r.ACL.Entries[1].Comment, "6 conversation(s), e.g. 203.0.113.5") {
		t.Errorf("comment of 443 rule = %q", r.ACL.Entries[1].Comment)
	}
	if len(r.Clients) != 1 || r.Clients[0].Profile != "linux" {
		t.Errorf("clients = %+v, want one linux group", r.Clients)
	}
	mustPass(t, r, observe(convs))
}

func TestAdjacentPortsMerge(t *testing.T) {
	convs := []*flows.Conversation{
		conv(1, 6, "203.0.113.5", 40000, "10.0.1.10", 8080),
		conv(2, 6, "203.0.113.5", 40001, "10.0.1.10", 8081),
		conv(3, 6, "203.0.113.5", 40002, "10.0.1.10", 8082),
	}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	r := mustSynth(t, convs, o)
	want := "in 100 allow tcp 203.0.113.5/32 8080-8082\nout 100 allow tcp 203.0.113.5/32 32768-60999"
	if got := rules(r.ACL); got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	if len(r.Merges) != 0 || r.Lossless != 2 {
		t.Errorf("merges = %d lossy, %d free; want 0 and 2", len(r.Merges), r.Lossless)
	}
}

func TestOutboundClientAmbiguousProfile(t *testing.T) {
	// Ports 50000-51000 fit both linux and windows: the union is used.
	convs := []*flows.Conversation{
		conv(1, 6, "10.0.1.10", 50000, "52.1.1.1", 443),
		conv(2, 6, "10.0.1.10", 51000, "52.1.1.1", 443),
	}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	r := mustSynth(t, convs, o)
	want := "in 100 allow tcp 52.1.1.1/32 32768-65535\nout 100 allow tcp 52.1.1.1/32 443"
	if got := rules(r.ACL); got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	if len(r.Notes) != 1 || r.Notes[0].Kind != MsgProfileUnion || r.Notes[0].Profile != "windows+linux" {
		t.Errorf("notes = %+v", r.Notes)
	}
}

func TestForcedEphemeral(t *testing.T) {
	convs := []*flows.Conversation{conv(1, 6, "203.0.113.5", 40000, "10.0.1.10", 22), conv(2, 6, "203.0.113.5", 2000, "10.0.1.10", 22)}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	var err error
	if o.Ephemeral, err = ParseEphemeral("windows"); err != nil {
		t.Fatal(err)
	}
	r := mustSynth(t, convs, o)
	// The forced range is what was asked for: no rules on the observed
	// client ports outside it (useless for the next connection).
	want := "in 100 allow tcp 203.0.113.5/32 22\nout 100 allow tcp 203.0.113.5/32 49152-65535"
	if got := rules(r.ACL); got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Kind != MsgOutsideForced || r.Warnings[0].Profile != "windows" || r.Warnings[0].Range.String() != "49152-65535" {
		t.Errorf("warnings = %+v", r.Warnings)
	}
	if len(r.OutsideForced) != 1 || r.OutsideForced[0].Convs != 2 || !r.HasConflicts() {
		t.Fatalf("outside forced = %+v, want one client with 2 conversations", r.OutsideForced)
	}
	if o := r.OutsideForced[0]; o.Client.String() != "203.0.113.5" || !slices.Equal(o.Ports, []uint16{2000, 40000}) || o.Profile != "windows" || o.Range.String() != "49152-65535" {
		t.Errorf("outside forced = %+v, want 203.0.113.5 ports 2000,40000 outside windows 49152-65535", o)
	}
	// The self-check expects exactly the replies to those ports to be
	// denied (4 packets per conversation), and nothing else.
	cr := mustPass(t, r, observe(convs))
	if cr.OutsideForced != 8 || cr.Expected != 0 || cr.Allowed != 10 {
		t.Errorf("self-check = %+v", cr)
	}
	if len(r.OutsideForced) != 1 {
		t.Errorf("outside the forced range: %+v", r.OutsideForced)
	}
	// A request leg to a port outside the range is still a bug: the
	// self-check must not excuse it.
	r.ACL.Entries = r.ACL.Entries[1:]
	if cr, err := SelfCheck(r, observe(convs)); err != nil || cr.OK() {
		t.Errorf("self-check without the service rule passed: %v %+v", err, cr)
	}
}

func TestForcedEphemeralAllInside(t *testing.T) {
	convs := []*flows.Conversation{conv(1, 6, "203.0.113.5", 50000, "10.0.1.10", 22)}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	o.Ephemeral, _ = ParseEphemeral("windows")
	r := mustSynth(t, convs, o)
	if len(r.OutsideForced) != 0 || r.HasConflicts() || len(r.Warnings) != 0 {
		t.Errorf("outside = %+v, warnings = %+v", r.OutsideForced, r.Warnings)
	}
	if cr := mustPass(t, r, observe(convs)); cr.OutsideForced != 0 {
		t.Errorf("self-check = %+v", *cr)
	}
}

func TestLowClientPortsFallBack(t *testing.T) {
	convs := []*flows.Conversation{
		conv(1, 17, "10.0.1.10", 123, "198.51.100.1", 123),
		conv(2, 17, "10.0.1.20", 500, "198.51.100.2", 500),
		conv(3, 17, "10.0.1.20", 40000, "198.51.100.2", 53),
	}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	r := mustSynth(t, convs, o)
	got := rules(r.ACL)
	for _, w := range []string{
		"in 100 allow udp 198.51.100.1/32 123",
		"allow udp 198.51.100.2/32 500",
		"allow udp 198.51.100.2/32 1024-65535",
		"out 200 allow udp 198.51.100.1/32 123",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("rules lack %q:\n%s", w, got)
		}
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Kind != MsgFallback || r.Warnings[0].Range.String() != "1024-65535" {
		t.Errorf("warnings = %+v", r.Warnings)
	}
	mustPass(t, r, observe(convs))
}

func TestExclusions(t *testing.T) {
	rejected := conv(3, 6, "198.51.100.9", 40000, "10.0.1.10", 23)
	rejected.State = flows.StateRejected
	unanswered := conv(4, 6, "198.51.100.9", 40001, "10.0.1.10", 3389)
	unanswered.State, unanswered.ToClient = flows.StateUnanswered, flows.DirStats{}
	ping := echo(5, "198.51.100.9", "10.0.1.10")
	ping.ToClient = flows.DirStats{}
	convs := []*flows.Conversation{
		conv(1, 17, "10.0.1.10", 40000, "10.0.0.2", 53), // Amazon DNS
		conv(2, 6, "10.0.1.10", 40000, "10.0.1.11", 22), // same subnet
		rejected, unanswered, ping,
		conv(6, 17, "10.0.1.10", 40000, "169.254.169.123", 123), // Time Sync
		conv(7, 6, "198.51.100.7", 40000, "10.0.1.10", 22),
	}
	o := opts("10.0.1.0/24")
	o.VPCCIDRs = append(o.VPCCIDRs, mustPrefix("10.0.0.0/16"))
	r := mustSynth(t, convs, o)
	cats := map[int]string{}
	for _, e := range r.Excluded {
		cats[e.Conv.ID] = e.Category
	}
	want := map[int]string{1: ExclExempt, 2: ExclSameSubnet, 3: ExclFailed, 4: ExclFailed, 5: ExclFailed, 6: ExclExempt}
	for id, c := range want {
		if cats[id] != c {
			t.Errorf("conversation %d: category %q, want %q", id, cats[id], c)
		}
	}
	if r.Used != 1 {
		t.Errorf("used = %d, want 1", r.Used)
	}
	for _, e := range r.ACL.Entries {
		if e.Protocol == nacl.ProtoTCP && (e.Ports.From == 23 || e.Ports.From == 3389) {
			t.Errorf("failed conversation produced %s", ruleText(e))
		}
	}
	cr := mustPass(t, r, observe(convs))
	if cr.Expected == 0 {
		t.Errorf("self-check counted no intended denials of failed conversations: %+v", *cr)
	}
	o.IncludeFailed = true
	r2 := mustSynth(t, convs, o)
	if !strings.Contains(rules(r2.ACL), "in 100 allow tcp 198.51.100.9/32 22-23") && !strings.Contains(rules(r2.ACL), "198.51.100.9/32 23") {
		t.Errorf("--include-failed: no rule for port 23:\n%s", rules(r2.ACL))
	}
	mustPass(t, r2, observe(convs))
}

func TestOneWayUDPKeepsRequestOnly(t *testing.T) {
	c := conv(1, 17, "10.0.1.10", 40000, "192.0.2.50", 514)
	c.State, c.ToClient = flows.StateOneWay, flows.DirStats{}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	r := mustSynth(t, []*flows.Conversation{c}, o)
	if got, want := rules(r.ACL), "out 100 allow udp 192.0.2.50/32 514"; got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
}

func TestMaxPeersAndPeerPrefix(t *testing.T) {
	var convs []*flows.Conversation
	for i := 0; i < 9; i++ {
		convs = append(convs, conv(i+1, 6, "198.51.100."+itoa(10+i), 40000, "10.0.1.10", 443))
	}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	r := mustSynth(t, convs, o)
	if got, want := rules(r.ACL), "in 100 allow tcp 0.0.0.0/0 443\nout 100 allow tcp 0.0.0.0/0 32768-60999"; got != want {
		t.Errorf("9 peers > max 8:\n%s\nwant:\n%s", got, want)
	}
	o.PeerPrefix4 = 24
	r = mustSynth(t, convs, o)
	if got, want := rules(r.ACL), "in 100 allow tcp 198.51.100.0/24 443\nout 100 allow tcp 198.51.100.0/24 32768-60999"; got != want {
		t.Errorf("--peer-prefix 24:\n%s\nwant:\n%s", got, want)
	}
	o.PeerPrefix4, o.MaxPeers = 32, 20
	r = mustSynth(t, convs, o)
	// 198.51.100.10-18: exact cover is .10/31 .12/30 .16/31 .18/32.
	if got := rules(r.ACL); !strings.Contains(got, "198.51.100.12/30 443") || !strings.Contains(got, "198.51.100.18/32 443") {
		t.Errorf("exact aggregation:\n%s", got)
	}
	mustPass(t, r, observe(convs))
}

func TestIPv6AndEcho(t *testing.T) {
	convs := []*flows.Conversation{
		conv(1, 6, "2001:db8:1::5", 40000, "2001:db8:a::10", 443),
		echo(2, "2001:db8:1::5", "2001:db8:a::10"),
		echo(3, "10.0.1.10", "8.8.8.8"),
	}
	r := mustSynth(t, convs, opts("2001:db8:a::/64", "10.0.1.0/24"))
	got := rules(r.ACL)
	for _, w := range []string{
		"allow icmp 8.8.8.8/32 0:0", "allow icmp 0.0.0.0/0 3:4", "allow tcp 2001:db8:1::5/128 443",
		"allow icmpv6 2001:db8:1::5/128 128:0", "allow icmpv6 ::/0 2:0", "out", "allow icmpv6 2001:db8:1::5/128 129:0",
		"allow tcp 2001:db8:1::5/128 32768-60999", "allow icmp 8.8.8.8/32 8:0",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("rules lack %q:\n%s", w, got)
		}
	}
	// IPv4 rules are numbered before IPv6 rules in each direction, and
	// numbers are unique per direction.
	seen := map[[2]int]bool{}
	for _, e := range r.ACL.Entries {
		k := [2]int{int(e.Direction), e.RuleNumber}
		if seen[k] {
			t.Errorf("duplicate rule number %d %s", e.RuleNumber, e.Direction)
		}
		seen[k] = true
	}
	if len(r.Counts) != 4 {
		t.Errorf("counts = %+v, want 4 direction/family groups", r.Counts)
	}
	mustPass(t, r, observe(convs))
}

func TestKeepDenies(t *testing.T) {
	old := &nacl.ACL{ID: "acl-old", Entries: []nacl.Entry{
		{RuleNumber: 50, Direction: nacl.Ingress, Action: nacl.Deny, Protocol: 6, CIDR: mustPrefix("0.0.0.0/0"), Ports: nacl.PortRange{From: 23, To: 23}, ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 60, Direction: nacl.Ingress, Action: nacl.Deny, Protocol: -1, CIDR: mustPrefix("192.0.2.0/24"), ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 100, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: -1, CIDR: mustPrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
	}}
	convs := []*flows.Conversation{
		conv(1, 6, "198.51.100.7", 40000, "10.0.1.10", 443),
		conv(2, 6, "198.51.100.7", 40001, "10.0.1.10", 23),
	}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	o.KeepDenies = old
	r := mustSynth(t, convs, o)
	want := strings.Join([]string{
		"in 100 deny tcp 0.0.0.0/0 23",
		"in 200 deny all 192.0.2.0/24",
		"in 300 allow tcp 198.51.100.7/32 443",
		"out 100 allow tcp 198.51.100.7/32 32768-60999",
	}, "\n")
	if got := rules(r.ACL); got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	if len(r.Conflicts) != 1 || r.Conflicts[0].Conv.ID != 2 || r.Conflicts[0].Rule != 50 {
		t.Errorf("conflicts = %+v, want conversation 2 against rule 50", r.Conflicts)
	}
	if !strings.Contains(r.ACL.Entries[0].Comment, "kept deny: rule 50 of acl-old") {
		t.Errorf("kept comment = %q", r.ACL.Entries[0].Comment)
	}
	cr := mustPass(t, r, observe(convs))
	if cr.Expected == 0 {
		t.Errorf("conflicting conversation's packets not counted as intended denials")
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Options)
		want string
	}{
		{func(o *Options) { o.Subnets = nil }, "no subnet"},
		{func(o *Options) { o.MaxRules = 41 }, "max rules 41"},
		{func(o *Options) { o.MaxRules = 1 }, "max rules 1"},
		{func(o *Options) { o.PeerPrefix4 = 33 }, "/33"},
		{func(o *Options) { o.MaxPeers = 0 }, "max peers"},
		{func(o *Options) { o.First, o.Step = 30000, 100 }, "above 32766"},
	} {
		o := opts("10.0.0.0/24")
		tc.mod(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want %q", err, tc.want)
		}
	}
}

func TestParseEphemeral(t *testing.T) {
	for in, want := range map[string]nacl.PortRange{
		"linux": {From: 32768, To: 60999}, "iana": {From: 49152, To: 65535}, "1024-65535": {From: 1024, To: 65535}, " 5000 - 6000 ": {From: 5000, To: 6000},
	} {
		got, err := ParseEphemeral(in)
		if err != nil || got.Range != want {
			t.Errorf("ParseEphemeral(%q) = %+v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "bsd", "6000-5000", "1-70000", "-5"} {
		if _, err := ParseEphemeral(in); err == nil {
			t.Errorf("ParseEphemeral(%q): no error", in)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestICMPErrorsAreNotResponses(t *testing.T) {
	// A UDP probe answered only by port unreachable never worked.
	probe := conv(1, 17, "198.51.100.9", 40000, "10.0.1.10", 161)
	probe.ToClient.Packets, probe.ICMPErrors = 1, 1
	// A working UDP exchange that also met a fragmentation-needed error.
	ok := conv(2, 17, "10.0.1.10", 40000, "192.0.2.53", 5353)
	ok.ToClient.Packets++
	ok.ICMPErrors = 1
	convs := []*flows.Conversation{probe, ok}
	obs := observe(convs)
	obs.AddPacket(1, nacl.Packet{Src: probe.Server.Addr, Dst: probe.Client.Addr, Proto: 1, ICMPType: 3, ICMPCode: 3, HasICMP: true}, true, flows.FrameRef{})
	obs.AddPacket(2, nacl.Packet{Src: mustPrefix("192.0.2.1/32").Addr(), Dst: ok.Client.Addr, Proto: 1, ICMPType: 3, ICMPCode: 4, HasICMP: true}, true, flows.FrameRef{})
	// The probe's "response" shape must not exist: drop it from obs.
	clean := NewObservations()
	for _, x := range obs.List() {
		if x.ConvID == 1 && !x.ICMPError && x.Packet.Src == probe.Server.Addr {
			continue
		}
		clean.addCount(x.ConvID, x.Packet, x.ICMPError, x.First, x.Packets)
	}
	o := opts("10.0.1.0/24")
	o.PMTUD = false
	o.Observations = clean
	r := mustSynth(t, convs, o)
	if len(r.Excluded) != 1 || r.Excluded[0].Conv.ID != 1 || r.Excluded[0].Reason != FailICMPErrors {
		t.Errorf("excluded = %+v, want the probe as answered only by ICMP errors", r.Excluded)
	}
	want := "in 100 allow udp 192.0.2.53/32 32768-60999\nin 200 allow icmp 192.0.2.1/32 3:4\nout 100 allow udp 192.0.2.53/32 5353"
	if got := rules(r.ACL); got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	mustPass(t, r, clean)
}

func TestKeptDeniesOverQuotaAndEmptyInput(t *testing.T) {
	old := &nacl.ACL{ID: "acl-old"}
	for i := 0; i < 5; i++ {
		old.Entries = append(old.Entries, nacl.Entry{RuleNumber: 10 + i, Direction: nacl.Ingress, Action: nacl.Deny, Protocol: 6,
			CIDR: mustPrefix("192.0.2.0/24"), Ports: nacl.PortRange{From: uint16(i), To: uint16(i)}, ICMPType: -1, ICMPCode: -1})
	}
	o := opts("10.0.1.0/24")
	o.KeepDenies, o.MaxRules = old, 5
	if _, err := Synthesize(nil, o); err == nil || !strings.Contains(err.Error(), "5 kept deny rules plus the default rule exceed --max-rules 5") {
		t.Errorf("err = %v", err)
	}
	o.KeepDenies = nil
	r := mustSynth(t, nil, o)
	if len(r.ACL.Entries) != 0 || len(r.Warnings) != 1 || r.Warnings[0].Kind != MsgNothingAllowed {
		t.Errorf("empty input: %d entries, warnings %+v", len(r.ACL.Entries), r.Warnings)
	}
}

func TestObservationsAddDedups(t *testing.T) {
	o := NewObservations()
	p := capture.Packet{Kind: capture.KindIP, Version: 4, Src: mustPrefix("10.0.1.10/32").Addr(), Dst: mustPrefix("192.0.2.1/32").Addr(),
		Proto: 6, HasPorts: true, SrcPort: 40000, DstPort: 443, Frame: 1}
	o.Add(flows.Ref{ID: 1}, &p)
	p.Frame = 2
	o.Add(flows.Ref{ID: 1}, &p)
	p.DstPort = 80
	o.Add(flows.Ref{ID: 2}, &p)
	o.Add(flows.Ref{}, &capture.Packet{Kind: capture.KindNonIP})
	l := o.List()
	if len(l) != 2 || l[0].Packets != 2 || l[0].First.Frame != 1 || l[1].ConvID != 2 || !l[1].Packet.HasPort || l[1].Packet.DstPort != 80 || o.NonIP != 1 {
		t.Errorf("observations = %+v (non-IP %d)", l, o.NonIP)
	}
}

// The subnets are grouped as in check (replay.SubnetsFromCIDRs): each
// CIDR its own subnet, except one IPv4 plus one IPv6 CIDR (dual stack).
func TestTopologySubnetGrouping(t *testing.T) {
	for _, tc := range []struct {
		subnets []string
		want    []string
	}{
		{[]string{"10.0.1.0/24", "10.0.2.0/24"}, []string{"10.0.1.0/24", "10.0.2.0/24"}},
		{[]string{"10.0.1.7/24", "10.0.1.0/24"}, []string{"10.0.1.0/24"}},
		{[]string{"10.0.1.0/24", "2001:db8:10:1::/64"}, []string{"10.0.1.0/24,2001:db8:10:1::/64"}},
		{[]string{"10.0.1.0/24", "10.0.2.0/24", "2001:db8:10:1::/64"}, []string{"10.0.1.0/24", "10.0.2.0/24", "2001:db8:10:1::/64"}},
	} {
		o := opts(tc.subnets...)
		var got []string
		for _, s := range Topology(allowAll(), &o).Subnets {
			got = append(got, s.ID)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%v: subnets %v, want %v", tc.subnets, got, tc.want)
		}
	}
	// Traffic between two given IPv4 subnets crosses both boundaries.
	convs := []*flows.Conversation{conv(1, 6, "10.0.2.20", 40000, "10.0.1.10", 5432)}
	o := opts("10.0.1.0/24", "10.0.2.0/24")
	o.PMTUD = false
	r := mustSynth(t, convs, o)
	if n := len(r.ACL.Entries); n != 4 {
		t.Errorf("%d rules, want 4 (both legs at both subnets):\n%s", n, rules(r.ACL))
	}
	mustPass(t, r, observe(convs))
}
