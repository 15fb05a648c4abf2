package flows

import (
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

func TestUDPAndICMP(t *testing.T) {
	tests := []struct {
		name  string
		build func(q *seq)
		cfg   Config
		want  []want
		anom  map[string]uint64
	}{
		{"UDP one way", func(q *seq) {
			q.udp(0, "10.0.0.1:40000", "10.0.0.9:514")
			q.udp(1*ms, "10.0.0.1:40000", "10.0.0.9:514")
		}, Config{}, []want{{"10.0.0.1:40000", "10.0.0.9:514", StateOneWay, EvidenceServicePort, High, 2, 0}}, nil},
		{"UDP request and reply", func(q *seq) {
			q.udp(0, "10.0.0.1:40000", "10.0.0.53:53")
			q.udp(1*ms, "10.0.0.53:53", "10.0.0.1:40000")
		}, Config{}, []want{{"10.0.0.1:40000", "10.0.0.53:53", StateTwoWay, EvidenceServicePort, High, 1, 1}}, nil},
		{"UDP idle split", func(q *seq) {
			q.udp(0, "10.0.0.1:40000", "10.0.0.53:53")
			q.udp(61*time.Second, "10.0.0.1:40000", "10.0.0.53:53")
		}, Config{}, []want{{toS: 1}, {toS: 1}}, nil},
		{"UDP idle from the config", func(q *seq) {
			q.udp(0, "10.0.0.1:40000", "10.0.0.53:53")
			q.udp(61*time.Second, "10.0.0.1:40000", "10.0.0.53:53")
		}, Config{UDPIdle: 2 * time.Minute}, []want{{toS: 2}}, nil},
		{"UDP answered by port unreachable", func(q *seq) {
			q.udp(0, "10.0.0.1:40000", "10.0.0.9:161")
			q.icmpErr(1*ms, "10.0.0.9", "10.0.0.1", 3, capture.ProtoUDP, "10.0.0.1:40000", "10.0.0.9:161")
		}, Config{}, []want{{"10.0.0.1:40000", "10.0.0.9:161", StateOneWay, EvidenceServicePort, High, 1, 1}}, nil},
		{"ICMP echo request and reply", func(q *seq) {
			q.icmp(0, "10.0.0.1", "10.0.0.2", 8, 77)
			q.icmp(1*ms, "10.0.0.2", "10.0.0.1", 0, 77)
			q.icmp(1000*ms, "10.0.0.1", "10.0.0.2", 8, 77)
			q.icmp(1001*ms, "10.0.0.2", "10.0.0.1", 0, 77)
			q.icmp(2000*ms, "10.0.0.1", "10.0.0.2", 8, 78)
		}, Config{}, []want{{"10.0.0.1", "10.0.0.2", StateTwoWay, EvidenceICMPEcho, Certain, 2, 2}, {"10.0.0.1", "10.0.0.2", StateOneWay, EvidenceICMPEcho, Certain, 1, 0}}, nil},
		{"ICMPv6 echo reply only", func(q *seq) {
			q.icmp(0, "2001:db8::2", "2001:db8::1", 129, 5)
		}, Config{}, []want{{"2001:db8::1", "2001:db8::2", StateOneWay, EvidenceICMPEcho, High, 0, 1}}, nil},
		{"ICMP echo idle split", func(q *seq) {
			q.icmp(0, "10.0.0.1", "10.0.0.2", 8, 1)
			q.icmp(2*time.Minute, "10.0.0.1", "10.0.0.2", 8, 1)
		}, Config{}, []want{{toS: 1}, {toS: 1}}, nil},
		{"ICMP error about an echo request", func(q *seq) {
			q.icmp(0, "10.0.0.1", "192.0.2.9", 8, 9)
			q.icmpErr(1*ms, "10.0.0.254", "10.0.0.1", 11, capture.ProtoICMP, "10.0.0.1", "192.0.2.9").Quote.ICMPID = 9
			q.pkts[1].Quote.ICMPType = 8
		}, Config{}, []want{{"10.0.0.1", "192.0.2.9", StateOneWay, EvidenceICMPEcho, Certain, 1, 1}}, nil},
		{"ICMP error quoting nothing known is its own conversation", func(q *seq) {
			q.icmpErr(0, "10.0.0.254", "10.0.0.1", 3, capture.ProtoUDP, "10.0.0.1:40000", "10.0.0.9:161")
		}, Config{}, []want{{"10.0.0.254", "10.0.0.1", StateOneWay, EvidenceFirstPacket, Low, 1, 0}}, map[string]uint64{"icmp error quoting no known conversation": 1}},
		{"other ICMPv6 keyed by addresses", func(q *seq) {
			q.icmp(0, "fe80::1", "ff02::1", 134, 0)
			q.icmp(1*ms, "fe80::1", "ff02::1", 134, 0)
		}, Config{}, []want{{"fe80::1", "ff02::1", StateOneWay, EvidenceFirstPacket, Low, 2, 0}}, nil},
		{"GRE keyed by addresses, no roles", func(q *seq) {
			q.ip(0, 47, "10.0.0.1", "10.0.0.2")
			q.ip(1*ms, 47, "10.0.0.2", "10.0.0.1")
			f := q.ip(2*ms, 47, "10.0.0.2", "10.0.0.1")
			f.Fragment, f.FragOffset = true, 185
		}, Config{}, []want{{"10.0.0.1", "10.0.0.2", StateTwoWay, EvidenceNone, Low, 1, 2}}, nil},
		{"fragments: attributed join, unattributed are counted", func(q *seq) {
			q.udp(0, "10.0.0.1:40000", "10.0.0.53:53").Fragment = true
			f := q.udp(1*ms, "10.0.0.1:40000", "10.0.0.53:53")
			f.Fragment, f.FragOffset, f.FragmentAttributed = true, 185, true
			u := q.ip(2*ms, capture.ProtoUDP, "10.0.0.1", "10.0.0.53")
			u.Fragment, u.FragOffset = true, 370
		}, Config{}, []want{{"10.0.0.1:40000", "10.0.0.53:53", StateOneWay, EvidenceServicePort, High, 2, 0}}, map[string]uint64{"unattributed fragment": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var q seq
			tc.build(&q)
			_, convs, sum := q.run(t, tc.cfg)
			check(t, convs, tc.want)
			for reason, n := range tc.anom {
				if sum.Anomalies[reason] != n {
					t.Errorf("anomaly %q = %d, want %d (all: %v)", reason, sum.Anomalies[reason], n, sum.Anomalies)
				}
			}
		})
	}
}

func TestRefs(t *testing.T) {
	var q seq
	q.udp(0, "10.0.0.1:40000", "10.0.0.9:161")
	q.udp(1*ms, "10.0.0.9:161", "10.0.0.1:40000")
	q.icmpErr(2*ms, "10.0.0.9", "10.0.0.1", 3, capture.ProtoUDP, "10.0.0.1:40000", "10.0.0.9:161")
	f := q.ip(3*ms, capture.ProtoUDP, "10.0.0.1", "10.0.0.9")
	f.Fragment, f.FragOffset = true, 10
	q.pkts = append(q.pkts, &capture.Packet{Frame: 5, Kind: capture.KindNonIP, Reason: "arp"})
	q.pkts = append(q.pkts, &capture.Packet{Frame: 6, Kind: capture.KindUndecodable, Reason: "truncated IPv4 header"})
	q.udp(4*ms, "10.0.0.7:5000", "10.0.0.1:40000")
	refs, convs, sum := q.run(t, Config{})
	wantRefs := []Ref{{1, SideA, false}, {1, SideB, false}, {1, SideB, true}, {}, {}, {}, {2, SideA, false}}
	for i, w := range wantRefs {
		if refs[i] != w {
			t.Errorf("packet %d: ref %+v, want %+v", i+1, refs[i], w)
		}
	}
	c := convs[0]
	if c.ICMPErrors != 1 || c.ToClient.Packets != 2 || c.State != StateTwoWay {
		t.Errorf("conversation 1: errors %d, to client %d, state %s", c.ICMPErrors, c.ToClient.Packets, c.State)
	}
	if sum.Packets != 7 || sum.IP != 5 || sum.NonIP != 1 || sum.Undecodable != 1 {
		t.Errorf("summary counts %+v", sum)
	}
	if sum.Anomalies["truncated IPv4 header"] != 1 || sum.Anomalies["unattributed fragment"] != 1 || sum.Anomalies["arp"] != 0 {
		t.Errorf("anomalies %v", sum.Anomalies)
	}
	if sum.ConversationsByProto["udp"] != 2 || len(sum.ConversationsByProto) != 1 {
		t.Errorf("by proto %v", sum.ConversationsByProto)
	}
}

func TestDirStats(t *testing.T) {
	var q seq
	q.tcp(0, C, S, syn).IPLen = 60
	q.tcp(10*ms, S, C, synack).IPLen = 52
	q.tcp(20*ms, C, S, ack).IPLen = 40
	q.pkts[2].File, q.pkts[2].Frame = 1, 99
	_, convs, _ := q.run(t, Config{})
	c := convs[0]
	if c.ToServer.Bytes != 100 || c.ToClient.Bytes != 52 {
		t.Errorf("bytes %d/%d", c.ToServer.Bytes, c.ToClient.Bytes)
	}
	if !c.ToServer.First.Equal(t0) || !c.ToServer.Last.Equal(t0.Add(20*ms)) || !c.ToClient.First.Equal(t0.Add(10*ms)) {
		t.Errorf("times %v %v %v", c.ToServer.First, c.ToServer.Last, c.ToClient.First)
	}
	if c.ToServer.FirstFrame != (FrameRef{0, 1}) || c.ToClient.FirstFrame != (FrameRef{0, 2}) || c.FirstFrame() != (FrameRef{0, 1}) {
		t.Errorf("frames %v %v", c.ToServer.FirstFrame, c.ToClient.FirstFrame)
	}
	if c.Duration() != 20*ms || !c.HandshakeSeen || c.ClientSide != SideA || c.Version != 4 {
		t.Errorf("duration %v handshake %v side %v version %d", c.Duration(), c.HandshakeSeen, c.ClientSide, c.Version)
	}
	if len(c.ClientProfiles) == 0 || c.ClientProfiles[0] != "linux" {
		t.Errorf("client profiles %v", c.ClientProfiles)
	}
}

func TestPingToSelf(t *testing.T) {
	var q seq
	q.icmp(0, "127.0.0.1", "127.0.0.1", 8, 3)
	q.icmp(1*ms, "127.0.0.1", "127.0.0.1", 0, 3)
	_, convs, _ := q.run(t, Config{})
	check(t, convs, []want{{"127.0.0.1", "127.0.0.1", StateTwoWay, EvidenceICMPEcho, Certain, 1, 1}})
}

func TestIPv4MappedIPv6StaysIPv6(t *testing.T) {
	var q seq
	q.udp(0, "10.0.0.1:40000", "10.0.0.53:53")
	q.udp(1*ms, "[::ffff:10.0.0.1]:40000", "[::ffff:10.0.0.53]:53")
	_, convs, _ := q.run(t, Config{})
	if len(convs) != 2 || convs[0].Version != 4 || convs[1].Version != 6 || convs[1].Client.Addr.String() != "::ffff:10.0.0.1" {
		for _, c := range convs {
			t.Logf("%d v%d %v -> %v", c.ID, c.Version, c.Client, c.Server)
		}
		t.Fatal("an IPv4 packet and an IPv6 packet with IPv4-mapped addresses must be distinct conversations")
	}
}
