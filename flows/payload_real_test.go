package flows

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/pcaps"
)

// TestPayloadAgreesWithHandshake: on the recorded samples, drop every
// SYN and SYN-ACK and let the payload decide; every TCP/UDP conversation
// whose first packets carry a recognised payload must get the roles the
// handshake (or the service port) gave it with the full capture.
func TestPayloadAgreesWithHandshake(t *testing.T) {
	names := []string{"webserver.pcap", "webserver-2.pcap", "ipv6.pcap", "exempt.pcap", "vpc-two-subnets.pcap"}
	paths := map[string]string{}
	for _, n := range names {
		paths[n] = pcaps.Path(n)
	}
	corpus := filepath.Join("..", "..", "shared", "corpus", "tcpdump")
	for _, n := range []string{"ssh.pcap", "dns_tcp.pcap", "dns_tcp_8053.pcap", "quic_handshake.pcap", "ipv4_tcp_http_xml.pcap", "tcp-handshake-nano.pcap"} {
		if _, err := os.Stat(filepath.Join(corpus, n)); err == nil {
			names = append(names, n)
			paths[n] = filepath.Join(corpus, n)
		}
	}
	for _, name := range names {
		full, _, _, _ := readCapture(t, paths[name])
		s, err := capture.Open([]string{paths[name]}, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tb := NewTable(Config{})
		var p capture.Packet
		for s.Next(&p) == nil {
			if p.Proto == capture.ProtoTCP && p.TCPFlags&capture.TCPSyn != 0 {
				continue
			}
			tb.Add(&p)
		}
		s.Close()
		stripped, _ := tb.Finish()
		truth := map[string]string{} // client -> server of the full capture
		for _, c := range full {
			truth[epString(c.Client)+" "+epString(c.Server)] = "c"
			truth[epString(c.Server)+" "+epString(c.Client)] = "s"
		}
		decided := 0
		for _, c := range stripped {
			if c.Evidence != EvidencePayload {
				continue
			}
			decided++
			if truth[epString(c.Client)+" "+epString(c.Server)] != "c" {
				t.Errorf("%s: payload made %s the client of %s; the full capture says otherwise", name, epString(c.Client), epString(c.Server))
			}
		}
		if decided == 0 && paths[name] == pcaps.Path(name) {
			t.Errorf("%s: payload decided no conversation", name)
		}
		t.Logf("%s: payload decided %d of %d conversations without handshakes, all as the handshakes did", name, decided, len(stripped))
	}
}
