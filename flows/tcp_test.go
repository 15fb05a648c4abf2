package flows

import (
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

const (
	syn    = capture.TCPSyn
	synack = capture.TCPSyn | capture.TCPAck
	ack    = capture.TCPAck
	finack = capture.TCPFin | capture.TCPAck
	rst    = capture.TCPRst
	rstack = capture.TCPRst | capture.TCPAck
	ms     = time.Millisecond
)

// C and S are the client and server of most synthetic TCP sequences; the
// server port 8053 is no service port, so only TCP evidence can decide.
const (
	C = "10.0.0.1:40000"
	S = "10.0.0.2:8053"
)

func TestTCPStates(t *testing.T) {
	tests := []struct {
		name  string
		build func(q *seq)
		cfg   Config
		want  []want
		anom  map[string]uint64
	}{
		{"full handshake closed by FINs", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.data(3*ms, C, S, 100)
			q.data(4*ms, S, C, 200)
			q.tcp(5*ms, C, S, finack)
			q.tcp(6*ms, S, C, finack)
			q.tcp(7*ms, C, S, ack)
		}, Config{}, []want{{C, S, StateClosedFIN, EvidenceSYN, Certain, 5, 3}}, nil},
		{"unanswered SYN with retransmissions", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1000*ms, C, S, syn)
			q.tcp(3000*ms, C, S, syn)
		}, Config{}, []want{{C, S, StateUnanswered, EvidenceSYN, Certain, 3, 0}}, nil},
		{"rejected by RST", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, rstack)
		}, Config{}, []want{{C, S, StateRejected, EvidenceSYN, Certain, 1, 1}}, nil},
		{"rejected by ICMP unreachable", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.icmpErr(1*ms, "10.0.0.254", "10.0.0.1", 3, capture.ProtoTCP, C, S)
		}, Config{}, []want{{C, S, StateRejected, EvidenceSYN, Certain, 1, 1}}, nil},
		{"client aborts its own SYN", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, C, S, rst)
		}, Config{}, []want{{C, S, StateUnanswered, EvidenceSYN, Certain, 2, 0}}, nil},
		{"handshake not completed", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
		}, Config{}, []want{{C, S, StateHandshake, EvidenceSYN, Certain, 1, 1}}, nil},
		{"SYN scan: SYN, SYN-ACK, RST", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, rst)
		}, Config{}, []want{{C, S, StateHandshake, EvidenceSYN, Certain, 2, 1}}, nil},
		{"reset after established", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.data(3*ms, C, S, 10)
			q.tcp(4*ms, S, C, rstack)
		}, Config{}, []want{{C, S, StateClosedRST, EvidenceSYN, Certain, 3, 2}}, nil},
		{"established, not closed", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
		}, Config{}, []want{{C, S, StateEstablished, EvidenceSYN, Certain, 2, 1}}, nil},
		{"FIN then silence", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.tcp(3*ms, C, S, finack)
			q.tcp(4*ms, S, C, ack)
		}, Config{}, []want{{C, S, StateClosedFIN, EvidenceSYN, Certain, 3, 2}}, nil},
		{"half-close with data after the FIN", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.tcp(3*ms, C, S, finack)
			q.data(4*ms, S, C, 500)
		}, Config{}, []want{{C, S, StateEstablished, EvidenceSYN, Certain, 3, 2}}, nil},
		{"SYN-ACK captured before its SYN", func(q *seq) {
			q.tcp(0, S, C, synack)
			q.tcp(1*ms, C, S, syn)
			q.tcp(2*ms, C, S, ack)
		}, Config{}, []want{{C, S, StateEstablished, EvidenceSYN, Certain, 2, 1}}, map[string]uint64{"syn-ack before syn": 1}},
		{"lone SYN-ACK", func(q *seq) {
			q.tcp(0, S, C, synack)
		}, Config{}, []want{{C, S, StateHandshake, EvidenceSYNACK, Medium, 0, 1}}, map[string]uint64{"syn-ack without syn": 1, "tcp without handshake": 0}},
		{"SYN-ACK then ACK, SYN missed", func(q *seq) {
			q.tcp(0, S, C, synack)
			q.tcp(1*ms, C, S, ack)
			q.data(2*ms, C, S, 10)
		}, Config{}, []want{{C, S, StateEstablished, EvidenceSYNACK, High, 2, 1}}, nil},
		{"mid-stream one way", func(q *seq) {
			q.data(0, "10.0.0.1:50000", "10.0.0.2:443", 10)
			q.data(1*ms, "10.0.0.1:50000", "10.0.0.2:443", 10)
		}, Config{}, []want{{"10.0.0.1:50000", "10.0.0.2:443", StateMidstream, EvidenceServicePort, High, 2, 0}}, map[string]uint64{"tcp without handshake": 1}},
		{"mid-stream both ways, server spoke first", func(q *seq) {
			q.data(0, "10.0.0.2:443", "10.0.0.1:50000", 10)
			q.tcp(1*ms, "10.0.0.1:50000", "10.0.0.2:443", ack)
		}, Config{}, []want{{"10.0.0.1:50000", "10.0.0.2:443", StateEstablished, EvidenceServicePort, High, 1, 1}}, nil},
		{"mid-stream both ways ended by RST", func(q *seq) {
			q.data(0, "10.0.0.1:50000", "10.0.0.2:443", 10)
			q.tcp(1*ms, "10.0.0.2:443", "10.0.0.1:50000", rst)
		}, Config{}, []want{{"10.0.0.1:50000", "10.0.0.2:443", StateClosedRST, EvidenceServicePort, High, 1, 1}}, nil},
		{"new SYN after FIN close is a new conversation", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.tcp(3*ms, C, S, finack)
			q.tcp(4*ms, S, C, finack)
			q.tcp(5*ms, C, S, ack)
			q.tcp(1000*ms, C, S, syn)
			q.tcp(1001*ms, S, C, synack)
		}, Config{}, []want{{C, S, StateClosedFIN, EvidenceSYN, Certain, 4, 2}, {C, S, StateHandshake, EvidenceSYN, Certain, 1, 1}}, nil},
		{"new SYN after RST is a new conversation", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, rstack)
			q.tcp(500*ms, C, S, syn)
		}, Config{}, []want{{C, S, StateRejected, EvidenceSYN, Certain, 1, 1}, {C, S, StateUnanswered, EvidenceSYN, Certain, 1, 0}}, nil},
		{"packets within the linger join the closed conversation", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.tcp(3*ms, C, S, finack)
			q.tcp(4*ms, S, C, finack)
			q.tcp(4000*ms, C, S, ack)
		}, Config{}, []want{{C, S, StateClosedFIN, EvidenceSYN, Certain, 4, 2}}, nil},
		{"non-SYN after the linger starts a continued conversation", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.tcp(3*ms, C, S, finack)
			q.tcp(4*ms, S, C, finack)
			q.tcp(6000*ms, S, C, ack)
		}, Config{}, []want{{C, S, StateClosedFIN, EvidenceSYN, Certain, 3, 2},
			// The handshake of conversation 1 names the roles.
			{C, S, StateMidstream, EvidenceKnownRole, Medium, 0, 1}}, nil},
		{"shorter linger from the config", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, rstack)
			q.tcp(2000*ms, C, S, ack)
		}, Config{TCPClosedLinger: time.Second}, []want{{C, S, StateRejected, EvidenceSYN, Certain, 1, 1}, {C, S, StateMidstream, "", "", 1, 0}}, nil},
		{"idle timeout splits", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.data(6*time.Minute, C, S, 10)
			q.data(6*time.Minute+ms, S, C, 10)
		}, Config{}, []want{{C, S, StateEstablished, EvidenceSYN, Certain, 2, 1}, {C, S, StateEstablished, EvidenceKnownRole, Medium, 1, 1}}, nil},
		{"longer idle from the config keeps one", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.data(6*time.Minute, C, S, 10)
		}, Config{TCPIdle: 10 * time.Minute}, []want{{C, S, StateEstablished, EvidenceSYN, Certain, 3, 1}}, nil},
		{"SYN reusing an established 5-tuple without close", func(q *seq) {
			q.tcp(0, C, S, syn).Seq = 100
			q.tcp(1*ms, S, C, synack)
			q.tcp(2*ms, C, S, ack)
			q.tcp(3*ms, C, S, syn).Seq = 100 // retransmission: same ISN
			q.tcp(10*time.Second, C, S, syn).Seq = 9999
		}, Config{}, []want{{C, S, StateEstablished, EvidenceSYN, Certain, 3, 1}, {C, S, StateUnanswered, EvidenceSYN, Certain, 1, 0}}, map[string]uint64{"tcp port reuse without close": 1}},
		{"simultaneous open", func(q *seq) {
			q.tcp(0, C, S, syn)
			q.tcp(1*ms, S, C, syn)
		}, Config{}, []want{{C, S, StateUnanswered, EvidenceSYN, High, 1, 1}}, nil},
		{"IPv6 handshake", func(q *seq) {
			q.tcp(0, "[2001:db8::1]:40000", "[2001:db8::2]:10004", syn)
			q.tcp(1*ms, "[2001:db8::2]:10004", "[2001:db8::1]:40000", synack)
			q.tcp(2*ms, "[2001:db8::1]:40000", "[2001:db8::2]:10004", ack)
		}, Config{}, []want{{"[2001:db8::1]:40000", "[2001:db8::2]:10004", StateEstablished, EvidenceSYN, Certain, 2, 1}}, nil},
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
