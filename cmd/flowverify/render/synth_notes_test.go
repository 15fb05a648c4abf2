package render

import (
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/synth"
)

// The sentences of the warnings, notes and decisions no sample capture
// produces, as nacl/synth wrote them before they became data.
func TestSynthSentences(t *testing.T) {
	a := netip.MustParseAddr
	r := func(from, to uint16) nacl.PortRange { return nacl.PortRange{From: from, To: to} }
	ex := synth.ConvExample{Conv: synth.ConvRef{ID: 3, Proto: nacl.ProtoUDP, Client: flows.Endpoint{Addr: a("10.0.1.10"), Port: 5000}, Server: flows.Endpoint{Addr: a("10.0.2.20"), Port: 6000}}, Evidence: flows.EvidenceEphemeral, Confidence: flows.Low}
	msgs := []struct {
		m    synth.Message
		want string
	}{
		{synth.Message{Kind: synth.MsgSymmetricPorts, Proto: nacl.ProtoUDP, Clients: 1, Examples: []synth.ClientExample{{Client: a("10.0.2.5"), Ports: []uint16{123}, Lo: 123, Hi: 123}}},
			"udp client ports below 1024 fit no ephemeral profile (symmetric service ports): allowed exactly: 1 client(s), e.g. 10.0.2.5 (123)"},
		{synth.Message{Kind: synth.MsgFallback, Proto: nacl.ProtoTCP, Range: r(1024, 65535), Clients: 2, Examples: []synth.ClientExample{{Client: a("10.0.2.5"), Ports: []uint16{80, 443}, Lo: 40000, Hi: 50000}, {Client: a("10.0.2.6"), Ports: []uint16{22}, Lo: 33000, Hi: 33000}}},
			"tcp client ports below 1024 and above fit no ephemeral profile; falling back to 1024-65535 plus exact rules for the low ports: 2 client(s), e.g. 10.0.2.5 (80,443 and 40000-50000); 10.0.2.6 (22 and 33000-33000)"},
		{synth.Message{Kind: synth.MsgTooFewForOS, Proto: nacl.ProtoTCP, Profile: "freebsd", Limit: 16, Range: r(1024, 65535), Clients: 1, Examples: []synth.ClientExample{{Client: a("10.0.3.9"), Lo: 12000, Hi: 13000}}},
			"tcp client ports fit the freebsd range, but fewer than 16 conversations cannot tell that OS from an AWS-managed sender (ports spread over 1024-65535): aws-managed 1024-65535 so that the next connection holds: 1 client(s), e.g. 10.0.3.9 (12000-13000)"},
		{synth.Message{Kind: synth.MsgAnyClient, Proto: nacl.ProtoTCP, Range: r(1024, 65535), Clients: 1, Examples: []synth.ClientExample{{Client: a("198.51.100.7"), Lo: 20000, Hi: 20000}}},
			"public tcp clients of unknown OS, using ports below 32768: 1024-65535 covers every client OS: 1 client(s), e.g. 198.51.100.7 (20000-20000)"},
		{synth.Message{Kind: synth.MsgLowConfidence, Count: 5, Convs: []synth.ConvExample{ex, ex}},
			"5 conversation(s) producing rules had low-confidence client/server roles (no handshake; decided by port or first packet), e.g. #3 udp 10.0.1.10:5000 -> 10.0.2.20:6000 (ephemeral-port); #3 udp 10.0.1.10:5000 -> 10.0.2.20:6000 (ephemeral-port)"},
		{synth.Message{Kind: synth.MsgMergeWorkLimit, Direction: nacl.Ingress, Count: 5000, Limit: 64},
			"inbound IPv4: budget merging of 5000 rules stopped at its work limit (64 pair costs per rule; analysis-incomplete): 5000 rules remain, over --max-rules"},
		{synth.Message{Kind: synth.MsgUnknownICMP, Count: 2},
			"2 ICMP conversation(s) of unknown type (no packet observations given): allowed as all ICMP types"},
		{synth.Message{Kind: synth.MsgUnsureRole, Direction: nacl.Egress, Proto: nacl.ProtoUDP, Port: 6000, Count: 3, Of: 3, Convs: []synth.ConvExample{ex}, Peers: 1},
			"outbound udp 6000: client/server roles uncertain in 3 of 3 conversation(s) (e.g. #3 udp 10.0.1.10:5000 -> 10.0.2.20:6000 (ephemeral-port, low confidence)) and the port is in an ephemeral range: kept to the 1 observed peer(s) instead of generalising (a reversed role would open an ephemeral port to the world); check the roles with flowverify flows"},
		{synth.Message{Kind: synth.MsgKeptDenyICMP, Packet: nacl.Packet{Src: a("10.0.1.10"), Dst: a("192.0.2.80"), ICMPType: 8}, Direction: nacl.Egress, Rule: nacl.Entry{RuleNumber: 90}},
			"ICMP 10.0.1.10 -> 192.0.2.80 type 8 code 0 is denied by kept rule outbound 90"},
		{synth.Message{Kind: synth.MsgPMTUDCovered, Direction: nacl.Ingress, Rule: nacl.Entry{Direction: nacl.Ingress, RuleNumber: 100, Protocol: nacl.ProtoICMP, Action: nacl.Allow, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
			PMTUD: nacl.Entry{Direction: nacl.Ingress, Protocol: nacl.ProtoICMP, Action: nacl.Allow, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: 3, ICMPCode: 4}},
			`inbound IPv4: observed rule "in 100 allow icmp 0.0.0.0/0" already allows path MTU discovery (in allow icmp 0.0.0.0/0 3:4); no separate rule`},
	}
	for _, c := range msgs {
		if got := SynthMessage(&c.m); got != c.want {
			t.Errorf("kind %d:\n got %s\nwant %s", c.m.Kind, got, c.want)
		}
	}
	decisions := []struct {
		d    synth.Decision
		want string
	}{
		{synth.Decision{Why: synth.WhyUnsureRole, Unsure: 2}, "roles uncertain in 2 conversation(s) on a port in an ephemeral range: the observed peers only"},
		{synth.Decision{Why: synth.WhyNotWellKnown, Port: 8443, PublicPeers: 9, PeersMore: true, PublicNets: 2, PublicExamples: []netip.Addr{a("198.51.100.1"), a("203.0.113.2"), a("203.0.113.3")}},
			"requests to more than 9 peers from public address space in 2 different /8s, e.g. 198.51.100.1, 203.0.113.2, 203.0.113.3 on port 8443, which is not a well-known service port: the observed peers only"},
		{synth.Decision{Why: synth.WhyEnclosing, Intent: synth.IntentVPC, Enclosing: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}, Inside: 3, Outside: 1, AnyPeer: true},
			"3 peer(s) in the modelled subnet(s) / VPC CIDR(s) 10.0.0.0/16 (the smallest enclosing modelled prefix of each); 1 outside them kept exact"},
		{synth.Decision{Why: synth.WhyPublicService, IPv6: true, PublicPeers: 1, PublicNets: 1, PublicExamples: []netip.Addr{a("2001:db8::1")}},
			"public service: 1 peer from public address space (2001:db8::1)"},
	}
	for _, c := range decisions {
		if got := SynthDecisionReason(&c.d); got != c.want {
			t.Errorf("why %d:\n got %s\nwant %s", c.d.Why, got, c.want)
		}
	}
	fc := synth.FailedConv{Conv: synth.ConvRef{ID: 9, Proto: nacl.ProtoTCP, Client: flows.Endpoint{Addr: a("203.0.113.99"), Port: 40000}, Server: flows.Endpoint{Addr: a("10.0.1.10"), Port: 100}}, Why: synth.FailRejected, Through: synth.KindResponse}
	if got, want := synthFailedAllowed(&fc), "#9 tcp 203.0.113.99:40000 -> 10.0.1.10:100 (rejected: SYN answered by RST), let through by a response rule"; got != want {
		t.Errorf("let through:\n got %s\nwant %s", got, want)
	}
	if got, want := synthFailedViaResponse(&fc), "#9 tcp 203.0.113.99:40000 -> 10.0.1.10:100 (rejected: SYN answered by RST)"; got != want {
		t.Errorf("via response:\n got %s\nwant %s", got, want)
	}
	for code, want := range map[string]string{
		synth.FailUnanswered:     "unanswered: SYN never answered",
		synth.FailHandshake:      "handshake never completed (half-open scan or failed attempt)",
		synth.FailPingUnanswered: "ping never answered",
		synth.FailICMPErrors:     "answered only by ICMP errors (e.g. port unreachable)",
		"amazon-dns":             "amazon-dns",
	} {
		if got := synthExclusion(&synth.ExclusionReason{Reason: code}); got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
}
