package flows

import (
	"testing"

	"github.com/flowverify/flowverify/pcaps"
)

// roleWant is one expected client/server decision.
type roleWant struct {
	client, server string
	ev             Evidence
	conf           Confidence
	state          State
	why            string
}

// checkRoles compares conversations with a table, in ID order.
func checkRoles(t *testing.T, convs []*Conversation, want []roleWant) {
	t.Helper()
	if len(convs) != len(want) {
		t.Fatalf("%d conversations, want %d", len(convs), len(want))
	}
	for i, c := range convs {
		w := want[i]
		if epString(c.Client) != w.client || epString(c.Server) != w.server || c.Evidence != w.ev || (w.conf != "" && c.Confidence != w.conf) || (w.state != "" && c.State != w.state) {
			t.Errorf("conversation %d (%s): %s -> %s by %s/%s state %s; want %s -> %s by %s/%s state %s",
				c.ID, w.why, epString(c.Client), epString(c.Server), c.Evidence, c.Confidence, c.State, w.client, w.server, w.ev, w.conf, w.state)
		}
	}
}

// TestCraftedRoles: the client/server items of issue 10 on
// pcaps/crafted/roles.pcap (written by pcaps/crafted/gen.go).
func TestCraftedRoles(t *testing.T) {
	convs, sum, _, _ := readCapture(t, pcaps.Path("crafted/roles.pcap"))
	checkRoles(t, convs, []roleWant{
		{"10.0.0.9:7001", "10.0.1.1:7000", EvidenceFirstPacket, Low, StateTwoWay, "fan-out is not fan-in"},
		{"10.0.0.9:7001", "10.0.1.2:7000", EvidenceFirstPacket, Low, StateTwoWay, "fan-out is not fan-in"},
		{"10.0.0.9:7001", "10.0.1.3:7000", EvidenceFirstPacket, Low, StateTwoWay, "fan-out is not fan-in"},
		{"10.0.0.5:993", "10.0.0.6:2049", EvidencePayload, High, StateEstablished, "RPC call from a reserved port"},
		{"10.0.3.2:54737", "10.0.1.1:10000", EvidenceSharedPort, Low, StateMidstream, "MPTCP subflows: one server endpoint"},
		{"10.0.1.2:35924", "10.0.1.1:10000", EvidenceSharedPort, Low, StateMidstream, "MPTCP subflows: one server endpoint"},
		{"192.168.0.2:58321", "192.168.0.1:646", EvidenceSYN, Certain, StateOneSided, "SYN then data acknowledging the server"},
		{"10.0.2.1:50000", "10.0.2.9:8080", EvidenceServicePort, High, StateEstablished, "SYN+FIN is no evidence"},
		{"10.0.3.1:53", "10.0.3.2:53", EvidencePayload, Medium, StateOneWay, "DNS response (QR=1)"},
		{"10.0.3.4:123", "10.0.3.3:123", EvidencePayload, Medium, StateOneWay, "NTP mode 4"},
		{"10.0.3.8:67", "10.0.3.7:67", EvidencePayload, Medium, StateOneWay, "BOOTP op 2"},
		{"10.0.4.2:50000", "10.0.4.1:40443", EvidencePayload, Medium, StateMidstream, "TLS ServerHello"},
		{"10.0.4.4:45000", "10.0.4.3:50080", EvidencePayload, Medium, StateMidstream, "HTTP status line"},
		{"10.0.4.6:40000", "10.0.4.5:50022", EvidencePayload, Medium, StateEstablished, "first SSH banner (the client's)"},
		{"10.0.5.2:500", "10.0.5.1:500", EvidencePayload, Medium, StateOneWay, "IKEv2 response"},
		{"10.0.5.3:4500", "10.0.5.4:4500", EvidencePayload, Medium, StateOneWay, "IKEv2 initiator after the non-ESP marker"},
		{"10.0.6.1:45678", "10.0.6.2:54321", EvidencePayload, Medium, StateOneWay, "QUIC Initial"},
		{"10.0.7.1:800", "10.0.7.2:111", EvidencePayload, Medium, StateOneWay, "RPC reply"},
	})
	if sum.Anomalies["invalid tcp flags"] != 1 {
		t.Errorf("anomalies %v, want one invalid tcp flags", sum.Anomalies)
	}
}

// TestPayloadChecks: each payload check on its own, including the
// near-misses it must not take.
func TestPayloadChecks(t *testing.T) {
	be := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = append(b, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
		}
		return b
	}
	dnsQuery := []byte{0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	cases := []struct {
		name         string
		proto        uint8
		sport, dport uint16
		head         []byte
		first        bool
		want         int
	}{
		{"dns query", 17, 40000, 53, dnsQuery, true, 1},
		{"dns query on another port: not looked at", 17, 40000, 5000, dnsQuery, true, 0},
		{"dns response", 17, 53, 40000, []byte{0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}, true, -1},
		{"dns over tcp", 6, 40000, 53, append([]byte{0, 12}, dnsQuery...), true, 1},
		{"dns with 3 questions: no", 17, 40000, 53, []byte{0, 1, 1, 0, 0, 3, 0, 0, 0, 0, 0, 0}, true, 0},
		{"ntp client", 17, 123, 123, []byte{0x23}, true, 1},
		{"ntp symmetric: no", 17, 123, 123, []byte{0x21}, true, 0},
		{"ntp version 0: no", 17, 123, 123, []byte{0x03}, true, 0},
		{"bootp request", 17, 68, 67, []byte{1, 1, 6}, true, 1},
		{"bootp with hlen 8: no", 17, 68, 67, []byte{1, 1, 8}, true, 0},
		{"tls client hello", 6, 40000, 8443, []byte{0x16, 3, 1, 2, 0, 1, 0, 1, 0xfc}, true, 1},
		{"tls alert: no", 6, 40000, 8443, []byte{0x15, 3, 3, 0, 2, 2, 40, 0, 0}, true, 0},
		{"http request", 6, 40000, 8080, []byte("GET / HTTP/1.1\r\n"), true, 1},
		{"http status", 6, 8080, 40000, []byte("HTTP/1.1 404 Not"), true, -1},
		{"GETTER is no method", 6, 40000, 8080, []byte("GETTER x"), true, 0},
		{"ssh first banner", 6, 40000, 2222, []byte("SSH-2.0-x"), true, 1},
		{"ssh second banner: no", 6, 40000, 2222, []byte("SSH-2.0-x"), false, 0},
		{"ikev1 initiator", 17, 500, 500, append(be(1, 2, 0, 0), 0x01, 0x10, 2, 0), true, 1},
		{"quic v2 initial", 17, 40000, 443, []byte{0xd0, 0x6b, 0x33, 0x43, 0xcf, 8, 0}, true, 1},
		{"quic v1 handshake: no", 17, 40000, 443, []byte{0xe0, 0, 0, 0, 1, 8, 0}, true, 0},
		{"rpc call", 17, 800, 2049, be(7, 0, 2), true, 1},
		{"rpc call of version 3: no", 17, 800, 2049, be(7, 0, 3), true, 0},
	}
	for _, c := range cases {
		if got := payloadRole(c.proto, c.sport, c.dport, c.head, c.first); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestPayloadConflict: payloads that say both things decide nothing.
func TestPayloadConflict(t *testing.T) {
	var q seq
	p := q.udp(0, "10.0.0.1:123", "10.0.0.2:123")
	p.Head[0], p.HeadLen, p.PayloadLen = 0x23, 1, 48 // mode 3: 10.0.0.1 is the client
	p = q.udp(ms, "10.0.0.2:123", "10.0.0.1:123")
	p.Head[0], p.HeadLen, p.PayloadLen = 0x23, 1, 48 // mode 3 too: contradicts
	_, convs, _ := q.run(t, Config{})
	if convs[0].Evidence != EvidenceFirstPacket {
		t.Errorf("evidence %s, want first-packet", convs[0].Evidence)
	}
}

// TestPayloadChecksDoNotAllocate: the checks run on the per-packet path
// of young conversations.
func TestPayloadChecksDoNotAllocate(t *testing.T) {
	heads := [][]byte{[]byte("SSH-2.0-OpenSSH_9"), []byte("GET / HTTP/1.1\r\nHost"), []byte("HTTP/1.1 200 OK\r\n"), {0x16, 3, 1, 2, 0, 1, 0, 1, 0xfc}, {0xc3, 0, 0, 0, 1, 8, 0}}
	allocs := testing.AllocsPerRun(100, func() {
		for _, h := range heads {
			payloadRole(6, 40000, 8080, h, true)
			payloadRole(17, 40000, 53, h, true)
			payloadRole(17, 4500, 4500, h, true)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations", allocs)
	}
}
