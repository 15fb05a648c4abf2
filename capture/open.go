package capture

import "errors"

// Stream delivers the packets of one or more capture files in timestamp
// order (files are merged as mergecap does), decoding each record.
//
// STUB: the capture package owner replaces this file.
type Stream struct{}

// Open opens the capture files ("-" is standard input). Per-file problems
// (missing file, not a capture, corrupt header) do not fail Open: they are
// recorded as fatal Problems and the other files are still read. Open fails
// only when paths is empty or Options are invalid (e.g. Filter without pcap).
func Open(paths []string, opts Options) (*Stream, error) { return nil, errors.New("not implemented") }

// Next fills p with the next packet in timestamp order and returns nil, or
// returns io.EOF when every file is exhausted. It does not return per-file
// read errors: those are recorded in Problems and reading goes on.
func (s *Stream) Next(p *Packet) error { return errors.New("not implemented") }

// Files describes the input files in the order given to Open.
func (s *Stream) Files() []FileInfo { return nil }

// Problems returns every problem met so far, in the order met.
func (s *Stream) Problems() []Problem { return nil }

// Complete reports whether every file was read to its end without a fatal problem.
func (s *Stream) Complete() bool { return false }

// Close releases the files.
func (s *Stream) Close() error { return nil }

// OpenLive captures from a network interface with an optional BPF filter
// (opts.Filter). It needs the build tag "pcap"; otherwise it returns ErrNoLive.
func OpenLive(iface string, opts Options) (*Stream, error) { return nil, ErrNoLive }
