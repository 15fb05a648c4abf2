package render

import (
	"strings"
	"unicode/utf8"
)

// writeWrapped writes prefix and text to b, then a newline, breaking text
// at spaces so that no line is wider than width columns (counted in
// runes); continuation lines are indented as wide as prefix. A word wider
// than the line is not broken. width 0 (or too narrow for the prefix)
// writes text on one line, byte for byte.
func writeWrapped(b *strings.Builder, prefix, text string, width int) {
	b.WriteString(prefix)
	indent := utf8.RuneCountInString(prefix)
	if width <= indent+1 || indent+utf8.RuneCountInString(text) <= width {
		b.WriteString(text)
		b.WriteByte('\n')
		return
	}
	col := indent
	for i, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(word)
		switch {
		case i == 0:
		case col+1+n > width:
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent))
			col = indent
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += n
	}
	b.WriteByte('\n')
}
