package capture

import (
	"io"
	"sync"
)

// Decode-ahead: Next on a Stream of files runs the reading, merging and
// decoding in a producer goroutine that fills batches of Packets, so that
// the caller's work on each packet (the conversation table) runs on the
// other core. Batches are recycled: no allocation per packet.
const (
	pipeBatch   = 1024 // packets per batch (fewer hand-overs: each may wake the other core)
	pipeBatches = 4    // batches in flight
)

// decodeAhead enables the producer goroutine (tests and benchmarks compare both).
var decodeAhead = true

// pipeBatchT is a batch of decoded packets; nprob[i] is the number of
// problems met when pkts[i] was read, so that Problems returns what a
// synchronous Next would.
type pipeBatchT struct {
	pkts  []Packet
	nprob []int
	n     int
}

// pipe is the consumer's side of the producer goroutine.
type pipe struct {
	full chan *pipeBatchT
	free chan *pipeBatchT
	stop chan struct{}
	done chan struct{}
	once sync.Once
	cur  *pipeBatchT
	pos  int
	// seen is the problem count at the last delivered packet; -1 once
	// the producer has finished (every problem is visible).
	seen int
}

// startPipe starts the producer. It is called by the first Next.
func (s *Stream) startPipe() {
	pp := &pipe{
		full: make(chan *pipeBatchT, pipeBatches),
		free: make(chan *pipeBatchT, pipeBatches),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	pp.seen = len(s.problems)
	s.pipe.Store(pp)
	go s.produce(pp)
}

// batch returns a batch to fill: a new one while fewer than pipeBatches
// exist (*allocated counts them), else one the consumer has freed; nil
// once the Stream is closed.
func (pp *pipe) batch(allocated *int) *pipeBatchT {
	var b *pipeBatchT
	select {
	case b = <-pp.free:
	default:
		if *allocated < pipeBatches {
			*allocated++
			b = &pipeBatchT{pkts: make([]Packet, pipeBatch), nprob: make([]int, pipeBatch)}
		} else {
			select {
			case b = <-pp.free:
			case <-pp.stop:
				return nil
			}
		}
	}
	b.n = 0
	return b
}

// produce runs the synchronous Next into batches until EOF or Close.
func (s *Stream) produce(pp *pipe) {
	defer close(pp.done)
	defer close(pp.full)
	if s.prompt {
		s.producePrompt(pp)
		return
	}
	allocated := 0
	for {
		b := pp.batch(&allocated)
		if b == nil {
			return
		}
		eof := false
		s.mu.Lock()
		for b.n < len(b.pkts) {
			if s.nextSync(&b.pkts[b.n]) != nil {
				eof = true
				break
			}
			b.nprob[b.n] = len(s.problems)
			b.n++
		}
		s.mu.Unlock()
		if b.n > 0 {
			select {
			case pp.full <- b:
			case <-pp.stop:
				return
			}
		}
		if eof {
			return
		}
	}
}

// producePrompt is produce for a Stream with a prompt input (a pipe): a
// batch is handed over as soon as the reading would wait for input, so
// that no packet that has arrived waits for the next one. The hand-over
// happens inside the read (the prefetchers' wait hook, called with s.mu
// held: sending on full never blocks, as full has room for every batch),
// so each packet is decoded outside the batch and copied in; a packet
// read after its batch was handed over goes first in the next one.
func (s *Stream) producePrompt(pp *pipe) {
	var cur *pipeBatchT
	flush := func() {
		if cur != nil && cur.n > 0 {
			pp.full <- cur
			cur = nil
		}
	}
	for _, f := range s.files {
		if f.pf != nil {
			f.pf.wait = flush
		}
	}
	var p Packet
	pending, pendingProb, allocated := false, 0, 0
	for {
		if cur = pp.batch(&allocated); cur == nil {
			return
		}
		if pending {
			cur.pkts[0], cur.nprob[0], cur.n = p, pendingProb, 1
			pending = false
		}
		eof := false
		s.mu.Lock()
		for cur.n < len(cur.pkts) {
			if s.nextSync(&p) != nil {
				eof = true
				break
			}
			if cur == nil { // handed over while reading p
				pending, pendingProb = true, len(s.problems)
				break
			}
			cur.pkts[cur.n] = p
			cur.nprob[cur.n] = len(s.problems)
			cur.n++
		}
		s.mu.Unlock()
		flush()
		if eof {
			return
		}
	}
}

// nextPiped is Next with decode-ahead.
func (s *Stream) nextPiped(p *Packet) error {
	pp := s.pipe.Load()
	if !s.fillPiped(pp) {
		return io.EOF
	}
	*p = pp.cur.pkts[pp.pos]
	pp.seen = pp.cur.nprob[pp.pos]
	pp.pos++
	return nil
}

// nextBatchPiped is NextBatch with decode-ahead: the rest of the current batch.
func (s *Stream) nextBatchPiped(n int) ([]Packet, error) {
	pp := s.pipe.Load()
	if !s.fillPiped(pp) {
		return nil, io.EOF
	}
	end := min(pp.cur.n, pp.pos+n)
	ps := pp.cur.pkts[pp.pos:end:end]
	pp.seen = pp.cur.nprob[end-1]
	pp.pos = end
	return ps, nil
}

// fillPiped makes a packet available in pp.cur, or reports the end.
func (s *Stream) fillPiped(pp *pipe) bool {
	if s.stopped.Load() {
		return false
	}
	for pp.cur == nil || pp.pos >= pp.cur.n {
		if pp.cur != nil {
			pp.free <- pp.cur // never blocks: at most pipeBatches exist
			pp.cur = nil
		}
		if s.idle != nil && len(pp.full) == 0 {
			s.idle() // about to wait for the producer
		}
		b, ok := <-pp.full
		if !ok {
			<-pp.done
			pp.seen = -1
			return false
		}
		pp.cur, pp.pos = b, 0
	}
	return true
}

// stopProducer ends the producer (from any goroutine).
func (pp *pipe) stopProducer() {
	pp.once.Do(func() { close(pp.stop) })
}
