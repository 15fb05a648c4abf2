package replay

import (
	"sync"
	"sync/atomic"
)

// Pipeline works on values on several goroutines and hands them, in the
// order they were submitted, to consume on a goroutine of its own, so
// that what consume does is the same whatever the number of workers. One
// goroutine (the producer) fills values: Next returns the next one to
// fill, Submit queues it. At most 4×workers values (made by newVal, then
// reused) exist at once. Once work or consume has failed, values are
// neither worked on nor consumed (Failed reports it, so that the producer
// may stop) and Close returns the first error, in submission order.
//
// It is the one ordered worker pool of flowverify: RunOrdered (reports,
// listings, diff, synth's self-check) and flows' rows use it.
type Pipeline[T any] struct {
	free, jobs, order chan *pipelineJob[T]
	cur               *pipelineJob[T]
	workers           sync.WaitGroup
	consumed          chan struct{}
	failed            atomic.Bool
	err               error
}

type pipelineJob[T any] struct {
	val  T
	err  error
	done chan struct{}
}

// NewPipeline starts workers goroutines (at least one) that call work on
// the values submitted (w is the worker, 0 <= w < workers) and the
// goroutine that calls consume with each value after its work, in order.
// newVal makes a value; reset, when not nil, empties one that consume
// has returned, for reuse.
func NewPipeline[T any](workers int, newVal func() T, work func(w int, v *T) error, consume func(v *T) error, reset func(v *T)) *Pipeline[T] {
	workers = max(workers, 1)
	inflight := 4 * workers
	p := &Pipeline[T]{free: make(chan *pipelineJob[T], inflight), jobs: make(chan *pipelineJob[T], inflight),
		order: make(chan *pipelineJob[T], inflight), consumed: make(chan struct{})}
	for range inflight {
		p.free <- &pipelineJob[T]{val: newVal()}
	}
	for w := range workers {
		p.workers.Add(1)
		go func() {
			defer p.workers.Done()
			for j := range p.jobs {
				if !p.failed.Load() {
					j.err = work(w, &j.val)
				}
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(p.consumed)
		for j := range p.order {
			<-j.done
			if p.err == nil {
				if p.err = j.err; p.err == nil {
					p.err = consume(&j.val)
				}
				if p.err != nil {
					p.failed.Store(true)
				}
			}
			if reset != nil {
				reset(&j.val)
			}
			j.err = nil
			p.free <- j
		}
	}()
	return p
}

// Next returns the value to fill next (the one Submit queues), waiting
// for one to be free.
func (p *Pipeline[T]) Next() *T {
	if p.cur == nil {
		p.cur = <-p.free
	}
	return &p.cur.val
}

// Submit queues the value Next returned.
func (p *Pipeline[T]) Submit() {
	j := p.cur
	if j == nil {
		return
	}
	p.cur = nil
	j.done = make(chan struct{})
	p.order <- j
	p.jobs <- j
}

// Failed reports whether work or consume has failed (values submitted
// from then on are dropped).
func (p *Pipeline[T]) Failed() bool { return p.failed.Load() }

// Close waits for every value submitted to be consumed, stops the
// goroutines and returns the first error of work or consume. A value
// taken by Next and not submitted is dropped.
func (p *Pipeline[T]) Close() error {
	close(p.jobs)
	close(p.order)
	<-p.consumed
	p.workers.Wait()
	return p.err
}
