//go:build !pcap

package capture

// filter decides which records a BPF expression keeps.
type filter interface {
	match(linkType uint16, rec *record) (bool, error)
}

// newFilter needs libpcap: without the "pcap" build tag it fails.
func newFilter(expr string) (filter, error) { return nil, ErrNoBPF }

// OpenLive captures from a network interface with an optional BPF filter
// (opts.Filter). It needs the build tag "pcap"; otherwise it returns ErrNoLive.
func OpenLive(iface string, opts Options) (*Stream, error) { return nil, ErrNoLive }
