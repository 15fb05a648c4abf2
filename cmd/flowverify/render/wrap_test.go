package render

import (
	"strings"
	"testing"
)

func TestWriteWrapped(t *testing.T) {
	cases := []struct {
		prefix, text string
		width        int
		want         string
	}{
		{"- ", "one two three", 0, "- one two three\n"},
		{"- ", "one two three", 13, "- one two\n  three\n"},
		{"  ", "aaaa bbbb cccc dddd", 11, "  aaaa bbbb\n  cccc dddd\n"},
		{"  ", "short", 80, "  short\n"},
		{"  ", "averyveryverylongword x", 8, "  averyveryverylongword\n  x\n"},
		{"- ", "x y", 2, "- x y\n"}, // too narrow for the prefix: not wrapped
	}
	for _, c := range cases {
		var b strings.Builder
		writeWrapped(&b, c.prefix, c.text, c.width)
		if b.String() != c.want {
			t.Errorf("writeWrapped(%q, %q, %d) = %q, want %q", c.prefix, c.text, c.width, b.String(), c.want)
		}
	}
}
