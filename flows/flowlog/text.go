package flowlog

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
)

// batchSize is how many records a source delivers at a time.
const batchSize = 256

// maxLine is the longest record line accepted (a v11 record with every
// field and long tags is a few KiB).
const maxLine = 64 << 10

// source delivers the records of one file in batches.
type source interface {
	// next returns the next records (nil at the end of the file). The
	// slice is reused by the following call.
	next() []Record
	close()
}

// fileCtx is what every source shares: its name, summary and problem sink.
type fileCtx struct {
	name string
	sum  *FileSummary
	rep  func(Problem)
	opts *Options
	in   *interner
}

func (c *fileCtx) problem(line int64, reason string, fatal bool) {
	if fatal {
		c.sum.Complete = false
	}
	c.rep(Problem{File: c.name, Line: line, Reason: reason, Fatal: fatal})
}

// deliver counts r and reports whether it is a record to hand out
// (NODATA and SKIPDATA are counted and skipped).
func (c *fileCtx) deliver(r *Record) bool {
	switch r.Status {
	case "NODATA":
		c.sum.NoData++
		return false
	case "SKIPDATA":
		c.sum.SkipData++
		return false
	}
	c.sum.Records++
	return true
}

// textSource reads text records: S3 delivery (header line first) or a
// CloudWatch Logs export to S3 (each line "TIMESTAMP MESSAGE").
type textSource struct {
	fileCtx
	br     *bufio.Reader
	rc     io.Closer
	line   int64
	parser *lineParser
	cwl    bool // lines start with an RFC 3339 timestamp
	batch  []Record
	done   bool
}

func newTextSource(c fileCtx, br *bufio.Reader, rc io.Closer) *textSource {
	return &textSource{fileCtx: c, br: br, rc: rc, batch: make([]Record, batchSize)}
}

func (s *textSource) close() {
	if s.rc != nil {
		s.rc.Close()
	}
}

// readLine returns the next line without its end, or nil at the end.
func (s *textSource) readLine() ([]byte, bool) {
	for {
		line, err := s.br.ReadSlice('\n')
		if len(line) > 0 || err == nil {
			s.line++
			if errors.Is(err, bufio.ErrBufferFull) {
				// Skip the rest of an overlong line.
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = s.br.ReadSlice('\n')
				}
				s.sum.Bad++
				s.problem(s.line, "line longer than "+strconv.Itoa(maxLine)+" bytes", false)
				if err != nil && err != io.EOF {
					s.problem(s.line, "read error: "+err.Error(), true)
					return nil, false
				}
				continue
			}
			if err != nil && err != io.EOF {
				s.problem(s.line, "read error: "+err.Error(), true)
				return nil, false
			}
			return trimEOL(line), true
		}
		if err != io.EOF {
			s.problem(s.line+1, "read error: "+err.Error(), true)
		}
		return nil, false
	}
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// start reads the first non-empty line to find the format: a header line
// naming the fields, or a record in the configured (or default) format,
// possibly behind a CloudWatch Logs timestamp. It returns the first
// record line (nil when it was the header).
func (s *textSource) start() ([]byte, error) {
	for {
		line, ok := s.readLine()
		if !ok {
			return nil, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if f, isHeader := headerFormat(line); isHeader {
			s.parser = newLineParser(f, s.in)
			s.sum.Format, s.sum.Version = joinNames(f), f.Version
			return nil, nil
		}
		f, err := s.opts.format()
		if err != nil {
			return nil, err
		}
		s.parser = newLineParser(f, s.in)
		s.sum.Format, s.sum.Version = joinNames(f), f.Version
		if _, rest, ok := cutTimestamp(line); ok {
			s.cwl = true
			s.sum.Kind = "cloudwatch-text"
			_ = rest
		}
		return line, nil
	}
}

func (s *textSource) next() []Record {
	if s.done {
		return nil
	}
	out := s.batch[:0]
	if s.parser == nil {
		first, err := s.start()
		if err != nil {
			s.problem(0, err.Error(), true)
			s.done = true
			return nil
		}
		if first != nil {
			s.parseInto(&out, first)
		}
		if s.parser == nil {
			s.done = true
			return nil
		}
	}
	for len(out) < cap(out) {
		line, ok := s.readLine()
		if !ok {
			s.done = true
			break
		}
		if len(line) == 0 {
			continue
		}
		s.parseInto(&out, line)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseInto parses line as the record at s.line and appends it to out
// when it is an OK record.
func (s *textSource) parseInto(out *[]Record, line []byte) {
	if s.cwl {
		_, rest, ok := cutTimestamp(line)
		if ok {
			line = rest
		}
	}
	r := &(*out)[:len(*out)+1][len(*out)]
	r.File, r.Line = s.name, s.line
	if err := s.parser.parse(line, r); err != nil {
		if f, isHeader := headerFormat(line); isHeader && !s.cwl {
			// Another header: files concatenated (cat a.log b.log);
			// the records after it are in its format.
			s.parser = newLineParser(f, s.in)
			return
		}
		s.sum.Bad++
		s.problem(s.line, err.Error(), false)
		return
	}
	if s.deliver(r) {
		*out = (*out)[:len(*out)+1]
	}
}

// headerFormat reports whether line is a header line (every token a field
// name, the first not a number) and returns its format.
func headerFormat(line []byte) (*Format, bool) {
	toks := bytes.Fields(line)
	if len(toks) == 0 || (toks[0][0] >= '0' && toks[0][0] <= '9') {
		return nil, false
	}
	known := 0
	for _, t := range toks {
		if _, ok := fieldByName[string(t)]; ok {
			known++
		}
	}
	if known*2 < len(toks) { // mostly field names
		return nil, false
	}
	f, err := ParseFormat(string(line))
	if err != nil {
		return nil, false
	}
	return f, true
}

// cutTimestamp splits a CloudWatch Logs export line "2024-05-01T10:00:00.000Z MESSAGE".
func cutTimestamp(line []byte) (ts, rest []byte, ok bool) {
	i := bytes.IndexByte(line, ' ')
	if i < 20 || i > 40 {
		return nil, line, false
	}
	t := line[:i]
	if t[4] != '-' || t[7] != '-' || t[10] != 'T' || (t[len(t)-1] != 'Z' && !bytes.ContainsAny(t[19:], "+-")) {
		return nil, line, false
	}
	return t, line[i+1:], true
}

func joinNames(f *Format) string {
	var b bytes.Buffer
	for i, n := range f.Names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n)
	}
	return b.String()
}
