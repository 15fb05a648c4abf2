package flowlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// jsonSource reads CloudWatch Logs JSON: the output of `aws logs
// filter-log-events` or `get-log-events` ({"events": [{"message": ...}]}),
// subscription-filter payloads ({"logEvents": [...]}, one or several
// concatenated), JSON arrays of events, or one event object per line.
// Each "message" is one record in Options.Format (default: the version-2
// format). Record.Line is the line on which the event object starts.
type jsonSource struct {
	fileCtx
	rc     io.Closer
	dec    *json.Decoder
	data   *lineCounter
	parser *lineParser
	batch  []Record
	done   bool
	events int // events seen (for JSON paths)
}

// lineCounter counts the lines of what the decoder consumed. It keeps
// only the bytes not yet counted (offsets asked for never decrease).
type lineCounter struct {
	r     io.Reader
	buf   []byte // bytes from offset base on
	base  int64
	lastO int64
	lastL int64
}

func (lc *lineCounter) Read(p []byte) (int, error) {
	n, err := lc.r.Read(p)
	if drop := lc.lastO - lc.base; drop > 1<<20 {
		lc.buf = append(lc.buf[:0], lc.buf[drop:]...)
		lc.base = lc.lastO
	}
	lc.buf = append(lc.buf, p[:n]...)
	return n, err
}

// valueLine returns the line of the first byte of the value that follows
// offset off (skipping white space and a comma).
func (lc *lineCounter) valueLine(off int64) int64 {
	end := lc.base + int64(len(lc.buf))
	for off < end && off >= lc.base && isJSONSpaceOrComma(lc.buf[off-lc.base]) {
		off++
	}
	return lc.line(off)
}

// line returns the 1-based line of byte offset off (offsets must not decrease).
func (lc *lineCounter) line(off int64) int64 {
	if lc.lastL == 0 {
		lc.lastL = 1
	}
	end := lc.base + int64(len(lc.buf))
	for ; lc.lastO < off && lc.lastO < end; lc.lastO++ {
		if lc.buf[lc.lastO-lc.base] == '\n' {
			lc.lastL++
		}
	}
	return lc.lastL
}

func newJSONSource(c fileCtx, br *bufio.Reader, rc io.Closer) (*jsonSource, error) {
	f, err := c.opts.format()
	if err != nil {
		return nil, err
	}
	c.sum.Format, c.sum.Version = joinNames(f), f.Version
	lc := &lineCounter{r: br}
	return &jsonSource{fileCtx: c, rc: rc, dec: json.NewDecoder(lc), data: lc, parser: newLineParser(f, c.in), batch: make([]Record, batchSize)}, nil
}

func (s *jsonSource) close() { s.rc.Close() }

type cwlEvent struct {
	Message *string `json:"message"`
}

// next decodes events until a batch is full. The decoder walks
// top-level values: objects (with events/logEvents arrays or a message)
// and arrays of event objects.
func (s *jsonSource) next() []Record {
	out := s.batch[:0]
	for !s.done && len(out) < batchSize {
		if err := s.step(&out); err != nil {
			if !errors.Is(err, io.EOF) {
				off := s.dec.InputOffset()
				s.problem(s.data.line(off), "invalid JSON: "+err.Error(), true)
			}
			s.done = true
		}
	}
	s.batch = out
	if len(out) == 0 {
		return nil
	}
	return out
}

// step handles one top-level value or one event of the current array.
func (s *jsonSource) step(out *[]Record) error {
	tok, err := s.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return s.object(out)
	case json.Delim('['):
		return s.array(out, "$["+strconv.Itoa(s.events)+"]")
	case json.Delim('}'), json.Delim(']'):
		return nil
	}
	return fmt.Errorf("unexpected %v at the top level", tok)
}

// object reads the keys of an object whose '{' was consumed.
func (s *jsonSource) object(out *[]Record) error {
	start := s.dec.InputOffset() - 1 // the '{'
	for s.dec.More() {
		kt, err := s.dec.Token()
		if err != nil {
			return err
		}
		key, _ := kt.(string)
		switch key {
		case "events", "logEvents":
			t, err := s.dec.Token()
			if err != nil {
				return err
			}
			if t != json.Delim('[') {
				return fmt.Errorf("%q is not an array", key)
			}
			if err := s.array(out, "$."+key); err != nil {
				return err
			}
		case "message":
			var m string
			if err := s.dec.Decode(&m); err != nil {
				return err
			}
			s.record(out, m, s.data.line(start), "$.message")
		default:
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return err
			}
		}
	}
	_, err := s.dec.Token() // '}'
	return err
}

// array reads event objects up to the closing ']' (consumed).
func (s *jsonSource) array(out *[]Record, path string) error {
	for i := 0; s.dec.More(); i++ {
		off := s.dec.InputOffset()
		var ev cwlEvent
		if err := s.dec.Decode(&ev); err != nil {
			return err
		}
		line := s.data.valueLine(off)
		p := path + "[" + strconv.Itoa(i) + "]"
		s.events++
		if ev.Message == nil {
			s.sum.Bad++
			c := Problem{File: s.name, Line: line, Path: p, Reason: "event has no \"message\""}
			s.rep(c)
			continue
		}
		s.record(out, *ev.Message, line, p)
	}
	_, err := s.dec.Token() // ']'
	return err
}

// record parses one message.
func (s *jsonSource) record(out *[]Record, msg string, line int64, path string) {
	// One events array is read whole (an API page holds at most 10 000
	// events), so the batch may grow past batchSize.
	*out = append(*out, Record{})
	r := &(*out)[len(*out)-1]
	*out = (*out)[:len(*out)-1]
	r.File, r.Line = s.name, line
	if err := s.parser.parse(trimEOL([]byte(msg)), r); err != nil {
		s.sum.Bad++
		s.rep(Problem{File: s.name, Line: line, Path: path, Reason: err.Error()})
		return
	}
	if s.deliver(r) {
		*out = (*out)[:len(*out)+1]
	}
}

func isJSONSpaceOrComma(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ','
}
