//go:build pcap

package capture

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/gopacket/gopacket/pcap"
)

// liveSnaplen is the snapshot length of live captures (libpcap's maximum).
const liveSnaplen = 262144

// liveReader reads packets from a libpcap handle.
type liveReader struct {
	h      *pcap.Handle
	link   uint16
	closed atomic.Bool
}

func (l *liveReader) next(rec *record) error {
	for {
		data, ci, err := l.h.ZeroCopyReadPacketData()
		if l.closed.Load() {
			return io.EOF
		}
		if err == pcap.NextErrorTimeoutExpired {
			continue
		}
		if err == io.EOF || err == pcap.NextErrorNoMorePackets {
			return io.EOF
		}
		if err != nil {
			return &fileProblem{offset: -1, reason: "live capture: " + err.Error()}
		}
		rec.data = data
		rec.ts = ci.Timestamp.UTC()
		rec.capLen = ci.CaptureLength
		rec.wireLen = max(ci.Length, ci.CaptureLength)
		rec.linkType = l.link
		rec.offset = -1
		return nil
	}
}

// Close stops the capture; a Next blocked in libpcap wakes up.
func (l *liveReader) Close() error {
	if l.closed.CompareAndSwap(false, true) {
		l.h.Close()
	}
	return nil
}

// OpenLive captures from a network interface with an optional BPF filter
// (opts.Filter), applied in the kernel. Close (from any goroutine, e.g. a
// signal handler) stops it: Next then returns io.EOF.
func OpenLive(iface string, opts Options) (*Stream, error) {
	h, err := pcap.OpenLive(iface, liveSnaplen, true, pcap.BlockForever)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	if opts.Filter != "" {
		if err := h.SetBPFFilter(opts.Filter); err != nil {
			h.Close()
			return nil, fmt.Errorf("--filter %q on %s: %w", opts.Filter, iface, err)
		}
	}
	opts.Filter = "" // applied by the kernel
	s, err := newStream(opts)
	if err != nil {
		h.Close()
		return nil, err
	}
	f := s.addFile(iface)
	lr := &liveReader{h: h, link: uint16(h.LinkType())}
	f.rr, f.closer = lr, lr
	f.info.Format = "live"
	s.prompt = true // SetIdle: every read may wait
	f.info.LinkTypes = []uint16{lr.link}
	return s, nil
}
