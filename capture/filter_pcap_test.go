//go:build pcap

package capture

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestBPFFilterOnFiles(t *testing.T) {
	frames := []frame{
		{ts: t0, data: simpleTCP()},
		{ts: t0.Add(time.Millisecond), data: eth(etherARP, make([]byte, 28))},
		{ts: t0.Add(2 * time.Millisecond), data: eth(etherIPv4, ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(5, 53, nil)))},
		{ts: t0.Add(3 * time.Millisecond), data: simpleTCP()},
	}
	pkts, s := readAll(t, Options{Filter: "tcp port 443"}, pcapFile(t, LinkTypeEthernet, false, false, frames))
	if len(pkts) != 2 || pkts[0].Frame != 1 || pkts[1].Frame != 4 || s.Files()[0].Records != 4 || !s.Complete() {
		t.Errorf("filtered: %d packets (frames %v), records %d", len(pkts), pkts, s.Files()[0].Records)
	}
	// Raw IP files get their own compiled program.
	raw := []frame{{ts: t0, data: ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(5, 53, nil))}}
	if pkts, _ = readAll(t, Options{Filter: "udp port 53"}, pcapFile(t, LinkTypeRaw, false, false, raw)); len(pkts) != 1 {
		t.Errorf("raw ip filter: %d packets", len(pkts))
	}
	if _, err := Open([]string{"x.pcap"}, Options{Filter: "tcp port"}); err == nil {
		t.Error("a bad filter expression was accepted")
	}
}

func TestOpenLiveBadInterface(t *testing.T) {
	if _, err := OpenLive("no-such-interface-0", Options{}); err == nil {
		t.Error("OpenLive on a missing interface succeeded")
	}
}

// TestOpenLiveLoopback captures a UDP datagram on the loopback interface
// (skipped without the privilege to capture), then stops the capture
// with Close from another goroutine.
func TestOpenLiveLoopback(t *testing.T) {
	s, err := OpenLive("lo", Options{Filter: "udp port 9"})
	if err != nil {
		t.Skipf("cannot capture on lo: %v", err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		conn, err := net.Dial("udp", "127.0.0.1:9")
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				conn.Write([]byte("flowverify"))
			}
		}
	}()
	// Safety net only: stop the capture if nothing ever arrives.
	watchdog := time.AfterFunc(20*time.Second, func() { s.Close() })
	defer watchdog.Stop()
	var p Packet
	if err := s.Next(&p); err != nil {
		t.Fatalf("no packet captured: %v", err)
	}
	if p.Kind != KindIP || p.Proto != ProtoUDP || p.DstPort != 9 || p.Frame != 1 || s.Files()[0].Format != "live" {
		t.Errorf("captured %+v", p)
	}
	go s.Close()
	for s.Next(&p) == nil {
	}
	if err := s.Next(&p); err != io.EOF {
		t.Errorf("after Close: %v", err)
	}
}
