package replay

import (
	"runtime"
)

// DefaultWorkers is how many goroutines judge, render or format
// conversations by default (replay's reports, check's listings, flows'
// rows): one per core, up to 8 (past a few, the goroutine that sums up or
// writes in order is the bottleneck).
func DefaultWorkers() int { return min(runtime.GOMAXPROCS(0), 8) }

// orderedChunk is how many conversation IDs a worker of RunOrdered takes
// at a time.
const orderedChunk = 256

// RunOrdered splits the conversation IDs 1..n into chunks of orderedChunk,
// has workers goroutines fill a chunk value each (fill(w, lo, hi, c): w is
// the worker, 0 <= w < workers, lo..hi the IDs) and calls consume with the
// chunks in ID order, one at a time, so that what consume does is the
// same whatever the number of workers (a Pipeline). At most a few chunk
// values (made by newChunk, then reused) exist at once. It stops at the
// first error of fill or consume and returns it.
func RunOrdered[T any](workers, n int, newChunk func() *T, fill func(w, lo, hi int, c *T) error, consume func(c *T) error) error {
	type span struct {
		lo, hi int
		val    *T
	}
	p := NewPipeline(workers, func() span { return span{val: newChunk()} },
		func(w int, s *span) error { return fill(w, s.lo, s.hi, s.val) },
		func(s *span) error { return consume(s.val) }, nil)
	for lo := 1; lo <= n && !p.Failed(); lo += orderedChunk {
		s := p.Next()
		s.lo, s.hi = lo, min(lo+orderedChunk-1, n)
		p.Submit()
	}
	return p.Close()
}

// EachConversationOrdered is EachConversation spread over workers
// goroutines, for output: render appends what one conversation prints to
// b and returns it, on worker w (0 <= w < workers; cr, with its denials,
// fixes and class, is the worker's own reused value), and emit receives
// what render appended for consecutive conversations, in ID order. The
// concatenation of what emit receives is the same whatever the number of
// workers (one: no goroutine). render must be safe to call concurrently
// for distinct w. It stops at the first error of render or emit; what
// emit received by then may differ with the number of workers (with
// several, a chunk whose render failed is not emitted at all).
func (r *Report) EachConversationOrdered(workers int, render func(w int, cr *ConvResult, b []byte) ([]byte, error), emit func([]byte) error) error {
	if r.lazy == nil || workers <= 1 {
		var b []byte
		return r.EachConversation(func(cr *ConvResult) error {
			var err error
			if b, err = render(0, cr, b[:0]); err != nil {
				return err
			}
			return emit(b)
		})
	}
	l := r.lazy
	builders := make([]*convBuilder, workers)
	for w := range builders {
		builders[w] = &convBuilder{j: l.j, rec: l.rec}
	}
	return RunOrdered(workers, l.rec.NumConversations(), func() *[]byte { return new([]byte) },
		func(w, lo, hi int, buf *[]byte) error {
			cb, b := builders[w], (*buf)[:0]
			defer func() { *buf = b }()
			for id := lo; id <= hi; id++ {
				cr, ok := cb.result(id)
				if !ok {
					continue
				}
				l.detail(cb, id, cr)
				var err error
				if b, err = render(w, cr, b); err != nil {
					return err
				}
			}
			return nil
		}, func(buf *[]byte) error { return emit(*buf) })
}
