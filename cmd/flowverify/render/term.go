package render

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"
)

// Terminal safety. Strings from input files (ACL IDs, names, tags,
// comments, file names) reach every report; a NACL file or capture name
// holding ESC, BEL or NUL could otherwise retitle the terminal, erase
// lines or hide text. Escape (for one string) and TermWriter (for a
// whole output stream) write every such character as an escape instead:
// one rule, in this file.
//
// What is escaped: the C0 controls (U+0000-U+001F; TermWriter keeps
// newline and tab between strings), DEL, the C1 controls (U+0080-U+009F,
// which some terminals obey as 8-bit CSI/OSC), the Unicode bidirectional
// overrides and isolates (U+202A-U+202E, U+2066-U+2069: "Trojan source"
// reordering) and bytes that are not UTF-8. A character is written as
// \uXXXX, the escape JSON and HCL strings use too, so that escaping a
// JSON or Terraform document keeps it valid and its meaning unchanged
// (encoding/json already escapes the C0 controls); a stray byte as \xNN.

// dangerous reports whether r must be escaped.
func dangerous(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// appendEscaped appends the escape of r (\uXXXX).
func appendEscaped(b []byte, r rune) []byte {
	return fmt.Appendf(b, `\u%04x`, r)
}

// Escape returns s with every character a terminal could obey escaped
// (newlines and tabs too: one field never spans lines), for a string
// from an input file that is written on its own.
func Escape(s string) string {
	i := plainPrefix(s)
	if i == len(s) {
		return s
	}
	b := []byte(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = fmt.Appendf(b, `\x%02x`, s[i])
		case dangerous(r):
			b = appendEscaped(b, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// TermWriter escapes, as Escape does, everything written to it except
// newlines, tabs and (when colour is on) the colour codes reports emit
// themselves (ESC [ digits/semicolons m). It is meant for the whole text
// output of a command, so that no report, message or future field can
// pass a control character through. Characters split across writes are
// held until complete; Flush writes what is held at the end.
type TermWriter struct {
	w       io.Writer
	colour  bool
	pending []byte
	buf     []byte
}

// NewTermWriter returns a TermWriter writing to w; colour lets the
// reports' own SGR colour codes through.
func NewTermWriter(w io.Writer, colour bool) *TermWriter {
	return &TermWriter{w: w, colour: colour}
}

// maxSGR bounds the colour sequence held across writes.
const maxSGR = 16

// Write escapes p and writes it; it reports len(p) on success.
func (t *TermWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(t.pending) > 0 {
		p = append(t.pending, p...)
		t.pending = nil
	}
	i := safePrefix(p)
	if i == len(p) {
		_, err := t.w.Write(p)
		return n, err
	}
	out := append(t.buf[:0], p[:i]...)
	for i < len(p) {
		c := p[i]
		if safeByte(c) {
			out = append(out, c)
			i++
			continue
		}
		if c == 0x1b && t.colour {
			k := i + 1
			if k < len(p) && p[k] == '[' {
				k++
				for k < len(p) && k-i < maxSGR && (p[k] == ';' || (p[k] >= '0' && p[k] <= '9')) {
					k++
				}
			}
			if k == len(p) && k-i < maxSGR {
				t.pending = append([]byte(nil), p[i:]...) // maybe a colour code cut by the write
				break
			}
			if k < len(p) && k > i+1 && p[k] == 'm' {
				out = append(out, p[i:k+1]...)
				i = k + 1
				continue
			}
		}
		if c < utf8.RuneSelf {
			out = appendEscaped(out, rune(c))
			i++
			continue
		}
		if !utf8.FullRune(p[i:]) {
			t.pending = append([]byte(nil), p[i:]...)
			break
		}
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, c)
		case dangerous(r):
			out = appendEscaped(out, r)
		default:
			out = append(out, p[i:i+size]...)
		}
		i += size
	}
	t.buf = out[:0]
	_, err := t.w.Write(out)
	return n, err
}

// writeSafe writes p, whose every byte safeByte accepts (checked by the
// caller, often on another goroutine), without scanning it again.
func (t *TermWriter) writeSafe(p []byte) (int, error) {
	if len(t.pending) > 0 {
		return t.Write(p)
	}
	return t.w.Write(p)
}

// safeWriter writes to a TermWriter bytes already found safe.
type safeWriter struct{ t *TermWriter }

func (s safeWriter) Write(p []byte) (int, error) { return s.t.writeSafe(p) }

// Flush writes what a write left incomplete (an unfinished character or
// colour code), escaped.
func (t *TermWriter) Flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	p := t.pending
	t.pending = nil
	_, err := io.WriteString(t.w, Escape(string(p)))
	return err
}

// safePrefix returns the length of p's leading run of safe bytes. It
// looks at 32, then eight bytes at a time (the whole output of a command
// passes here): a word without a byte below 0x20 or from 0x7f up is safe; one
// with such a byte is checked byte by byte (newlines and tabs are safe).
func safePrefix(p []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	// 32 bytes at a time while all are safe (one branch for four words);
	// the first block that may not be is looked at again below.
	for ; i+32 <= len(p); i += 32 {
		x0, x1 := binary.LittleEndian.Uint64(p[i:]), binary.LittleEndian.Uint64(p[i+8:])
		x2, x3 := binary.LittleEndian.Uint64(p[i+16:]), binary.LittleEndian.Uint64(p[i+24:])
		if (x0|(x0-0x20*ones)|(x0+ones)|x1|(x1-0x20*ones)|(x1+ones)|
			x2|(x2-0x20*ones)|(x2+ones)|x3|(x3-0x20*ones)|(x3+ones))&highs != 0 {
			break
		}
	}
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		// High bit set: 0x80 and up. Below 0x20: x-0x20.. borrows into
		// the high bit of a byte that had it clear. 0x7f: x+0x01 carries
		// into it.
		if (x|(x-0x20*ones)|(x+ones))&highs == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if !safeByte(p[j]) {
				return j
			}
		}
	}
	for ; i < len(p); i++ {
		if !safeByte(p[i]) {
			return i
		}
	}
	return i
}

// plainPrefix returns the length of s's leading run of printable ASCII
// (0x20-0x7e): what every writer passes as it is (TermWriter, JSON, CSV).
func plainPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	return i
}

// plainASCII reports whether s is printable ASCII only.
func plainASCII(s string) bool { return plainPrefix(s) == len(s) }

// safeByte reports whether c is printable ASCII, a newline or a tab.
func safeByte(c byte) bool {
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t'
}

// Output is a buffered writer that knows whether it writes into a
// TermWriter: chunks of a listing found terminal-safe on the goroutines
// that rendered them are then written to the TermWriter directly,
// skipping its scan (writeListed). NewOutput pairs the buffer with the
// TermWriter it writes into, so that bytes written past the buffer always
// reach the same place.
type Output struct {
	*bufio.Writer
	term *TermWriter
}

// NewOutput returns an Output of size bytes writing to out.
func NewOutput(out io.Writer, size int) *Output {
	t, _ := out.(*TermWriter)
	return &Output{Writer: bufio.NewWriterSize(out, size), term: t}
}

// termOf returns the TermWriter w writes into when w is an Output that
// writes into one, else nil.
func termOf(w io.Writer) *TermWriter {
	if o, ok := w.(*Output); ok {
		return o.term
	}
	return nil
}

// minDirect is the smallest listing chunk written straight to the
// TermWriter (see writeListed): below it, the buffered write is cheaper
// than flushing the buffer for it.
const minDirect = 4 << 10

// writeListed writes b, a chunk of a listing, to w. When safe (every byte
// of b found terminal-safe by its renderer), w is an Output over a
// TermWriter and b is large, it flushes w and writes b to the TermWriter
// without its scan (TermWriter.writeSafe).
func writeListed(w io.Writer, b []byte, safe bool) error {
	if o, ok := w.(*Output); ok && safe && o.term != nil && len(b) >= minDirect {
		if err := o.Flush(); err != nil {
			return err
		}
		_, err := o.term.writeSafe(b)
		return err
	}
	_, err := w.Write(b)
	return err
}
