package replay

import (
	"errors"
	"io"

	"github.com/flowverify/flowverify/capture"
)

// AddStream accounts every record of s in order, in batches (the table's
// batched lookups are faster on large captures), until the end of s or
// its first error.
func (r *Recorder) AddStream(s *capture.Stream) error {
	for {
		ps, err := s.NextBatch(256)
		if len(ps) > 0 {
			r.AddBatch(ps)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Stream runs the pass over s: emit is called for every in-window IP
// packet in capture order, and the pass stops at the first error emit
// returns. The packet is reused between calls. Read errors end the pass
// as they end the stream (the stream reports them).
func (pp *PacketPass) Stream(s *capture.Stream, emit func(*capture.Packet, PacketResult) error) error {
	var p capture.Packet
	for s.Next(&p) == nil {
		r, ok := pp.Next(&p)
		if !ok {
			continue
		}
		if err := emit(&p, r); err != nil {
			return err
		}
	}
	return nil
}
