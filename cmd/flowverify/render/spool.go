package render

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much a spool keeps in memory before it moves to a
// temporary file (a variable for tests).
var spoolMemory = 32 << 20

// spool keeps bytes written now to be read back once, later: the rows of
// a report whose summary must print first. It holds up to spoolMemory
// bytes in memory, in blocks of spoolBlock (no copying as it grows),
// then continues in a temporary file that is unlinked at once (nothing
// is left behind, even after a crash).
type spool struct {
	blocks [][]byte
	size   int
	f      *os.File
	w      *bufio.Writer
}

// spoolBlock is the size of a spool's memory blocks.
const spoolBlock = 1 << 20

// write appends p.
func (s *spool) write(p []byte) error {
	if s.w != nil {
		_, err := s.w.Write(p)
		return err
	}
	if s.size+len(p) > spoolMemory {
		return s.toFile(p)
	}
	s.size += len(p)
	for len(p) > 0 {
		if n := len(s.blocks); n == 0 || len(s.blocks[n-1]) == cap(s.blocks[n-1]) {
			s.blocks = append(s.blocks, make([]byte, 0, spoolBlock))
		}
		b := &s.blocks[len(s.blocks)-1]
		k := min(len(p), cap(*b)-len(*b))
		*b = append(*b, p[:k]...)
		p = p[k:]
	}
	return nil
}

// toFile moves the spool to a temporary file and appends p there.
func (s *spool) toFile(p []byte) error {
	f, err := os.CreateTemp("", "flowverify-spool-*")
	if err != nil {
		return fmt.Errorf("spooling the report's rows: %w", err)
	}
	os.Remove(f.Name())
	s.f, s.w = f, bufio.NewWriterSize(f, 1<<16)
	for _, b := range s.blocks {
		if _, err := s.w.Write(b); err != nil {
			return fmt.Errorf("spooling the report's rows to %s: %w", f.Name(), err)
		}
	}
	s.blocks = nil
	_, err = s.w.Write(p)
	return err
}

// spoolReader reads a spool back.
type spoolReader interface {
	io.Reader
	io.ByteReader
}

// reader returns the spooled bytes from the start.
func (s *spool) reader() (spoolReader, error) {
	if s.f == nil {
		rs := make([]io.Reader, len(s.blocks))
		for i, b := range s.blocks {
			rs[i] = bytes.NewReader(b)
		}
		return bufio.NewReaderSize(io.MultiReader(rs...), 1<<16), nil
	}
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("spooling the report's rows to %s: %w", s.f.Name(), err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("reading the spooled rows back from %s: %w", s.f.Name(), err)
	}
	return bufio.NewReaderSize(s.f, 1<<16), nil
}

// copyTo writes the spooled bytes to w.
func (s *spool) copyTo(w io.Writer) error {
	if s.f == nil {
		for _, b := range s.blocks {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
	r, err := s.reader()
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// close releases the spool's memory and file.
func (s *spool) close() {
	if s.f != nil {
		s.f.Close()
	}
	*s = spool{}
}
