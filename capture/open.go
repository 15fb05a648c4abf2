package capture

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// fileState is one input of a Stream and its next pending record.
type fileState struct {
	index  int
	info   FileInfo
	rr     recordReader
	closer io.Closer
	rec    record
	frame  int64
	// last is set when the pending record is the file's last (a partial
	// record before a fatal problem).
	last   bool
	filter filter
	// pf is the file's read-ahead goroutine (nil without one); set once
	// before reading; its close is safe from any goroutine.
	pf *prefetcher
}

// Stream delivers the packets of one or more capture files in timestamp
// order (files are merged as mergecap does), decoding each record.
type Stream struct {
	files    []*fileState
	heap     []int // indexes into files of those with a pending record
	current  int   // file whose record was delivered last, -1 if none
	dec      *decoder
	problems []Problem
	stopped  atomic.Bool
	// started is set once the first record of every file was read (on
	// the first Next, so that OpenLive does not wait for a packet).
	started bool
	// filterExpr is the BPF expression applied to file records.
	filterExpr string
	// decodeAhead runs reading and decoding in a producer goroutine
	// (files only, not live captures); pipe is that goroutine once started.
	decodeAhead bool
	pipe        atomic.Pointer[pipe]
	// prompt is set when an input is a pipe, a FIFO, a terminal or a
	// reader other than a regular file: input arrives when it arrives, and
	// each record is delivered as soon as it has been read (the
	// decode-ahead hands its batch over before it waits for input).
	prompt bool
	// idle is SetIdle's function, nil when none.
	idle func()
	// batch holds NextBatch's packets without decode-ahead.
	batch []Packet
	// mu guards files and problems while the producer runs.
	mu sync.Mutex
}

// Open opens the capture files ("-" is standard input). Per-file problems
// (missing file, not a capture, corrupt header) do not fail Open: they are
// recorded as fatal Problems and the other files are still read. Open fails
// only when paths is empty or Options are invalid (e.g. Filter without pcap).
func Open(paths []string, opts Options) (*Stream, error) {
	if len(paths) == 0 {
		return nil, errors.New("capture: no input files")
	}
	s, err := newStream(opts)
	if err != nil {
		return nil, err
	}
	s.decodeAhead = decodeAhead
	for _, path := range paths {
		f := s.addFile(path)
		rc, err := openPath(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is already in the Problem
			}
			s.fatal(f, &fileProblem{offset: -1, reason: "cannot open: " + err.Error()})
			continue
		}
		f.closer = rc
		prompt := isPrompt(rc)
		s.attach(f, rc, prompt || readAhead && len(paths) <= maxPrefetchFiles, prompt)
	}
	return s, nil
}

// isPrompt reports whether r is anything but a regular file: standard
// input, a pipe, a FIFO, a character device, a socket or a reader that is
// not a file. Its input is read as it arrives.
func isPrompt(r io.Reader) bool {
	if n, ok := r.(nopCloser); ok {
		r = n.Reader
	}
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	return err != nil || !fi.Mode().IsRegular()
}

// OpenReaders is Open over already-open readers (standard input, tests,
// in-memory data). names label the inputs in FileInfo and Problems.
func OpenReaders(names []string, readers []io.Reader, opts Options) (*Stream, error) {
	if len(readers) == 0 || len(names) != len(readers) {
		return nil, errors.New("capture: need one name per reader")
	}
	s, err := newStream(opts)
	if err != nil {
		return nil, err
	}
	s.decodeAhead = decodeAhead
	for i, r := range readers {
		prompt := isPrompt(r)
		s.attach(s.addFile(names[i]), r, prompt || readAhead && len(readers) <= maxPrefetchFiles, prompt)
	}
	return s, nil
}

func newStream(opts Options) (*Stream, error) {
	s := &Stream{current: -1, dec: newDecoder(opts), filterExpr: opts.Filter}
	if opts.Filter != "" {
		if _, err := newFilter(opts.Filter); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// addFile appends an input.
func (s *Stream) addFile(name string) *fileState {
	f := &fileState{index: len(s.files), info: FileInfo{Name: name}}
	if s.filterExpr != "" {
		f.filter, _ = newFilter(s.filterExpr) // checked by newStream
	}
	s.files = append(s.files, f)
	return f
}

// attach recognises the format of r and readies f's record reader.
// prompt: r's input arrives when it arrives (isPrompt).
func (s *Stream) attach(f *fileState, r io.Reader, readAhead, prompt bool) {
	warn := func(fp *fileProblem) {
		s.problems = append(s.problems, Problem{File: f.info.Name, Frame: fp.frame, Offset: fp.offset, Reason: fp.reason})
	}
	rr, err := openReader(r, &f.info, readAhead, prompt, warn)
	if err != nil {
		s.fatal(f, err)
		return
	}
	f.rr = rr
	switch r := rr.(type) {
	case *pcapReader:
		f.pf = r.pf
	case *ngReader:
		f.pf = r.in.pf
	}
	s.prompt = s.prompt || prompt
}

// start reads the first record of every file and builds the merge heap.
func (s *Stream) start() {
	s.started = true
	for _, f := range s.files {
		if f.rr != nil && s.advance(f) {
			s.heap = append(s.heap, f.index)
			s.up(len(s.heap) - 1)
		}
	}
}

// fatal records a problem that stops reading f.
func (s *Stream) fatal(f *fileState, err error) {
	p := Problem{File: f.info.Name, Offset: -1, Reason: err.Error(), Fatal: true}
	var fp *fileProblem
	if errors.As(err, &fp) {
		p.Frame, p.Offset = fp.frame, fp.offset
	}
	s.problems = append(s.problems, p)
	s.drop(f)
	f.info.Complete = false
}

// drop stops reading f (and its read-ahead goroutine).
func (s *Stream) drop(f *fileState) {
	if f.pf != nil {
		f.pf.close()
	}
	f.rr = nil
}

// advance reads f's next record (skipping records the filter rejects)
// and reports whether one is pending.
func (s *Stream) advance(f *fileState) bool {
	for {
		if f.rr == nil || f.last {
			s.drop(f)
			return false
		}
		f.rec.data = nil
		err := f.rr.next(&f.rec)
		switch {
		case err == nil:
		case err == io.EOF:
			s.drop(f)
			f.info.Complete = true
			return false
		default:
			s.fatal(f, err)
			if f.rec.data == nil {
				return false
			}
			// Deliver the partial record that preceded the problem.
			f.last = true
		}
		f.frame++
		f.info.Records++
		if f.filter == nil {
			return true
		}
		ok, err := f.filter.match(f.rec.linkType, &f.rec)
		if err != nil {
			s.fatal(f, &fileProblem{frame: f.frame, offset: f.rec.offset, reason: err.Error()})
			return false
		}
		if ok {
			return true
		}
		if f.last {
			return false
		}
	}
}

// Prompt reports whether an input is read as it arrives (a pipe, a FIFO,
// standard input, a live capture) rather than from a regular file: what
// is found should then be printed as it is found.
func (s *Stream) Prompt() bool { return s.prompt }

// SetIdle has f called on the goroutine that reads the Stream (Next,
// NextBatch), before it waits for input that has not arrived yet, when an
// input is read as it arrives: a pipe, a FIFO, standard input, a live
// capture (before every read: a live read may wait). A program that prints
// as it reads flushes its output there, so that what it has found is out
// while the capture is quiet. Call it before the first Next.
func (s *Stream) SetIdle(f func()) {
	if s.prompt {
		s.idle = f
	}
}

// Next fills p with the next packet in timestamp order and returns nil, or
// returns io.EOF when every file is exhausted. It does not return per-file
// read errors: those are recorded in Problems and reading goes on.
//
// For files, reading and decoding run ahead in another goroutine (the
// caller's work on each packet then uses a second core); what Next
// delivers, and what Problems returns after each packet, are the same.
func (s *Stream) Next(p *Packet) error {
	if s.decodeAhead {
		if s.pipe.Load() == nil {
			if s.stopped.Load() {
				return io.EOF
			}
			s.startPipe()
		}
		return s.nextPiped(p)
	}
	if s.idle != nil {
		s.idle()
	}
	return s.nextSync(p)
}

// NextBatch is Next for up to n packets at a time (n < 1 means one):
// it returns the next packets in timestamp order, at least one, or
// io.EOF when every file is exhausted. The packets are owned by the
// Stream and valid until the next call of Next or NextBatch; Problems
// then returns what it would after reading the last of them with Next.
// With decode-ahead (files) it hands over the packets decoded so far
// without copying; otherwise (a live capture) it returns one packet, so
// that it never waits for more.
func (s *Stream) NextBatch(n int) ([]Packet, error) {
	n = min(max(n, 1), pipeBatch)
	if s.decodeAhead {
		if s.pipe.Load() == nil {
			if s.stopped.Load() {
				return nil, io.EOF
			}
			s.startPipe()
		}
		return s.nextBatchPiped(n)
	}
	if s.batch == nil {
		s.batch = make([]Packet, 1)
	}
	if s.idle != nil {
		s.idle()
	}
	if err := s.nextSync(&s.batch[0]); err != nil {
		return nil, err
	}
	return s.batch[:1:1], nil
}

// nextSync is Next without decode-ahead.
func (s *Stream) nextSync(p *Packet) error {
	if !s.started {
		s.start()
	}
	if s.current >= 0 {
		f := s.files[s.current]
		s.current = -1
		if s.advance(f) {
			s.down(0)
		} else {
			s.pop()
		}
	}
	if len(s.heap) == 0 || s.stopped.Load() {
		return io.EOF
	}
	f := s.files[s.heap[0]]
	s.current = f.index
	*p = Packet{
		File: f.index, Frame: f.frame, Time: f.rec.ts,
		WireLen: f.rec.wireLen, CapLen: f.rec.capLen, LinkType: f.rec.linkType,
	}
	s.dec.decode(p, f.rec.data)
	return nil
}

// Files describes the input files in the order given to Open. Before
// Next has returned io.EOF, Records (and Complete) may already count
// records that the decode-ahead goroutine read beyond the last packet
// delivered.
func (s *Stream) Files() []FileInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FileInfo, len(s.files))
	for i, f := range s.files {
		out[i] = f.info
		out[i].LinkTypes = append([]uint16(nil), f.info.LinkTypes...)
	}
	return out
}

// Problems returns every problem met so far, in the order met.
func (s *Stream) Problems() []Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	probs := s.problems
	if pp := s.pipe.Load(); pp != nil && pp.seen >= 0 && pp.seen < len(probs) {
		probs = probs[:pp.seen]
	}
	return append([]Problem(nil), probs...)
}

// Complete reports whether every file was read to its end without a
// fatal problem (final once Next has returned io.EOF).
func (s *Stream) Complete() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		if !f.info.Complete {
			return false
		}
	}
	return len(s.files) > 0
}

// Close releases the files. For a live capture it may be called from
// another goroutine to stop it: Next then returns io.EOF.
func (s *Stream) Close() error {
	s.stopped.Store(true)
	if pp := s.pipe.Load(); pp != nil {
		pp.stopProducer()
	}
	var first error
	for _, f := range s.files {
		if f.pf != nil {
			f.pf.close()
		}
		if f.closer != nil {
			if err := f.closer.Close(); err != nil && first == nil {
				first = err
			}
			f.closer = nil
		}
	}
	return first
}
