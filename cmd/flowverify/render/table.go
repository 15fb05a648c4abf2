package render

import (
	"io"
	"unicode/utf8"
)

// textTable is an aligned plain-text table held in memory. Columns listed
// in right are right-aligned (numbers).
type textTable struct {
	streamTable
	rows [][]string
}

func newTextTable(headers ...string) *textTable {
	return &textTable{streamTable: *newStreamTable(headers...)}
}

// alignRight marks columns (by index) as right-aligned.
func (t *textTable) alignRight(cols ...int) *textTable {
	t.streamTable.alignRight(cols...)
	return t
}

func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the table with two spaces between columns and no trailing
// blanks. Colour is applied only when useColour is true.
func (t *textTable) write(w io.Writer, useColour bool) error {
	return t.streamTable.write(w, useColour, func(emit func(cells ...string) error) error {
		for _, r := range t.rows {
			if err := emit(r...); err != nil {
				return err
			}
		}
		return nil
	})
}

// streamTable is an aligned plain-text table whose rows are produced twice
// by a generator (once to measure the columns, once to print), so that
// large tables need no memory per row. It is the one table writer of
// flowverify: two spaces between columns, numbers right-aligned where
// asked, the last column not padded, no trailing blanks, colour codes
// around cells (not counted in the widths) only on a terminal.
type streamTable struct {
	headers []string
	right   map[int]bool
	// colour optionally returns an ANSI colour code for a cell ("" for none).
	colour func(row, col int, cell string) string
	// measure, when set, replaces the first pass over the rows: it widens
	// width (the headers' widths) to the widest cell of each column.
	measure func(width []int)
}

func newStreamTable(headers ...string) *streamTable {
	return &streamTable{headers: headers, right: map[int]bool{}}
}

// alignRight marks columns (by index) as right-aligned.
func (t *streamTable) alignRight(cols ...int) *streamTable {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

// rowGenerator calls emit once per row, in order, and returns emit's first error.
type rowGenerator func(emit func(cells ...string) error) error

// write prints the header and the generated rows, aligned.
func (t *streamTable) write(w io.Writer, useColour bool, rows rowGenerator) error {
	return writeTable(w, t, useColour, func(emit func([]string) error) error {
		return rows(func(cells ...string) error { return emit(cells) })
	})
}

// writeBytes is write for a generator that emits each row's cells as
// byte slices (valid only during the emit call), without building strings
// per row.
func (t *streamTable) writeBytes(w io.Writer, useColour bool, rows func(emit func(cells [][]byte) error) error) error {
	return writeTable(w, t, useColour, rows)
}

// cell is the type of a table cell: a string or a byte slice.
type cell interface{ ~string | ~[]byte }

// writeTable prints the header and the generated rows of t, aligned.
func writeTable[C cell](w io.Writer, t *streamTable, useColour bool, rows func(emit func(cells []C) error) error) error {
	width := make([]int, len(t.headers))
	right := make([]bool, len(t.headers))
	for i, h := range t.headers {
		width[i] = utf8.RuneCountInString(h)
		right[i] = t.right[i]
	}
	if t.measure != nil {
		t.measure(width)
	} else if err := rows(func(cells []C) error {
		for i, c := range cells {
			if i < len(width) {
				width[i] = max(width[i], runeCount(c))
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var l []byte
	line := func(row int, cells []C) error {
		l = l[:0]
		for i, c := range cells {
			if i >= len(width) {
				break
			}
			pad := width[i] - runeCount(c)
			if i > 0 {
				l = append(l, "  "...)
			}
			if right[i] {
				l = appendSpaces(l, pad)
			}
			if code := ""; useColour && row >= 0 && t.colour != nil {
				if code = t.colour(row, i, string(c)); code != "" {
					l = append(l, "\x1b["...)
					l = append(l, code...)
					l = append(l, 'm')
					l = append(l, c...)
					l = append(l, "\x1b[0m"...)
				} else {
					l = append(l, c...)
				}
			} else {
				l = append(l, c...)
			}
			if !right[i] && i != len(cells)-1 {
				l = appendSpaces(l, pad)
			}
		}
		for len(l) > 0 && l[len(l)-1] == ' ' {
			l = l[:len(l)-1]
		}
		l = append(l, '\n')
		_, err := w.Write(l)
		return err
	}
	head := make([]C, len(t.headers))
	for i, h := range t.headers {
		head[i] = C(h)
	}
	if err := line(-1, head); err != nil {
		return err
	}
	row := 0
	return rows(func(cells []C) error {
		err := line(row, cells)
		row++
		return err
	})
}

// appendSpaces appends n spaces (none when n <= 0).
func appendSpaces(b []byte, n int) []byte {
	const spaces = "                                "
	for n > len(spaces) {
		b = append(b, spaces...)
		n -= len(spaces)
	}
	if n > 0 {
		b = append(b, spaces[:n]...)
	}
	return b
}

// runeCount counts the runes of a cell, with a fast path for ASCII.
func runeCount[C cell](c C) int {
	for i := 0; i < len(c); i++ {
		if c[i] >= utf8.RuneSelf {
			return utf8.RuneCountInString(string(c))
		}
	}
	return len(c)
}

// colourText wraps s in an ANSI colour code when on is true.
func colourText(s, code string, on bool) string {
	if !on || code == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// ANSI colour codes used in reports.
const (
	ansiRed    = "31"
	ansiGreen  = "32"
	ansiYellow = "33"
	ansiBold   = "1"
)
