package render

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// CheckCSVHeader is the header of --format csv.
var CheckCSVHeader = []string{"id", "proto", "client", "client_port", "server", "server_port", "state", "status",
	"request_verdict", "request_checks", "request_packets", "request_denied",
	"response_verdict", "response_checks", "response_packets", "response_denied",
	"first_denied", "first_denied_file", "first_denied_frame", "explanation", "fix", "class", "cause"}

// WriteCheckCSV writes the header (CheckCSVHeader) and one record per
// listed conversation, byte for byte as encoding/csv's Writer writes
// them (check_csv_test.go compares both), without holding them all and
// without a []string per record.
func (o *Options) WriteCheckCSV(w *Output, r *replay.Report) error {
	if _, err := w.Write(appendCSVRecord(w.AvailableBuffer(), CheckCSVHeader)); err != nil {
		return err
	}
	return o.eachListedOrdered(r, w.term != nil, func(ow *Options, cr *replay.ConvResult, b []byte) []byte {
		return ow.appendCheckCSVRecord(b, r, cr)
	}, func(b []byte, safe bool) error { return writeListed(w, b, safe) })
}

// appendCheckCSVRecord appends the CSV record of one conversation (see
// CheckCSVHeader) with its newline.
func (o *Options) appendCheckCSVRecord(b []byte, r *replay.Report, cr *replay.ConvResult) []byte {
	c := cr.Conv
	ports := c.HasPorts()
	b = strconv.AppendInt(b, int64(c.ID), 10)
	b = appendCSVField(append(b, ','), flows.ProtoName(c.Proto))
	b = appendCSVAddrPort(b, c.Client, ports)
	b = appendCSVAddrPort(b, c.Server, ports)
	b = appendCSVField(append(b, ','), string(c.State))
	b = appendCSVField(append(b, ','), string(cr.Status))
	for _, l := range []*replay.Leg{&cr.Request, &cr.Response} {
		v := string(l.Verdict)
		if v == "" {
			v = "none"
		}
		b = appendCSVField(append(b, ','), v)
		b = append(b, ',')
		start := len(b)
		b = quoteCSVTail(appendChecks(b, l.Checks, true), start)
		b = appendCount(append(b, ','), l.Packets)
		b = appendCount(append(b, ','), l.Denied)
	}
	// The first denied packet of either leg (the earlier time as printed).
	var fd string
	var fl *replay.Leg
	for _, l := range []*replay.Leg{&cr.Request, &cr.Response} {
		if l.Denied == 0 {
			continue
		}
		if t := o.FormatTime(l.FirstDenied); fd == "" || t < fd {
			fd, fl = t, l
		}
	}
	b = appendCSVField(append(b, ','), fd)
	b = append(b, ',')
	if fl != nil {
		b = appendCSVField(b, o.file(fl.FirstDeniedFrame.File))
		b = strconv.AppendInt(append(b, ','), fl.FirstDeniedFrame.Frame, 10)
	} else {
		b = append(b, ',')
	}
	b = append(b, ',')
	start := len(b)
	for i, s := range o.sentences(cr) {
		if i > 0 {
			b = append(b, " | "...)
		}
		b = append(b, s...)
	}
	b = quoteCSVTail(b, start)
	b = append(b, ',')
	start = len(b)
	for i, f := range cr.Fixes {
		if i > 0 {
			b = append(b, " | "...)
		}
		b = append(b, r.Fixes[f].Line...)
	}
	b = quoteCSVTail(b, start)
	b = appendCSVField(append(b, ','), string(cr.Class.Class))
	b = appendCSVField(append(b, ','), string(cr.Class.Cause))
	return append(b, '\n')
}

// appendCSVAddrPort appends ",ADDR,PORT" (PORT empty without ports).
func appendCSVAddrPort(b []byte, e flows.Endpoint, ports bool) []byte {
	b = append(appendCSVAddr(append(b, ','), e), ',')
	if ports {
		b = strconv.AppendUint(b, uint64(e.Port), 10)
	}
	return b
}

// appendCSVAddr appends e's address as a CSV field (as Addr.String: a
// zone may hold anything).
func appendCSVAddr(b []byte, e flows.Endpoint) []byte {
	if !e.Addr.IsValid() {
		return append(b, "invalid IP"...)
	}
	start := len(b)
	return quoteCSVTail(e.Addr.AppendTo(b), start)
}

// appendCSVRecord appends fields as one CSV record (a header).
func appendCSVRecord(b []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, f)
	}
	return append(b, '\n')
}

// appendCSVField appends one CSV field as encoding/csv's Writer (comma
// separator, LF line ends) writes it: quoted when it must be.
func appendCSVField(b []byte, f string) []byte {
	start := len(b)
	return quoteCSVTail(append(b, f...), start)
}

// quoteCSVTail quotes b[start:], one field appended raw, when
// encoding/csv would: when it holds a quote, a comma, a CR or an LF, is
// `\.`, or starts with a space character; quotes inside are doubled.
func quoteCSVTail(b []byte, start int) []byte {
	f := b[start:]
	if !csvNeedsQuotes(f) {
		return b
	}
	var tmp [256]byte
	raw := append(tmp[:0], f...)
	b = append(b[:start], '"')
	for _, c := range raw {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma separator.
func csvNeedsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if string(f) == `\.` {
		return true
	}
	for _, c := range f {
		if c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	r, _ := utf8.DecodeRune(f)
	return unicode.IsSpace(r)
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }
