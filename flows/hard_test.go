package flows

import (
	"os"
	"path/filepath"
	"testing"
)

// hardCase is one hand-labelled conversation of the corpus: the client and
// server read from the packets themselves (tcpdump's decoding of the
// payload), why that is the truth, and the evidence that must decide it.
type hardCase struct {
	file           string
	id             int
	client, server string
	ev             Evidence
	why            string
}

// hardCases are conversations without a usable handshake (or with one the
// capture holds only half of), labelled by hand from the packets.
var hardCases = []hardCase{
	// afs.pcap: AFS Rx over UDP. The cache manager 131.151.32.21:7001 calls
	// file servers on 7000 (fs call fetch-status, give-cbs); file servers
	// call cache managers back on 7001 (cb call callback, probe). The caller
	// of an Rx call is the client. Fan-out from 7001 is not fan-in.
	{"tcpdump/afs.pcap", 1, "131.151.32.21:7001", "131.151.1.59:7000", EvidenceFirstPacket, "fs call fetch-status from the cache manager"},
	{"tcpdump/afs.pcap", 2, "131.151.1.59:7000", "131.151.32.91:7001", EvidenceFirstPacket, "cb call callback from the file server"},
	{"tcpdump/afs.pcap", 3, "131.151.1.70:7000", "131.151.32.91:7001", EvidenceFirstPacket, "cb call probe from the file server"},
	{"tcpdump/afs.pcap", 4, "131.151.32.21:7001", "131.151.1.146:7000", EvidenceFirstPacket, "fs call fetch-status"},
	{"tcpdump/afs.pcap", 5, "131.151.32.21:1792", "131.151.1.59:7003", EvidenceFirstPacket, "vldb call get-entry-by-name"},
	{"tcpdump/afs.pcap", 6, "131.151.32.21:1792", "131.151.1.59:7005", EvidenceFirstPacket, "vol call list-one-volume"},
	{"tcpdump/afs.pcap", 7, "131.151.32.21:1799", "131.151.1.59:7002", EvidenceKnownRole, "pt call name-to-id; 1799 is the Kerberos client of conversation 11"},
	{"tcpdump/afs.pcap", 8, "131.151.32.21:7001", "131.151.1.70:7000", EvidenceFirstPacket, "fs call give-cbs"},
	{"tcpdump/afs.pcap", 9, "131.151.1.59:7000", "131.151.32.91:7001", EvidenceFirstPacket, "callback conversation again after the idle split"},
	{"tcpdump/afs.pcap", 10, "131.151.32.21:1799", "131.151.1.59:7021", EvidenceKnownRole, "same client socket as the pt call"},
	{"tcpdump/afs.pcap", 11, "131.151.32.21:1799", "131.151.1.60:88", EvidenceServicePort, "Kerberos v5 request to 88"},
	{"tcpdump/afs.pcap", 12, "131.151.32.21:7001", "131.151.1.60:7000", EvidenceFirstPacket, "fs call fetch-status"},
	{"tcpdump/afs.pcap", 13, "131.151.32.21:1799", "131.151.1.60:4444", EvidenceKnownRole, "request answered by port unreachable from 4444"},
	{"tcpdump/afs.pcap", 14, "131.151.32.21:1799", "131.151.1.146:4444", EvidenceKnownRole, "request to 4444, reply from 4444"},
	{"tcpdump/afs.pcap", 15, "131.151.32.21:1799", "131.151.1.146:7002", EvidenceKnownRole, "pt call name-to-id"},
	// nfs-write-verf-cookie.pcapng: an NFS client sends from reserved port 993
	// (also IMAPS) to 2049; the first segment is an ONC RPC CALL (write),
	// the answer a REPLY.
	{"tcpdump/nfs-write-verf-cookie.pcapng", 1, "10.207.74.149:993", "10.98.159.117:2049", EvidencePayload, "RPC call from 993, reply from 2049"},
	// mptcp-aa-echo.pcap: two MPTCP subflows of one echo server on
	// 10.0.1.1:10000 (ADD_ADDR from the server, ADD_ADDR echo from the client).
	{"tcpdump/mptcp-aa-echo.pcap", 1, "10.0.3.2:54737", "10.0.1.1:10000", EvidenceSharedPort, "server's ACK with ADD_ADDR on a subflow"},
	{"tcpdump/mptcp-aa-echo.pcap", 2, "10.0.1.2:35924", "10.0.1.1:10000", EvidenceSharedPort, "client's ACK echoing ADD_ADDR to the server"},
	// lwapp-data.pcap: an access point (20105) and its controller, which
	// listens on 12222 (data) and 12223 (control); the controller sends the
	// first control frame of the second conversation.
	{"tcpdump/lwapp-data.pcap", 1, "10.48.74.126:20105", "10.48.73.246:12222", EvidenceServicePort, "AP data frames to the controller's data port"},
	{"tcpdump/lwapp-data.pcap", 2, "10.48.74.126:20105", "10.48.73.246:12223", EvidenceServicePort, "controller's control port, though it spoke first"},
	// ldp-common-session.pcap: LDP sessions to 192.168.0.1:646; the capture
	// holds one direction only.
	{"tcpdump/ldp-common-session.pcap", 1, "192.168.0.2:58320", "192.168.0.1:646", EvidenceEphemeral, "session's tail from the ephemeral port"},
	{"tcpdump/ldp-common-session.pcap", 2, "12.1.3.2:646", "224.0.0.2:646", EvidenceFirstPacket, "multicast hello: no server, the sender is called client"},
	{"tcpdump/ldp-common-session.pcap", 3, "12.0.0.2:646", "224.0.0.2:646", EvidenceFirstPacket, "multicast hello"},
	{"tcpdump/ldp-common-session.pcap", 4, "192.168.0.2:58321", "192.168.0.1:646", EvidenceSYN, "SYN, then data acknowledging the peer: one-sided, not unanswered"},
	// isakmp4500.pcap: IKEv1 main mode on 500, then NAT-T on 4500; tcpdump
	// marks 192.1.2.254's messages I (initiator).
	{"tcpdump/isakmp4500.pcap", 1, "192.1.2.254:500", "192.1.2.23:500", EvidencePayload, "first message has a zero responder cookie"},
	{"tcpdump/isakmp4500.pcap", 2, "192.1.2.254:4500", "192.1.2.23:4500", EvidenceFirstPacket, "initiator continues on 4500; IKEv1 has no initiator flag"},
	// quic_handshake.pcap: a 1200-byte QUIC Initial from 50606 to 443.
	{"tcpdump/quic_handshake.pcap", 1, "[::1]:50606", "[::1]:443", EvidencePayload, "client Initial"},
	// ntp.pcap: chrony-style client requests (mode 3) and server replies (mode 4), one from port 123.
	{"tcpdump/ntp.pcap", 1, "192.168.100.2:58054", "192.168.100.1:123", EvidencePayload, "mode 3 / mode 4"},
	{"tcpdump/ntp.pcap", 4, "192.168.100.2:123", "192.168.100.1:123", EvidencePayload, "123<->123: the modes decide"},
	// dns_udp.pcap: a query and its response.
	{"tcpdump/dns_udp.pcap", 1, "192.168.1.11:43966", "209.87.249.18:53", EvidencePayload, "QR 0 then QR 1"},
	// tcp_no-handshake.pcap: an HTTP request without the handshake.
	{"zeek/tcp_no-handshake.pcap", 1, "141.142.228.5:59856", "192.150.187.43:80", EvidencePayload, "GET request line"},
	// udp-multiple-source-ports.pcap: three senders to one port 13000.
	{"zeek/udp-multiple-source-ports.pcap", 1, "127.0.0.1:29998", "127.0.0.1:13000", EvidenceFanIn, "three peers came to 13000"},
	// tftp.pcap: the server answers the read request from a new port.
	{"tcpdump/tftp.pcap", 2, "192.168.1.2:44935", "192.168.1.1:59557", EvidenceKnownRole, "the requester's socket is the client of the transfer"},
}

// TestHardConversations checks every hand-labelled conversation: the
// roles, and that the evidence that decided them is the expected level.
func TestHardConversations(t *testing.T) {
	dir := corpusDir(t)
	byFile := map[string][]*Conversation{}
	right := 0
	for _, hc := range hardCases {
		path := filepath.Join(dir, hc.file)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s absent from the corpus", hc.file)
			continue
		}
		convs, ok := byFile[hc.file]
		if !ok {
			convs, _, _, _ = readCapture(t, path)
			byFile[hc.file] = convs
		}
		if hc.id > len(convs) {
			t.Errorf("%s: no conversation %d", hc.file, hc.id)
			continue
		}
		c := convs[hc.id-1]
		if epString(c.Client) != hc.client || epString(c.Server) != hc.server {
			t.Errorf("%s #%d (%s): %s -> %s by %s, want %s -> %s", hc.file, hc.id, hc.why, epString(c.Client), epString(c.Server), c.Evidence, hc.client, hc.server)
			continue
		}
		right++
		if c.Evidence != hc.ev {
			t.Errorf("%s #%d (%s): right roles, decided by %s, want %s", hc.file, hc.id, hc.why, c.Evidence, hc.ev)
		}
	}
	t.Logf("%d of %d hand-labelled conversations right", right, len(hardCases))
	if convs := byFile["tcpdump/ldp-common-session.pcap"]; len(convs) == 4 && convs[3].State != StateOneSided {
		t.Errorf("ldp-common-session.pcap #4: state %s, want %s", convs[3].State, StateOneSided)
	}
}
