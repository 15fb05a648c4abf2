package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/spf13/pflag"
)

// captureFlags are the flags every command that reads captures shares.
type captureFlags struct {
	vxlanPorts []uint
	noDecap    bool
	filter     string
	live       string
	cfg        flows.Config
}

// addCaptureFlags registers the capture and conversation-table flags on fs.
func addCaptureFlags(fs *pflag.FlagSet) *captureFlags {
	cf := &captureFlags{cfg: flows.DefaultConfig()}
	fs.UintSliceVar(&cf.vxlanPorts, "vxlan-port", nil, "extra UDP port to decode as VXLAN besides 4789 (repeatable, e.g. 8472)")
	fs.BoolVar(&cf.noDecap, "no-decap", false, "keep VXLAN/GENEVE packets as outer UDP instead of decapsulating them")
	fs.StringVar(&cf.filter, "filter", "", "BPF filter applied to the packets as they are read (tcpdump syntax; needs a build with -tags pcap); to narrow the report instead, in any build, use --where")
	fs.StringVar(&cf.live, "live", "", "capture live from this interface instead of files (needs -tags pcap); stop with Ctrl-C")
	fs.DurationVar(&cf.cfg.TCPIdle, "tcp-idle", cf.cfg.TCPIdle, "a TCP conversation silent this long ends; the same 5-tuple later starts a new one")
	fs.DurationVar(&cf.cfg.TCPClosedLinger, "tcp-linger", cf.cfg.TCPClosedLinger, "packets this soon after a FIN/RST close still belong to the closed conversation")
	fs.DurationVar(&cf.cfg.UDPIdle, "udp-idle", cf.cfg.UDPIdle, "a UDP conversation silent this long ends")
	fs.DurationVar(&cf.cfg.OtherIdle, "icmp-idle", cf.cfg.OtherIdle, "an ICMP or other-protocol conversation silent this long ends")
	fs.IntVar(&cf.cfg.FanInPeers, "fan-in", cf.cfg.FanInPeers, "distinct peers that must come to an address:port (send the first packet) for it to count as a server by fan-in")
	return cf
}

// options converts the flags to capture.Options.
func (cf *captureFlags) options() (capture.Options, error) {
	opts := capture.Options{NoDecap: cf.noDecap, Filter: cf.filter}
	for _, p := range cf.vxlanPorts {
		if p == 0 || p > 65535 {
			return opts, fmt.Errorf("--vxlan-port %d: not a UDP port", p)
		}
		opts.VXLANPorts = append(opts.VXLANPorts, uint16(p))
	}
	return opts, nil
}

// openStream opens the files (or the live interface) given on the command line.
func (cf *captureFlags) openStream(paths []string) (*capture.Stream, error) {
	opts, err := cf.options()
	if err != nil {
		return nil, err
	}
	if cf.live != "" {
		if len(paths) > 0 {
			return nil, errors.New("--live and capture files are exclusive")
		}
		return capture.OpenLive(cf.live, opts)
	}
	if len(paths) == 0 {
		return nil, errors.New("no capture files given (use - for standard input)")
	}
	return capture.Open(paths, opts)
}

// reportProblems prints every capture problem on w, one per line, and
// reports whether any was fatal (the input is incomplete).
func reportProblems(w io.Writer, cmd string, s *capture.Stream) (incomplete bool) {
	for _, p := range s.Problems() {
		sev := "warning"
		if p.Fatal {
			sev = "error"
			incomplete = true
		}
		fmt.Fprintf(w, "flowverify %s: %s: %s\n", cmd, sev, p.Error())
	}
	return incomplete || !s.Complete()
}
