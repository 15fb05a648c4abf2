package capture

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir is the third-party capture corpus beside the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("capture corpus not found at %s (it lives beside the repository): %v", dir, err)
	}
	return dir
}

func readCorpus(t *testing.T, name string, opts Options) ([]Packet, *Stream) {
	t.Helper()
	path := filepath.Join(corpusDir(t), name)
	s, err := Open([]string{path}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []Packet
	var p Packet
	for s.Next(&p) == nil {
		out = append(out, p)
	}
	return out, s
}

func TestCorpusCounts(t *testing.T) {
	cases := []struct {
		file               string
		packets, ip, nonIP int
	}{
		{"tcpdump/ssh.pcap", 54, 54, 0},
		{"tcpdump/dns_tcp.pcap", 11, 11, 0},
		{"tcpdump/isakmp4500.pcap", 35, 27, 8},
		{"tcpdump/quic_handshake.pcap", 18, 18, 0},
		{"tcpdump/babel_rtt.pcap", 9, 9, 0},
		{"tcpdump/dns-badcookie.pcap", 4, 4, 0},
		{"tcpdump/802.1ad_QinQ.pcap", 2, 0, 2},
		{"tcpdump/of13_ericsson.pcapng", 174, 174, 0},
		{"tcpdump/bgp-role.pcapng", 9, 9, 0},
		{"tcpdump/mptcp-v1.pcap", 20, 20, 0},
		{"tcpdump/tcp-handshake-nano.pcap", 3, 3, 0},
		{"tcpdump/timestamp_invalid_nano.pcap", 3, 3, 0},
		{"tcpdump/empty.pcap", 0, 0, 0},
		{"tcpdump/empty.pcapng", 0, 0, 0},
		{"tcpdump/vxlan.pcap", 10, 8, 2},
		{"tcpdump/geneve.pcap", 39, 39, 0},
		{"zeek/linux_dlt_sll2.pcap", 6, 4, 2},
		{"zeek/linuxsll-arp.pcap", 12, 0, 12},
		{"zeek/http-vlan-0.pcap", 14, 14, 0},
		{"zeek/communityid_ipv6.pcap", 17, 17, 0},
		{"zeek/tunnels_geneve-many-options.pcap", 10, 10, 0},
	}
	for _, c := range cases {
		pkts, s := readCorpus(t, c.file, Options{})
		ip, nonIP := 0, 0
		for i, p := range pkts {
			if p.Frame != int64(i+1) {
				t.Errorf("%s: packet %d has frame %d", c.file, i, p.Frame)
			}
			switch p.Kind {
			case KindIP:
				ip++
			case KindNonIP:
				nonIP++
			}
		}
		wantProblems := 0
		if c.file == "tcpdump/timestamp_invalid_nano.pcap" {
			// Frames 2 and 3 have nanosecond fields 10^9 and 2^31:
			// reported (tcpdump prints them as "10.1000000000").
			wantProblems = 2
		}
		if len(pkts) != c.packets || ip != c.ip || nonIP != c.nonIP || !s.Complete() || len(s.Problems()) != wantProblems {
			t.Errorf("%s: %d packets (%d ip, %d non-ip), want %d (%d, %d); problems %v", c.file, len(pkts), ip, nonIP, c.packets, c.ip, c.nonIP, s.Problems())
		}
	}
}

func TestCorpusDecodedFields(t *testing.T) {
	pkts, _ := readCorpus(t, "zeek/linux_dlt_sll2.pcap", Options{})
	if p := pkts[0]; p.LinkType != LinkTypeSLL2 || p.Version != 4 || p.Proto != ProtoICMP || !p.HasICMP || p.ICMPType != 8 {
		t.Errorf("sll2: %+v", p)
	}
	pkts, _ = readCorpus(t, "tcpdump/geneve-gcp.pcap", Options{})
	if p := pkts[0]; p.Encap != EncapGENEVE || p.Version != 4 || p.Src != netip.MustParseAddr("192.168.100.2") || p.DstPort != 8080 {
		t.Errorf("geneve-gcp: %+v", p)
	}
	pkts, _ = readCorpus(t, "tcpdump/geneve-gcp.pcap", Options{NoDecap: true})
	if p := pkts[0]; p.Encap != EncapNone || p.DstPort != 6081 {
		t.Errorf("geneve-gcp no-decap: %+v", p)
	}
	pkts, _ = readCorpus(t, "tcpdump/vxlan_port_8472.pcap", Options{})
	if p := pkts[0]; p.Encap != EncapNone || p.Proto != ProtoUDP || p.DstPort != 8472 {
		t.Errorf("vxlan 8472 without --vxlan-port: %+v", p)
	}
	pkts, _ = readCorpus(t, "tcpdump/vxlan_port_8472.pcap", Options{VXLANPorts: []uint16{8472}})
	if p := pkts[0]; p.Encap != EncapVXLAN || p.VNI != 100 || p.Proto != ProtoICMP {
		t.Errorf("vxlan 8472 with --vxlan-port: %+v", p)
	}
	pkts, s := readCorpus(t, "tcpdump/LINKTYPE_IPV4.pcap", Options{})
	if len(pkts) != 1 || pkts[0].Kind != KindIP || pkts[0].DstPort != 53 || s.Files()[0].LinkTypes[0] != LinkTypeIPv4 {
		t.Errorf("LINKTYPE_IPV4: %+v", pkts)
	}
	pkts, s = readCorpus(t, "tcpdump/tcp-handshake-nano.pcap", Options{})
	if !s.Files()[0].Nanosecond || pkts[0].TCPFlags != TCPSyn || pkts[0].DstPort != 80 {
		t.Errorf("nano handshake: %+v", pkts[0])
	}
	pkts, _ = readCorpus(t, "tcpdump/gso-ipv6.pcap", Options{})
	if p := pkts[0]; p.IPLen != p.WireLen-14 || p.IPLen < 1500 {
		t.Errorf("gso ipv6: IPLen %d WireLen %d", p.IPLen, p.WireLen)
	}
	for _, f := range []string{"zeek/trunc_trunc-hdr.pcap", "zeek/trunc_ip4-trunc.pcap", "tcpdump/heapoverflow-tcp_print.pcap", "tcpdump/ipv4_invalid_total_length.pcap"} {
		pkts, _ = readCorpus(t, f, Options{})
		if len(pkts) != 1 || (pkts[0].Kind != KindUndecodable && !pkts[0].Truncated) || pkts[0].Reason == "" {
			t.Errorf("%s: want an undecodable or truncated packet with a reason, got %+v", f, pkts)
		}
	}
}

// TestCorpusTruncatedCopies cuts in-memory copies of corpus files at every
// few bytes (TestTruncatedFiles does it on disk):
// never a panic, every packet before the cut delivered, one fatal problem.
func TestCorpusTruncatedCopies(t *testing.T) { bothModes(t, testCorpusTruncatedCopies) }

func testCorpusTruncatedCopies(t *testing.T) {
	dir := corpusDir(t)
	for _, name := range []string{"tcpdump/dns_tcp.pcap", "tcpdump/bgp-role.pcapng"} {
		whole, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		full, _ := readAll(t, Options{}, whole)
		prev := 0
		for cut := len(whole) - 1; cut > 0; cut -= 5 {
			s, err := OpenReaders([]string{"cut"}, []io.Reader{bytes.NewReader(whole[:cut])}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			var p Packet
			for s.Next(&p) == nil {
				if p.Frame != int64(n+1) || (p.CapLen == full[n].CapLen && p.Src != full[n].Src) {
					t.Fatalf("%s cut at %d: packet %d differs", name, cut, n)
				}
				n++
			}
			s.Close()
			if s.Complete() {
				// Cut at a record boundary: a valid, shorter file.
				if len(s.Problems()) != 0 {
					t.Fatalf("%s cut at %d: complete with problems %v", name, cut, s.Problems())
				}
			} else if len(s.Problems()) != 1 || !s.Problems()[0].Fatal {
				t.Fatalf("%s cut at %d: complete %v problems %v", name, cut, s.Complete(), s.Problems())
			}
			if prev != 0 && n > prev {
				t.Fatalf("%s: cutting more delivered more packets (%d > %d)", name, n, prev)
			}
			prev = n
		}
	}
}
