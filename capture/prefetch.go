package capture

import (
	"errors"
	"io"
	"sync"
)

// Read-ahead for classic pcap: a goroutine reads the next chunks of the
// file while the caller decodes the current one (the machine's second
// core does the kernel copy or the gunzip). Chunks are handed over
// without copying; each buffer has headroom in front where the reader
// moves the partial record left at the end of the previous chunk.
const (
	// Chunks start at prefetchFirst bytes and double up to prefetchChunk,
	// so that small files cost little memory. Three chunks of 256 KiB in
	// flight stay in the caches until they are decoded, where 1 MiB ones
	// did not: each record header read was a cache miss the decoder
	// waited for (the next header's place depends on it). flows on the
	// 2 GB bench capture took 1.17 s with 1 MiB chunks and 1.03 s with
	// 256 KiB ones (medians of 5, alternated), the pcapng copy 1.50 s and
	// 1.18 s.
	prefetchFirst   = 64 << 10
	prefetchChunk   = 256 << 10
	prefetchBuffers = 3
	// maxHeadroom bounds the room kept in front of a chunk for the partial
	// record left over from the previous one; longer leftovers are copied.
	maxHeadroom = 64 << 10
	// maxPrefetchFiles: beyond this many inputs, files are read
	// synchronously so that memory stays small (768 KiB per file).
	maxPrefetchFiles = 8
)

// readAhead enables the read-ahead goroutine (benchmarks compare both).
var readAhead = true

// chunk is one filled buffer: data is buf[headroom : headroom+n].
type chunk struct {
	buf []byte
	n   int
	err error
}

// prefetcher owns the read-ahead goroutine of one file.
type prefetcher struct {
	headroom int
	// prompt: each chunk is one Read of at most prefetchFirst bytes.
	prompt bool
	// wait, when set, is called by take (on the reader's goroutine)
	// before it waits for a chunk that is not ready yet.
	wait func()
	free chan []byte
	full chan chunk
	stop chan struct{}
	once sync.Once
}

// startPrefetch starts reading r ahead; headroom is the longest partial
// record that must fit in front of a chunk; prompt makes each chunk the
// bytes of one Read.
func startPrefetch(r io.Reader, headroom int, prompt bool) *prefetcher {
	p := &prefetcher{
		headroom: headroom,
		prompt:   prompt,
		free:     make(chan []byte, prefetchBuffers),
		full:     make(chan chunk, prefetchBuffers),
		stop:     make(chan struct{}),
	}
	go p.run(r)
	return p
}

func (p *prefetcher) run(r io.Reader) {
	size, allocated := prefetchFirst, 0
	for {
		var b []byte
		if allocated < prefetchBuffers {
			b = make([]byte, p.headroom+size)
			allocated++
		} else {
			select {
			case <-p.stop:
				return
			case b = <-p.free:
			}
			if len(b) < p.headroom+size {
				b = make([]byte, p.headroom+size) // grow: drop the small one
			}
		}
		var n int
		var err error
		if p.prompt {
			n, err = readSome(r, b[p.headroom:])
		} else {
			size = min(2*size, prefetchChunk)
			n, err = readFull(r, b[p.headroom:])
		}
		select {
		case <-p.stop:
			return
		case p.full <- chunk{buf: b, n: n, err: err}:
		}
		if err != nil {
			return
		}
	}
}

// readFull reads until b is full or r fails (io.EOF at the end).
func readFull(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// readSome reads at least one byte into b unless r fails (io.EOF at
// the end): the bytes of one Read, whatever has arrived.
func readSome(r io.Reader, b []byte) (int, error) {
	for {
		n, err := r.Read(b)
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// release gives a buffer back to the goroutine.
func (p *prefetcher) release(b []byte) {
	select {
	case p.free <- b:
	default:
	}
}

// errStopped is the read error of a file whose Stream was closed.
var errStopped = errors.New("stream closed")

// take returns the next chunk, or false once the prefetcher is closed
// and no chunk is ready (the goroutine may never send another one).
func (p *prefetcher) take() (chunk, bool) {
	select {
	case c := <-p.full:
		return c, true
	default:
	}
	if p.wait != nil {
		p.wait()
	}
	select {
	case c := <-p.full:
		return c, true
	case <-p.stop:
		return chunk{}, false
	}
}

// close stops the goroutine (it may still be blocked in a Read of r
// until that returns).
func (p *prefetcher) close() {
	p.once.Do(func() { close(p.stop) })
}

// fillPrefetched is fill for a reader with read-ahead: it takes the next
// chunk and moves the unread bytes in front of it.
func (pr *pcapReader) fillPrefetched(n int) bool {
	pf := pr.pf
	for pr.end-pr.start < n {
		if pr.eof || pr.err != nil {
			return false
		}
		c, ok := pf.take()
		if !ok {
			pr.err = errStopped
			return false
		}
		left := pr.buf[pr.start:pr.end]
		var nb []byte
		var ns int
		if len(left) <= pf.headroom {
			nb, ns = c.buf, pf.headroom-len(left)
			copy(nb[ns:], left)
		} else {
			// A record longer than the headroom: rare, copy both.
			nb = make([]byte, len(left)+c.n)
			copy(nb, left)
			copy(nb[len(left):], c.buf[pf.headroom:pf.headroom+c.n])
			pf.release(c.buf)
		}
		if pr.pooled {
			pf.release(pr.buf)
		}
		pr.pooled = len(left) <= pf.headroom
		pr.base += int64(pr.start) - int64(ns)
		pr.buf, pr.start = nb, ns
		pr.end = ns + len(left) + c.n
		if c.err == io.EOF {
			pr.eof = true
		} else if c.err != nil {
			pr.err = c.err
		}
	}
	return true
}
