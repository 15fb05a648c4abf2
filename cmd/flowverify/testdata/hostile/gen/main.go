// Command gen writes the generated inputs of the hostile-input table
// (cmd/flowverify/testdata/hostile/run.sh) into a directory: inputs too large to commit
// (100,000 first fragments, 20,000 distinct-port conversations, 30,000
// rules) and small crafted ones. Standard library only; the same files
// every run.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-short" {
		// A long stream of short connections on standard output (too
		// large to write as a file): as a busy host's --live capture.
		n, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		shortConnections(w, n)
		if err := w.Flush(); err != nil {
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR | gen -short N")
		os.Exit(2)
	}
	dir := os.Args[1]
	for name, data := range map[string][]byte{
		"fragments.pcap": fragments(100_000),
		"ports.pcap":     distinctPorts(20_000),
		"rules.nacl":     rules(30_000),
		"badtime.pcap":   badTime(),
		"evil.json":      []byte(evilJSON),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// pcap is a classic pcap (microseconds, raw IPv4 link type 228).
type pcap struct{ b []byte }

func newPcap() *pcap {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], 228)
	return &pcap{b: h}
}

// add appends a record at sec.usec holding data.
func (p *pcap) add(sec, usec uint32, data []byte) {
	r := make([]byte, 16)
	binary.LittleEndian.PutUint32(r[0:], sec)
	binary.LittleEndian.PutUint32(r[4:], usec)
	binary.LittleEndian.PutUint32(r[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(r[12:], uint32(len(data)))
	p.b = append(append(p.b, r...), data...)
}

// ipv4 returns an IPv4 header (checksum left zero: not verified) and
// payload; frag is the flags+offset field.
func ipv4(src, dst [4]byte, proto uint8, id, frag uint16, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:], id)
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8], h[9] = 64, proto
	copy(h[12:], src[:])
	copy(h[16:], dst[:])
	return append(h, payload...)
}

// tcp returns a 20-byte TCP header.
func tcp(sport, dport uint16, seq, ack uint32, flags uint8) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12], h[13] = 5<<4, flags
	binary.BigEndian.PutUint16(h[14:], 65535)
	return h
}

// fragments: n first fragments (UDP to port 53, more-fragments set) with
// distinct IDs and sources, none ever completed.
func fragments(n int) []byte {
	p := newPcap()
	dst := [4]byte{10, 0, 1, 10}
	udp := make([]byte, 16)
	for i := range n {
		src := [4]byte{198, 18, byte(i >> 8), byte(i)}
		binary.BigEndian.PutUint16(udp[0:], uint16(40000+i%20000))
		binary.BigEndian.PutUint16(udp[2:], 53)
		binary.BigEndian.PutUint16(udp[4:], 1480)
		p.add(1_700_000_000+uint32(i/100_000), uint32(i%100_000)*10, ipv4(src, dst, 17, uint16(i), 0x2000, udp))
	}
	return p.b
}

// distinctPorts: n TCP handshakes, each from its own client to its own
// port of 10.0.1.10.
func distinctPorts(n int) []byte {
	p := newPcap()
	srv := [4]byte{10, 0, 1, 10}
	for i := range n {
		cli := [4]byte{198, 18, byte(i >> 8), byte(i)}
		cport, sport := uint16(40000+i%20000), uint16(1024+i)
		t := uint32(i) * 30
		p.add(1_700_000_000+t/1_000_000, t%1_000_000, ipv4(cli, srv, 6, 1, 0, tcp(cport, sport, 1000, 0, 0x02)))
		p.add(1_700_000_000+(t+10)/1_000_000, (t+10)%1_000_000, ipv4(srv, cli, 6, 1, 0, tcp(sport, cport, 5000, 1001, 0x12)))
		p.add(1_700_000_000+(t+20)/1_000_000, (t+20)%1_000_000, ipv4(cli, srv, 6, 2, 0, tcp(cport, sport, 1001, 5001, 0x10)))
	}
	return p.b
}

// shortConnections writes n TCP connections (SYN, SYN-ACK, ACK,
// FIN-ACK both ways, ACK), 600 a second (36,000 a minute), each from its
// own client port, as one pcap stream.
func shortConnections(w *bufio.Writer, n int) {
	p := newPcap()
	w.Write(p.b)
	srv := [4]byte{10, 0, 1, 10}
	for i := range n {
		p.b = p.b[:0]
		cli := [4]byte{198, 18, byte(i >> 16), byte(i >> 8)}
		cport := uint16(1024 + i%60000)
		t := uint64(i) * 1_000_000 / 600 // microseconds
		at := func(d uint64) (uint32, uint32) {
			return 1_700_000_000 + uint32((t+d)/1_000_000), uint32((t + d) % 1_000_000)
		}
		for _, s := range []struct {
			d     uint64
			out   bool
			flags uint8
		}{{0, true, 0x02}, {500, false, 0x12}, {1000, true, 0x10}, {5000, true, 0x11}, {5500, false, 0x11}, {6000, true, 0x10}} {
			sec, usec := at(s.d)
			if s.out {
				p.add(sec, usec, ipv4(cli, srv, 6, 1, 0, tcp(cport, 443, 1, 1, s.flags)))
			} else {
				p.add(sec, usec, ipv4(srv, cli, 6, 1, 0, tcp(443, cport, 1, 1, s.flags)))
			}
		}
		w.Write(p.b)
	}
}

// rules: n inbound rules allowing one port each from their own /32
// host (disjoint), in the native format.
func rules(n int) []byte {
	var b strings.Builder
	b.WriteString("acl acl-hostile name many-rules\n")
	for i := range n {
		fmt.Fprintf(&b, "in %d allow tcp 10.%d.%d.%d/32 %d\n", i+1, i>>16, (i>>8)&255, i&255, 1000+i%60000)
	}
	b.WriteString("out 100 allow all 0.0.0.0/0\n")
	return []byte(b.String())
}

// badTime: three SYNs, the second with a microsecond field of 1,500,000.
func badTime() []byte {
	p := newPcap()
	for i, usec := range []uint32{0, 1_500_000, 2} {
		p.add(1_700_000_000, usec, ipv4([4]byte{198, 51, 100, 1}, [4]byte{10, 0, 1, 10}, 6, uint16(i), 0, tcp(40000, 22, 1, 0, 0x02)))
	}
	return p.b
}

// evilJSON is an AWS JSON NACL whose ID and Name tag hold terminal
// control sequences: retitle (OSC 0), erase screen, 8-bit CSI, bidi
// override.
const evilJSON = `{"NetworkAcls":[{"NetworkAclId":"acl-1\u001b]0;pwned\u0007","Tags":[{"Key":"Name","Value":"web\u001b[2J\u009b31m\u202eevil"}],"Entries":[
{"RuleNumber":100,"Protocol":"-1","RuleAction":"allow","Egress":false,"CidrBlock":"0.0.0.0/0"},
{"RuleNumber":200,"Protocol":"6","RuleAction":"allow","Egress":false,"CidrBlock":"0.0.0.0/0","PortRange":{"From":22,"To":22}},
{"RuleNumber":100,"Protocol":"-1","RuleAction":"allow","Egress":true,"CidrBlock":"0.0.0.0/0"}]}]}`
