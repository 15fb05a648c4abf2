//go:build pcap

package capture

import (
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// filter decides which records a BPF expression keeps.
type filter interface {
	match(linkType uint16, rec *record) (bool, error)
}

// bpfFilter compiles the expression once per link type met (libpcap
// compiles filters for one link type) and runs it with pcap_offline_filter.
type bpfFilter struct {
	expr  string
	progs map[uint16]*pcap.BPF
	errs  map[uint16]error
}

// newFilter checks that expr compiles (for Ethernet) and returns a filter.
func newFilter(expr string) (filter, error) {
	if _, err := pcap.NewBPF(layers.LinkTypeEthernet, 262144, expr); err != nil {
		return nil, fmt.Errorf("--filter %q: %w", expr, err)
	}
	return &bpfFilter{expr: expr, progs: map[uint16]*pcap.BPF{}, errs: map[uint16]error{}}, nil
}

func (f *bpfFilter) match(lt uint16, rec *record) (bool, error) {
	prog, ok := f.progs[lt]
	if !ok {
		if err, bad := f.errs[lt]; bad {
			return false, err
		}
		dlt := lt
		if lt == LinkTypeRaw {
			dlt = 12 // LINKTYPE_RAW is DLT_RAW in libpcap's numbering
		}
		p, err := pcap.NewBPF(layers.LinkType(dlt), 262144, f.expr)
		if err != nil {
			err = fmt.Errorf("filter %q cannot be applied to link type %d: %v", f.expr, lt, err)
			f.errs[lt] = err
			return false, err
		}
		f.progs[lt], prog = p, p
	}
	ci := gopacket.CaptureInfo{Timestamp: rec.ts, CaptureLength: len(rec.data), Length: rec.wireLen}
	return prog.Matches(ci, rec.data), nil
}
