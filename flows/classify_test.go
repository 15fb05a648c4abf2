package flows

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestPortEvidence(t *testing.T) {
	tests := []struct {
		name  string
		build func(q *seq)
		cfg   Config
		want  []want
	}{
		{"service port, other side ephemeral: high", func(q *seq) {
			q.udp(0, "10.0.0.9:123", "10.0.0.1:50000")
		}, Config{}, []want{{"10.0.0.1:50000", "10.0.0.9:123", StateOneWay, EvidenceServicePort, High, 0, 1}}},
		{"service port, other side privileged: medium", func(q *seq) {
			q.udp(0, "10.0.0.1:800", "10.0.0.9:2049")
		}, Config{}, []want{{"10.0.0.1:800", "10.0.0.9:2049", StateOneWay, EvidenceServicePort, Medium, 1, 0}}},
		{"DHCP 68 -> 67", func(q *seq) {
			q.udp(0, "10.0.0.1:67", "255.255.255.255:68")
		}, Config{}, []want{{"255.255.255.255:68", "10.0.0.1:67", StateOneWay, EvidenceServicePort, Medium, 0, 1}}},
		{"ephemeral: low port not a listed service", func(q *seq) {
			q.udp(0, "10.0.0.9:700", "10.0.0.1:40000")
		}, Config{}, []want{{"10.0.0.1:40000", "10.0.0.9:700", StateOneWay, EvidenceEphemeral, Medium, 0, 1}}},
		{"both service ports, equal: first packet", func(q *seq) {
			q.udp(0, "10.0.0.1:123", "10.0.0.9:123")
			q.udp(1*ms, "10.0.0.9:123", "10.0.0.1:123")
		}, Config{}, []want{{"10.0.0.1:123", "10.0.0.9:123", StateTwoWay, EvidenceFirstPacket, Low, 1, 1}}},
		{"IKE NAT-T 4500<->4500: first packet", func(q *seq) {
			q.udp(0, "10.0.0.9:4500", "10.0.0.1:4500")
		}, Config{}, []want{{"10.0.0.9:4500", "10.0.0.1:4500", StateOneWay, EvidenceFirstPacket, Low, 1, 0}}},
		{"fan-in beats first packet", func(q *seq) {
			for i := range 3 {
				peer := fmt.Sprintf("10.0.1.%d:%d", i+1, 50000+i)
				q.udp(time.Duration(i)*ms, peer, "10.0.0.9:40001")
				q.udp(time.Duration(i)*ms+ms/2, "10.0.0.9:40001", peer)
			}
		}, Config{}, []want{
			{"10.0.1.1:50000", "10.0.0.9:40001", StateTwoWay, EvidenceFanIn, Medium, 1, 1},
			{"10.0.1.2:50001", "10.0.0.9:40001", StateTwoWay, EvidenceFanIn, Medium, 1, 1},
			{"10.0.1.3:50002", "10.0.0.9:40001", StateTwoWay, EvidenceFanIn, Medium, 1, 1},
		}},
		{"fan-in threshold from the config; then the shared port", func(q *seq) {
			for i := range 3 {
				peer := fmt.Sprintf("10.0.1.%d:%d", i+1, 50000+i)
				q.udp(time.Duration(i)*ms, peer, "10.0.0.9:40001")
			}
		}, Config{FanInPeers: 4}, []want{
			{"10.0.1.1:50000", "10.0.0.9:40001", StateOneWay, EvidenceSharedPort, Low, 1, 0},
			{"10.0.1.2:50001", "10.0.0.9:40001", StateOneWay, EvidenceSharedPort, Low, 1, 0},
			{"10.0.1.3:50002", "10.0.0.9:40001", StateOneWay, EvidenceSharedPort, Low, 1, 0},
		}},
		{"fan-out is not fan-in: a client calling one service on several hosts", func(q *seq) {
			for i := range 3 {
				server := fmt.Sprintf("10.0.1.%d:7000", i+1)
				q.udp(time.Duration(i)*ms, "10.0.0.9:7001", server)
				q.udp(time.Duration(i)*ms+ms/2, server, "10.0.0.9:7001")
			}
		}, Config{}, []want{
			{"10.0.0.9:7001", "10.0.1.1:7000", StateTwoWay, EvidenceFirstPacket, Low, 1, 1},
			{"10.0.0.9:7001", "10.0.1.2:7000", StateTwoWay, EvidenceFirstPacket, Low, 1, 1},
			{"10.0.0.9:7001", "10.0.1.3:7000", StateTwoWay, EvidenceFirstPacket, Low, 1, 1},
		}},
		{"one endpoint, both roles by first packet (MPTCP subflows): shared port", func(q *seq) {
			q.udp(0, "10.0.0.9:40001", "10.0.1.1:50000")
			q.udp(ms, "10.0.1.2:50001", "10.0.0.9:40001")
		}, Config{}, []want{
			{"10.0.1.1:50000", "10.0.0.9:40001", StateOneWay, EvidenceSharedPort, Low, 0, 1},
			{"10.0.1.2:50001", "10.0.0.9:40001", StateOneWay, EvidenceSharedPort, Low, 1, 0},
		}},
		{"only calls out to several hosts and ports: no shared port", func(q *seq) {
			q.udp(0, "10.0.0.9:40001", "10.0.1.1:50000")
			q.udp(ms, "10.0.0.9:40001", "10.0.1.2:50001")
		}, Config{}, []want{
			{"10.0.0.9:40001", "10.0.1.1:50000", StateOneWay, EvidenceFirstPacket, Low, 1, 0},
			{"10.0.0.9:40001", "10.0.1.2:50001", StateOneWay, EvidenceFirstPacket, Low, 1, 0},
		}},
		{"one client port to two ports of one host is no shared port", func(q *seq) {
			q.udp(0, "10.0.0.9:40001", "10.0.1.1:45000")
			q.udp(ms, "10.0.1.1:45001", "10.0.0.9:40001")
		}, Config{}, []want{
			{"10.0.0.9:40001", "10.0.1.1:45000", StateOneWay, EvidenceFirstPacket, Low, 1, 0},
			{"10.0.1.1:45001", "10.0.0.9:40001", StateOneWay, EvidenceFirstPacket, Low, 1, 0},
		}},
		{"registered port vs dynamic port: low", func(q *seq) {
			q.udp(0, "10.0.0.9:5000", "10.0.0.1:40000")
		}, Config{}, []want{{"10.0.0.1:40000", "10.0.0.9:5000", StateOneWay, EvidenceEphemeral, Low, 0, 1}}},
		{"two dynamic ports: first packet", func(q *seq) {
			q.udp(0, "10.0.0.9:45000", "10.0.0.1:40000")
		}, Config{}, []want{{"10.0.0.9:45000", "10.0.0.1:40000", StateOneWay, EvidenceFirstPacket, Low, 1, 0}}},
		{"continued TCP with two dynamic ports: lower port", func(q *seq) {
			q.data(0, "10.0.0.9:45000", "10.0.0.1:40000", 10)
			q.data(10*time.Minute, "10.0.0.9:45000", "10.0.0.1:40000", 10)
		}, Config{}, []want{
			{"10.0.0.9:45000", "10.0.0.1:40000", StateMidstream, EvidenceFirstPacket, Low, 1, 0},
			{"10.0.0.9:45000", "10.0.0.1:40000", StateMidstream, EvidenceLowerPort, Low, 1, 0},
		}},
		{"SYN beats service port", func(q *seq) {
			q.tcp(0, "10.0.0.1:443", "10.0.0.2:50000", syn)
		}, Config{}, []want{{"10.0.0.1:443", "10.0.0.2:50000", StateUnanswered, EvidenceSYN, Certain, 1, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var q seq
			tc.build(&q)
			_, convs, _ := q.run(t, tc.cfg)
			check(t, convs, tc.want)
		})
	}
}

func TestIDsInFirstPacketOrderAndDeterministic(t *testing.T) {
	var q seq
	q.udp(0, "10.0.0.5:40000", "10.0.0.53:53")
	q.tcp(1*ms, "10.0.0.3:40000", "10.0.0.2:22", syn)
	q.udp(2*ms, "10.0.0.53:53", "10.0.0.5:40000")
	q.icmp(3*ms, "10.0.0.1", "10.0.0.2", 8, 1)
	q.tcp(4*ms, "10.0.0.2:22", "10.0.0.3:40000", synack)
	_, a, sa := q.run(t, Config{})
	_, b, sb := q.run(t, Config{})
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(sa, sb) {
		t.Fatal("two runs over the same packets differ")
	}
	wantServers := []string{"10.0.0.53:53", "10.0.0.2:22", "10.0.0.2"}
	if len(a) != len(wantServers) {
		t.Fatalf("got %d conversations", len(a))
	}
	for i, c := range a {
		if c.ID != i+1 || epString(c.Server) != wantServers[i] {
			t.Errorf("conversation %d: ID %d server %s, want %s", i+1, c.ID, epString(c.Server), wantServers[i])
		}
	}
	if sa.ConversationsByProto["tcp"] != 1 || sa.ConversationsByProto["udp"] != 1 || sa.ConversationsByProto["icmp"] != 1 {
		t.Errorf("by proto %v", sa.ConversationsByProto)
	}
}

func TestProtoName(t *testing.T) {
	for p, w := range map[uint8]string{1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 47: "47", 0: "0"} {
		if got := ProtoName(p); got != w {
			t.Errorf("ProtoName(%d) = %q, want %q", p, got, w)
		}
	}
}

func TestServicePorts(t *testing.T) {
	seen := map[uint16]bool{}
	for _, s := range ServicePorts {
		if seen[s.Port] {
			t.Errorf("port %d listed twice", s.Port)
		}
		seen[s.Port] = true
		if !IsServicePort(s.Port) || ServiceName(s.Port) != s.Name {
			t.Errorf("port %d: lookup disagrees with the list", s.Port)
		}
	}
	for _, p := range []uint16{68, 546, 40000, 0} {
		if IsServicePort(p) {
			t.Errorf("%d must not be a service port", p)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	got := (Config{TCPIdle: time.Hour}).withDefaults()
	d := DefaultConfig()
	if got.TCPIdle != time.Hour || got.UDPIdle != d.UDPIdle || got.TCPClosedLinger != d.TCPClosedLinger || got.OtherIdle != d.OtherIdle || got.FanInPeers != d.FanInPeers {
		t.Errorf("withDefaults = %+v", got)
	}
}

func TestKnownRoleDecidesEqualServicePorts(t *testing.T) {
	var q seq
	// Three NTP clients query 10.0.0.9:123 from ephemeral ports, then a
	// peer talks 123<->123, server first: 10.0.0.9:123 is a known server.
	q.udp(0, "10.0.0.1:40000", "10.0.0.9:123")
	q.udp(1*ms, "10.0.0.2:40001", "10.0.0.9:123")
	q.udp(2*ms, "10.0.0.3:40002", "10.0.0.9:123")
	q.udp(3*ms, "10.0.0.9:123", "10.0.0.4:123")
	_, convs, _ := q.run(t, Config{})
	check(t, convs, []want{{ev: EvidenceServicePort}, {ev: EvidenceServicePort}, {ev: EvidenceServicePort},
		{"10.0.0.4:123", "10.0.0.9:123", StateOneWay, EvidenceKnownRole, Medium, 0, 1}})
}

func TestKnownRoleTFTP(t *testing.T) {
	var q seq
	// The read request goes to port 69; the server answers from a new port.
	q.udp(0, "10.0.0.2:44935", "10.0.0.1:69")
	q.udp(1*ms, "10.0.0.1:59557", "10.0.0.2:44935")
	q.udp(2*ms, "10.0.0.2:44935", "10.0.0.1:59557")
	_, convs, _ := q.run(t, Config{})
	check(t, convs, []want{
		{"10.0.0.2:44935", "10.0.0.1:69", StateOneWay, EvidenceServicePort, High, 1, 0},
		{"10.0.0.2:44935", "10.0.0.1:59557", StateTwoWay, EvidenceKnownRole, Medium, 1, 1},
	})
}

func TestKnownRoleContradictionIgnored(t *testing.T) {
	var q seq
	// 10.0.0.2:45000 is a client by SYN in one conversation and a server by
	// SYN in another: it teaches nothing.
	q.tcp(0, "10.0.0.2:45000", "10.0.0.1:8053", syn)
	q.tcp(1*ms, "10.0.0.3:46000", "10.0.0.2:45000", syn)
	q.udp(2*ms, "10.0.0.4:47000", "10.0.0.2:45000")
	_, convs, _ := q.run(t, Config{})
	if convs[2].Evidence != EvidenceFirstPacket {
		t.Errorf("evidence %s, want first-packet", convs[2].Evidence)
	}
}

func TestFanInBothSidesLargerWins(t *testing.T) {
	var q seq
	for i := range 4 {
		q.udp(time.Duration(i)*ms, fmt.Sprintf("10.0.1.%d:50000", i+1), "10.0.0.9:40001")
	}
	for i := range 4 {
		q.udp(time.Duration(10+i)*ms, fmt.Sprintf("10.0.2.%d:45000", i+1), "10.0.1.1:50000")
	}
	// 4 peers came to 10.0.0.9:40001 and 4 to 10.0.1.1:50000: a tie, so
	// the first packet decides conversation 1 (the ports of 10.0.0.9's
	// peers are all 50000: no shared port either).
	_, convs, _ := q.run(t, Config{})
	if convs[0].Evidence != EvidenceFirstPacket {
		t.Errorf("tie: evidence %s, want first-packet", convs[0].Evidence)
	}
	// Conversation 2: 10.0.0.9:40001 (4 peers) against 10.0.1.2:50000 (1 peer).
	if convs[1].Evidence != EvidenceFanIn || epString(convs[1].Server) != "10.0.0.9:40001" {
		t.Errorf("conversation 2: %s server %s", convs[1].Evidence, epString(convs[1].Server))
	}
}

func TestEphemeralRank(t *testing.T) {
	for port, want := range map[uint16]int{22: 0, 1023: 0, 1024: 1, 5000: 1, 9999: 1, 10000: 2, 40000: 2, 65535: 2} {
		if got := ephemeralRank(port); got != want {
			t.Errorf("ephemeralRank(%d) = %d, want %d", port, got, want)
		}
	}
}
