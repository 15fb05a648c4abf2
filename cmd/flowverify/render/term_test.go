package render

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"acl-0123 web":              "acl-0123 web",
		"a\x1b]0;pwned\ab":          `a\u001b]0;pwned\u0007b`,
		"x\x00y\r\nz\t":             `x\u0000y\u000d\u000az\u0009`,
		"caf\u00e9 \u65e5\u672c":    "caf\u00e9 \u65e5\u672c",
		"c1 \u009b31m":              `c1 \u009b31m`,
		"bidi \u202eevil\u2066":     `bidi \u202eevil\u2066`,
		"bad \xff byte":             `bad \xff byte`,
		"del \x7f":                  `del \u007f`,
		"web\x1b[2J (erase screen)": `web\u001b[2J (erase screen)`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// writeChunks writes s to a TermWriter in pieces of n bytes (cutting
// characters and colour codes) and returns what came out.
func writeChunks(t *testing.T, s string, n int, colour bool) string {
	t.Helper()
	var b bytes.Buffer
	w := NewTermWriter(&b, colour)
	for len(s) > 0 {
		k := min(n, len(s))
		if m, err := w.Write([]byte(s[:k])); err != nil || m != k {
			t.Fatalf("Write: %d, %v", m, err)
		}
		s = s[k:]
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTermWriter: whatever the write boundaries, control characters from
// data are escaped, newlines, tabs, UTF-8 text and (with colour) the
// reports' own colour codes pass.
func TestTermWriter(t *testing.T) {
	in := "id\tacl-1\x1b]0;pwned\a\n\x1b[31mdenied\x1b[0m caf\u00e9 \u009b2J \u202eevil \xff\n"
	wantColour := "id\tacl-1\\u001b]0;pwned\\u0007\n\x1b[31mdenied\x1b[0m caf\u00e9 \\u009b2J \\u202eevil \\xff\n"
	wantPlain := strings.NewReplacer("\x1b[31m", `\u001b[31m`, "\x1b[0m", `\u001b[0m`).Replace(wantColour)
	for n := 1; n <= len(in); n++ {
		if got := writeChunks(t, in, n, true); got != wantColour {
			t.Fatalf("colour, writes of %d bytes:\n got %q\nwant %q", n, got, wantColour)
		}
		if got := writeChunks(t, in, n, false); got != wantPlain {
			t.Fatalf("no colour, writes of %d bytes:\n got %q\nwant %q", n, got, wantPlain)
		}
	}
	// A colour-looking sequence that never ends is escaped, not held.
	if got := writeChunks(t, "\x1b[31;31;31;31;31;31;31", 64, true); strings.Contains(got, "\x1b") {
		t.Errorf("unterminated SGR passed: %q", got)
	}
	// An incomplete character at the very end is flushed, escaped.
	if got := writeChunks(t, "ok \xe6\x97", 64, false); got != `ok \xe6\x97` {
		t.Errorf("truncated UTF-8 at the end: %q", got)
	}
}

// TestTermWriterKeepsJSON: a JSON document through the writer stays
// valid and means the same (C1 and bidi characters become \u escapes).
func TestTermWriterKeepsJSON(t *testing.T) {
	doc, _ := json.Marshal(map[string]string{"id": "acl-\x1b]0;x\a", "name": "web\u009b2J\u202eevil"})
	var b bytes.Buffer
	w := NewTermWriter(&b, false)
	w.Write(doc)
	w.Flush()
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("escaped JSON is invalid: %v\n%s", err, b.String())
	}
	if back["id"] != "acl-\x1b]0;x\a" || back["name"] != "web\u009b2J\u202eevil" {
		t.Errorf("escaped JSON changed its values: %q", back)
	}
	if strings.ContainsAny(b.String(), "\x1b\u009b\u202e") {
		t.Errorf("raw control characters left: %q", b.String())
	}
}

// TestSafePrefixMatchesBytewise: the eight-bytes-at-a-time scan finds the
// same first unsafe byte as a byte-by-byte one.
func TestSafePrefixMatchesBytewise(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2))
	alphabet := []byte("a Z~\n\t\x00\x1f\x20\x7e\x7f\x80\xff\x1b\x9b")
	for n := range 40_000 {
		// Short runs with many unsafe bytes, then long ones with few (past
		// the 32-byte blocks).
		size, odds := 40, 8
		if n%2 == 1 {
			size, odds = 300, 150
		}
		p := make([]byte, r.IntN(size))
		for i := range p {
			if r.IntN(odds) == 0 {
				p[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				p[i] = byte(0x20 + r.IntN(0x5f))
			}
		}
		want := 0
		for want < len(p) && safeByte(p[want]) {
			want++
		}
		if got := safePrefix(p); got != want {
			t.Fatalf("safePrefix(%q) = %d, want %d", p, got, want)
		}
	}
}

// BenchmarkTermWriter measures the escaping writer on report text (the
// packet listing of check --packets): safe bytes are passed through.
func BenchmarkTermWriter(b *testing.B) {
	line := []byte("webserver.pcap  1234  2026-11-24T03:18:49.123456Z  tcp  198.51.100.23  50234  10.0.1.10  80  10  request  allow  in#100:allow\n")
	chunk := bytes.Repeat(line, 64<<10/len(line))
	w := NewTermWriter(io.Discard, false)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		w.Write(chunk)
	}
}
