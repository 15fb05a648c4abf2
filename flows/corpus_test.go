package flows

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
)

// corpusDir is ../shared/corpus relative to the repository root.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s (%v): skipping tests on third-party captures", dir, err)
	}
	return dir
}

// readCapture runs a capture file through a table.
func readCapture(t *testing.T, path string) ([]*Conversation, Summary, []Ref, *capture.Stream) {
	t.Helper()
	s, err := capture.Open([]string{path}, capture.Options{})
	if err != nil {
		t.Fatalf("%s: open: %v", path, err)
	}
	defer s.Close()
	tb := NewTable(Config{})
	var refs []Ref
	var p capture.Packet
	for {
		err := s.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: next: %v", path, err)
		}
		refs = append(refs, tb.Add(&p))
	}
	convs, sum := tb.Finish()
	return convs, sum, refs, s
}

// TestCorpusEveryFile runs every corpus capture through the table: no
// panic, every record counted once, and every joined packet accounted for
// in exactly one conversation.
func TestCorpusEveryFile(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	if len(files) == 0 {
		t.Skipf("no captures in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			convs, sum, refs, s := readCapture(t, f)
			var records int64
			for _, fi := range s.Files() {
				records += fi.Records
			}
			if sum.Packets != uint64(len(refs)) || int64(sum.Packets) != records {
				t.Errorf("summary counts %d packets, %d delivered, %d records", sum.Packets, len(refs), records)
			}
			if sum.IP+sum.NonIP+sum.Undecodable != sum.Packets {
				t.Errorf("IP %d + non-IP %d + undecodable %d != %d", sum.IP, sum.NonIP, sum.Undecodable, sum.Packets)
			}
			perConv := make([]uint64, len(convs)+1)
			for _, r := range refs {
				if r.ID < 0 || r.ID > len(convs) {
					t.Fatalf("ref ID %d out of range (%d conversations)", r.ID, len(convs))
				}
				perConv[r.ID]++
			}
			for _, c := range convs {
				if got := c.ToServer.Packets + c.ToClient.Packets; got != perConv[c.ID] {
					t.Errorf("conversation %d counts %d packets, %d refs name it", c.ID, got, perConv[c.ID])
				}
			}
		})
	}
}

// pairKey names an unordered endpoint pair of one protocol.
type pairKey struct {
	proto string
	a, b  netip.AddrPort
}

// newPair orders the endpoints.
func newPair(proto string, x, y netip.AddrPort) pairKey {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return pairKey{proto, x, y}
}

func (k pairKey) String() string { return k.proto + " " + k.a.String() + " <-> " + k.b.String() }

// parseTshark reads `tshark -q -z conv,tcp -z conv,udp` output into
// total frames per endpoint pair. Lines are "A:PORT <-> B:PORT F B UNIT F
// B UNIT TOTALF TOTALB UNIT START DURATION".
func parseTshark(r io.Reader) (map[pairKey]uint64, error) {
	out := map[pairKey]uint64{}
	proto := ""
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "TCP Conversations"):
			proto = "tcp"
			continue
		case strings.HasPrefix(text, "UDP Conversations"):
			proto = "udp"
			continue
		}
		f := strings.Fields(text)
		if len(f) < 10 || f[1] != "<->" {
			continue
		}
		if proto == "" {
			return nil, fmt.Errorf("line %d: conversation before a section header", line)
		}
		a, err := parseEndpoint(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: column 1: %w", line, err)
		}
		b, err := parseEndpoint(f[2])
		if err != nil {
			return nil, fmt.Errorf("line %d: column 3: %w", line, err)
		}
		n, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: total frames %q: %w", line, f[9], err)
		}
		out[newPair(proto, a, b)] += n
	}
	return out, sc.Err()
}

// parseEndpoint parses tshark's "ADDR:PORT" (IPv6 addresses unbracketed).
func parseEndpoint(s string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("endpoint %q has no port", s)
	}
	addr, err := netip.ParseAddr(s[:i])
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("endpoint %q: %w", s, err)
	}
	port, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("endpoint %q: port: %w", s, err)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// ourPairs sums our TCP/UDP conversations per endpoint pair (several
// conversations of one pair, split by closes or timeouts, are one tshark
// conversation), without attached ICMP errors, which tshark does not count.
func ourPairs(convs []*Conversation) map[pairKey]uint64 {
	out := map[pairKey]uint64{}
	for _, c := range convs {
		if !c.HasPorts() {
			continue
		}
		k := newPair(ProtoName(c.Proto), netip.AddrPortFrom(c.Client.Addr, c.Client.Port), netip.AddrPortFrom(c.Server.Addr, c.Server.Port))
		out[k] += c.ToServer.Packets + c.ToClient.Packets - c.ICMPErrors
	}
	return out
}

// tsharkOnly lists justified differences: conversations tshark reports
// that are not on the wire as IP packets of their own.
var tsharkOnly = map[string]string{
	// UDP frames carried inside OpenFlow PACKET_IN/PACKET_OUT messages over
	// TCP: tshark dissects the encapsulated frame, a NACL never sees it.
	"of13_ericsson.pcapng udp 192.168.1.1:1234 <-> 192.168.1.2:5678": "inside OpenFlow",
}

// TestCorpusAgainstTshark compares endpoint pairs and packet totals with
// the committed tshark conversation tables (see testdata/tshark/gen.sh).
func TestCorpusAgainstTshark(t *testing.T) {
	dir := corpusDir(t)
	tables, _ := filepath.Glob(filepath.Join("testdata", "tshark", "*.txt"))
	if len(tables) == 0 {
		t.Fatal("no tshark tables in testdata/tshark")
	}
	for _, tf := range tables {
		name := strings.TrimSuffix(filepath.Base(tf), ".txt")
		t.Run(name, func(t *testing.T) {
			matches, _ := filepath.Glob(filepath.Join(dir, "*", name))
			if len(matches) != 1 {
				t.Skipf("capture %s not in the corpus", name)
			}
			fh, err := os.Open(tf)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			want, err := parseTshark(fh)
			if err != nil {
				t.Fatalf("%s: %v", tf, err)
			}
			convs, _, _, _ := readCapture(t, matches[0])
			got := ourPairs(convs)
			for _, k := range sortedPairs(want) {
				if _, ok := tsharkOnly[name+" "+k.String()]; ok && got[k] == 0 {
					continue
				}
				if got[k] != want[k] {
					t.Errorf("%s: %d packets, tshark %d", k, got[k], want[k])
				}
			}
			for _, k := range sortedPairs(got) {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: %d packets, not in tshark's table", k, got[k])
				}
			}
		})
	}
}

// sortedPairs returns the keys of m in a stable order.
func sortedPairs(m map[pairKey]uint64) []pairKey {
	keys := make([]pairKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y pairKey) int { return strings.Compare(x.String(), y.String()) })
	return keys
}

// TestCorpusRoles checks client/server decisions where the truth is known.
func TestCorpusRoles(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		file       string
		serverPort uint16
		ev         Evidence
		conf       Confidence
		state      State
	}{
		{"tcpdump/dns_tcp_8053.pcap", 8053, EvidenceSYN, Certain, StateClosedFIN},
		{"tcpdump/dns_tcp.pcap", 53, EvidenceSYN, Certain, StateClosedFIN},
		{"tcpdump/ssh.pcap", 22, EvidenceSYN, Certain, ""},
		{"tcpdump/mptcp-v1.pcap", 10004, EvidenceSYN, Certain, ""},
		{"tcpdump/tftp.pcap", 69, EvidenceServicePort, High, StateOneWay},
		{"tcpdump/ntp.pcap", 123, "", "", ""},
		{"tcpdump/syslog_udp.pcap", 514, EvidenceServicePort, High, StateOneWay},
		{"tcpdump/dns_udp.pcap", 53, EvidencePayload, High, StateTwoWay}, // query and response agree
		{"zeek/tcp_syn-synack.pcap", 0, EvidenceSYN, Certain, StateHandshake},
		{"zeek/tcp_no-handshake.pcap", 80, EvidencePayload, Medium, StateMidstream}, // an HTTP request line, one side only
		{"zeek/udp-multiple-source-ports.pcap", 13000, EvidenceFanIn, Medium, StateOneWay},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s absent", path)
			}
			convs, _, _, _ := readCapture(t, path)
			n := 0
			for _, c := range convs {
				if !c.HasPorts() {
					continue
				}
				n++
				if tc.serverPort != 0 && c.Server.Port != tc.serverPort && n == 1 {
					t.Errorf("first conversation: server %v, want port %d (client %v)", c.Server, tc.serverPort, c.Client)
				}
				if n == 1 || tc.ev == EvidenceFanIn {
					if tc.ev != "" && c.Evidence != tc.ev || tc.conf != "" && c.Confidence != tc.conf {
						t.Errorf("conversation %d: evidence %s/%s, want %s/%s", c.ID, c.Evidence, c.Confidence, tc.ev, tc.conf)
					}
					if tc.state != "" && c.State != tc.state {
						t.Errorf("conversation %d: state %s, want %s", c.ID, c.State, tc.state)
					}
				}
			}
			if n == 0 {
				t.Fatal("no TCP/UDP conversation")
			}
		})
	}
}

// TestCorpusTFTPTransfer: the server answers the read request from a new
// port; the client of the transfer is the requester's endpoint.
func TestCorpusTFTPTransfer(t *testing.T) {
	path := filepath.Join(corpusDir(t), "tcpdump", "tftp.pcap")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s absent", path)
	}
	convs, _, _, _ := readCapture(t, path)
	if len(convs) != 2 {
		t.Fatalf("%d conversations, want 2", len(convs))
	}
	c := convs[1]
	if c.Client.Port != 44935 || c.Server.Port != 59557 || c.Evidence != EvidenceKnownRole || c.State != StateTwoWay {
		t.Errorf("transfer: client %v server %v evidence %s state %s", c.Client, c.Server, c.Evidence, c.State)
	}
}
