package capture

import "time"

// record is one raw capture record as a file reader returns it. data is
// owned by the reader and valid until its next call.
type record struct {
	data     []byte
	ts       time.Time
	capLen   int
	wireLen  int
	linkType uint16
	// offset is the byte offset of the record in the (decompressed) file, -1 if unknown.
	offset int64
}

// recordReader reads the records of one capture file.
type recordReader interface {
	// next fills r with the next record. It returns io.EOF at a clean
	// end; any other error is a fatal problem (a *fileProblem says where) and
	// may come with a last, partial record in r (r.data != nil).
	next(r *record) error
}

// fileProblem is an error that knows where in the file it happened.
type fileProblem struct {
	frame  int64
	offset int64
	reason string
}

// Error returns the problem's reason.
func (e *fileProblem) Error() string { return e.reason }
