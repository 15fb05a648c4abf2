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
// bytes in memory, then continues in a temporary file that is unlinked
// at once (nothing is left behind, even after a crash).
type spool struct {
	mem []byte
	f   *os.File
	w   *bufio.Writer
}

// write appends p.
func (s *spool) write(p []byte) error {
	if s.w != nil {
		_, err := s.w.Write(p)
		return err
	}
	if len(s.mem)+len(p) <= spoolMemory {
		s.mem = append(s.mem, p...)
		return nil
	}
	f, err := os.CreateTemp("", "flowverify-spool-*")
	if err != nil {
		return fmt.Errorf("spooling the report's rows: %w", err)
	}
	os.Remove(f.Name())
	s.f, s.w = f, bufio.NewWriterSize(f, 1<<16)
	if _, err := s.w.Write(s.mem); err != nil {
		return fmt.Errorf("spooling the report's rows to %s: %w", f.Name(), err)
	}
	s.mem = nil
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
		return bytes.NewReader(s.mem), nil
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
		_, err := w.Write(s.mem)
		return err
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
