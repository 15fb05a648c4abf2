package capture

import (
	"errors"
	"fmt"
	"time"
)

// Options configure how a Stream reads and decodes captures.
type Options struct {
	// VXLANPorts are extra UDP destination ports decoded as VXLAN, in
	// addition to 4789 (e.g. 8472, the Linux kernel default).
	VXLANPorts []uint16
	// NoDecap keeps tunnel packets as the outer UDP packets.
	NoDecap bool
	// Filter is a BPF expression (tcpdump syntax). It needs the build tag
	// "pcap"; without it Open returns ErrNoBPF when Filter is set.
	Filter string
	// FragmentTimeout bounds how long (capture time) a first fragment's
	// ports are remembered for later fragments. Zero means 30s.
	FragmentTimeout time.Duration
}

// ErrNoBPF is returned when a BPF filter is requested from a build without libpcap.
var ErrNoBPF = errors.New("BPF filters need a flowverify built with -tags pcap (cgo and libpcap)")

// ErrNoLive is returned by OpenLive in a build without libpcap.
var ErrNoLive = errors.New("live capture needs a flowverify built with -tags pcap (cgo and libpcap)")

// Problem is something wrong with an input file: it could not be opened or
// recognised, a record was corrupt, or the file ended inside a record.
// Whatever was read before the problem is still delivered.
type Problem struct {
	// File is the path as given ("-" for standard input).
	File string
	// Frame is the 1-based record number the problem concerns (0 if none).
	Frame int64
	// Offset is the byte offset in the (decompressed) file, -1 if unknown.
	Offset int64
	// Reason says what is wrong, e.g. "record truncated: 1500 bytes announced, 312 present".
	Reason string
	// Fatal is true when reading of this file stopped here (the file is incomplete).
	Fatal bool
}

// Error formats the problem as "FILE: frame N (offset X): REASON".
func (p *Problem) Error() string {
	s := p.File + ":"
	if p.Frame > 0 {
		s += fmt.Sprintf(" frame %d", p.Frame)
	}
	if p.Offset >= 0 {
		s += fmt.Sprintf(" (offset %d)", p.Offset)
	}
	return s + " " + p.Reason
}

// FileInfo describes one input file of a Stream.
type FileInfo struct {
	// Name is the path as given ("-" for standard input).
	Name string
	// Format is "pcap", "pcapng", "live" or "" when the file was not recognised.
	Format string
	// Gzip is true when the file was gzip-compressed.
	Gzip bool
	// Nanosecond is true when timestamps have nanosecond precision.
	Nanosecond bool
	// LinkTypes lists the link types of the file (one per pcapng interface).
	LinkTypes []uint16
	// Records is the number of records read so far.
	Records int64
	// Complete is false when reading stopped early because of a fatal Problem.
	Complete bool
}
