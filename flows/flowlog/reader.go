package flowlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Options configure reading.
type Options struct {
	// Format is the log format of files without a header line
	// (CloudWatch Logs exports, headerless text), as in the flow log's
	// LogFormat ("${version} ${srcaddr} ...") or as bare field names.
	// Empty means the default version-2 format.
	Format string
	parsed *Format
}

func (o *Options) format() (*Format, error) {
	if o.parsed != nil {
		return o.parsed, nil
	}
	s := o.Format
	if s == "" {
		s = DefaultFormat
	}
	f, err := ParseFormat(s)
	if err != nil {
		return nil, fmt.Errorf("log format: %w", err)
	}
	o.parsed = f
	return f, nil
}

// Reader delivers the records of one or more flow-log files, merged by
// start time (ties: the file given first, then file order).
type Reader struct {
	opts   Options
	files  []string
	groups [][]int
	group  int
	heads  []head
	heap   []int
	// delivered: heap[0]'s record was handed out and the heap not yet fixed.
	delivered bool
	problems  []Problem
	sum       Summary
	// mu guards problems, which the files' goroutines append to.
	mu sync.Mutex
	// wg counts the running file goroutines.
	wg sync.WaitGroup
}

// head is an open file and its pending batch.
type head struct {
	src   source
	batch []Record
	pos   int
}

// Open prepares reading paths: files, or directories read recursively
// (the S3 layout AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/..., or
// any tree; files whose names end in .log, .log.gz, .gz, .txt, .json,
// .jsonl or .parquet). Files are grouped by the timestamp in their S3 name
// (..._20180620T1620Z_...), groups are read in time order and the files of
// one group are merged by record start time, so that only one 5-minute
// delivery window of files is open at a time. Files that cannot be read
// are reported as Problems and the others are still read; Open fails only
// on an invalid Options.Format or when no path is given.
func Open(paths []string, opts Options) (*Reader, error) {
	if len(paths) == 0 {
		return nil, errors.New("flowlog: no input files")
	}
	if _, err := opts.format(); err != nil {
		return nil, err
	}
	r := &Reader{opts: opts}
	for _, p := range paths {
		r.expand(p)
	}
	r.groupFiles()
	return r, nil
}

// flowLogExt reports whether a file inside a directory is taken.
func flowLogExt(name string) bool {
	n := strings.ToLower(name)
	for _, ext := range []string{".log", ".log.gz", ".gz", ".txt", ".json", ".jsonl", ".parquet"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

func (r *Reader) expand(p string) {
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		r.files = append(r.files, p)
		return
	}
	var found []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			r.problems = append(r.problems, Problem{File: path, Reason: "cannot read: " + unwrapPath(err).Error(), Fatal: true})
			return nil
		}
		if d.Type().IsRegular() && flowLogExt(d.Name()) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		r.problems = append(r.problems, Problem{File: p, Reason: "cannot read: " + err.Error(), Fatal: true})
	}
	if len(found) == 0 {
		r.problems = append(r.problems, Problem{File: p, Reason: "no flow-log files (.log, .log.gz, .gz, .txt, .json, .jsonl, .parquet) in this directory"})
	}
	r.files = append(r.files, found...)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// s3Stamp matches the delivery time in an S3 flow-log file name.
var s3Stamp = regexp.MustCompile(`_(\d{8}T\d{4}Z)_`)

// groupFiles orders the files into groups by the timestamp in their
// names: files without one form the first group, in the order given.
func (r *Reader) groupFiles() {
	byStamp := map[string][]int{}
	var stamps []string
	for i, f := range r.files {
		st := ""
		if m := s3Stamp.FindStringSubmatch(filepath.Base(f)); m != nil {
			st = m[1]
		}
		if _, ok := byStamp[st]; !ok {
			stamps = append(stamps, st)
		}
		byStamp[st] = append(byStamp[st], i)
	}
	slices.Sort(stamps)
	for _, st := range stamps {
		r.groups = append(r.groups, byStamp[st])
	}
	r.sum.Files = make([]FileSummary, len(r.files))
	for i, f := range r.files {
		r.sum.Files[i] = FileSummary{Name: f, Complete: true}
	}
}

// Files returns the files being read, directories expanded, in the order
// of Summary().Files.
func (r *Reader) Files() []string { return r.files }

// Problems returns the problems found so far, ordered by file (in the
// order of Files) and line.
func (r *Reader) Problems() []Problem {
	r.mu.Lock()
	out := slices.Clone(r.problems)
	r.mu.Unlock()
	idx := make(map[string]int, len(r.files))
	for i, f := range r.files {
		if _, ok := idx[f]; !ok {
			idx[f] = i
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int {
		ia, oka := idx[a.File]
		ib, okb := idx[b.File]
		if !oka {
			ia = -1
		}
		if !okb {
			ib = -1
		}
		if ia != ib {
			return ia - ib
		}
		if a.Line != b.Line {
			if a.Line < b.Line {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}

// Summary returns the counts so far (final after Next returned nil).
func (r *Reader) Summary() Summary {
	s := r.sum
	s.Files = slices.Clone(r.sum.Files)
	s.Records, s.NoData, s.SkipData, s.Bad = 0, 0, 0, 0
	for _, f := range s.Files {
		s.Records += f.Records
		s.NoData += f.NoData
		s.SkipData += f.SkipData
		s.Bad += f.Bad
	}
	return s
}

// Close releases every open file (and stops their goroutines).
func (r *Reader) Close() error {
	for i := range r.heads {
		if r.heads[i].src != nil {
			r.heads[i].src.close()
			r.heads[i].src = nil
		}
	}
	r.wg.Wait()
	return nil
}

// Next returns the next record in time order, or nil at the end of all
// files. The record is valid until the following call.
func (r *Reader) Next() *Record {
	for {
		if r.delivered {
			// Advance the file whose record was delivered last: only now
			// may its batch be overwritten.
			r.delivered = false
			hi := r.heap[0]
			h := &r.heads[hi]
			if h.pos >= len(h.batch) && !r.refill(hi) {
				r.pop()
			} else {
				r.down(0)
			}
		}
		if len(r.heap) > 0 {
			h := &r.heads[r.heap[0]]
			rec := &h.batch[h.pos]
			h.pos++
			r.delivered = true
			return rec
		}
		if r.group >= len(r.groups) {
			return nil
		}
		r.openGroup(r.groups[r.group])
		r.group++
	}
}

// refill loads the next batch of file i; false at its end.
func (r *Reader) refill(i int) bool {
	h := &r.heads[i]
	b := h.src.next()
	if len(b) == 0 {
		return false
	}
	h.batch, h.pos = b, 0
	return true
}

func (r *Reader) openGroup(idx []int) {
	r.Close()
	r.heads = r.heads[:0]
	r.heap = r.heap[:0]
	for _, i := range idx {
		src := r.openFile(i)
		if src == nil {
			continue
		}
		r.heads = append(r.heads, head{src: startAsync(src, &r.wg)})
		hi := len(r.heads) - 1
		if r.refill(hi) {
			r.heap = append(r.heap, hi)
			r.up(len(r.heap) - 1)
		}
	}
}

func (r *Reader) less(a, b int) bool {
	ra := &r.heads[a].batch[r.heads[a].pos]
	rb := &r.heads[b].batch[r.heads[b].pos]
	if ra.Start != rb.Start {
		return ra.Start < rb.Start
	}
	return a < b
}

func (r *Reader) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !r.less(r.heap[j], r.heap[p]) {
			break
		}
		r.heap[j], r.heap[p] = r.heap[p], r.heap[j]
		j = p
	}
}

func (r *Reader) down(j int) {
	n := len(r.heap)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		m := l
		if rr := l + 1; rr < n && r.less(r.heap[rr], r.heap[l]) {
			m = rr
		}
		if !r.less(r.heap[m], r.heap[j]) {
			return
		}
		r.heap[j], r.heap[m] = r.heap[m], r.heap[j]
		j = m
	}
}

func (r *Reader) pop() {
	n := len(r.heap) - 1
	r.heap[0] = r.heap[n]
	r.heap = r.heap[:n]
	if n > 0 {
		r.down(0)
	}
}

// openFile opens file i and picks its reader by content.
func (r *Reader) openFile(i int) source {
	name := r.files[i]
	c := fileCtx{name: name, sum: &r.sum.Files[i], opts: &r.opts, in: newInterner(),
		rep: func(p Problem) {
			r.mu.Lock()
			r.problems = append(r.problems, p)
			r.mu.Unlock()
		}}
	c.sum.Kind = "text"
	fail := func(reason string) source {
		c.problem(0, reason, true)
		return nil
	}
	var f *os.File
	if name == "-" {
		f = os.Stdin
	} else {
		var err error
		f, err = os.Open(name)
		if err != nil {
			return fail("cannot open: " + unwrapPath(err).Error())
		}
	}
	br := bufio.NewReaderSize(f, 256<<10)
	magic, _ := br.Peek(4)
	if string(magic) == "PAR1" {
		c.sum.Kind = "parquet"
		src, err := newParquetSource(c, f)
		if err != nil {
			f.Close()
			return fail(err.Error())
		}
		return src
	}
	var rd io.Reader = br
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return fail("corrupt gzip header: " + err.Error())
		}
		c.sum.Gzip = true
		rd = &gzipErrReader{zr}
	}
	tb := bufio.NewReaderSize(rd, maxLine)
	head, _ := tb.Peek(512)
	switch Sniff(head) {
	case KindCloudWatchJSON:
		c.sum.Kind = "cloudwatch-json"
		src, err := newJSONSource(c, tb, f)
		if err != nil {
			f.Close()
			return fail(err.Error())
		}
		return src
	case KindNone:
		if len(bytes.TrimSpace(head)) == 0 {
			f.Close()
			return fail("empty file")
		}
	}
	return newTextSource(c, tb, f)
}

// gzipErrReader names gzip errors as such.
type gzipErrReader struct{ zr *gzip.Reader }

func (g *gzipErrReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip: %w", err)
	}
	return n, err
}
