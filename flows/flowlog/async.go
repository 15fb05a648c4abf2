package flowlog

import "sync"

// asyncDepth is how many batches a file's goroutine may read ahead.
const asyncDepth = 2

// bufferSetter is implemented by every source: the batch buffer the next
// call of next fills.
type bufferSetter interface{ setBuffer([]Record) }

func (s *textSource) setBuffer(b []Record)    { s.batch = b }
func (s *jsonSource) setBuffer(b []Record)    { s.batch = b }
func (s *parquetSource) setBuffer(b []Record) { s.batch = b }

// asyncSource reads a source in its own goroutine, so that the files of a
// delivery window are read and parsed in parallel, and in parallel with
// the caller's work on the records. Batches cycle between the goroutine
// and the caller; a batch handed out stays valid until the next call.
type asyncSource struct {
	src  source
	out  chan []Record
	free chan []Record
	stop chan struct{}
	wg   *sync.WaitGroup
	last []Record
}

func startAsync(src source, wg *sync.WaitGroup) *asyncSource {
	a := &asyncSource{src: src, out: make(chan []Record, asyncDepth), free: make(chan []Record, asyncDepth+1), stop: make(chan struct{}), wg: wg}
	for i := 0; i < asyncDepth+1; i++ {
		a.free <- make([]Record, batchSize)
	}
	wg.Add(1)
	go a.loop()
	return a
}

func (a *asyncSource) loop() {
	defer a.wg.Done()
	defer a.src.close()
	defer close(a.out)
	for {
		var buf []Record
		select {
		case buf = <-a.free:
		case <-a.stop:
			return
		}
		a.src.(bufferSetter).setBuffer(buf)
		b := a.src.next()
		if b == nil {
			return
		}
		select {
		case a.out <- b:
		case <-a.stop:
			return
		}
	}
}

// next returns the next batch; the previous one goes back to the reader.
// There are asyncDepth+1 buffers and free holds as many, so giving one
// back never blocks.
func (a *asyncSource) next() []Record {
	if a.last != nil {
		a.free <- a.last[:cap(a.last)]
		a.last = nil
	}
	b, ok := <-a.out
	if !ok {
		return nil
	}
	a.last = b
	return b
}

// close stops the goroutine, which closes the file.
func (a *asyncSource) close() { close(a.stop) }
