package render

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
	"time"
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
// large tables need no memory per row.
type streamTable struct {
	headers []string
	right   map[int]bool
	// colour optionally returns an ANSI colour code for a cell ("" for none).
	colour func(row, col int, cell string) string
	// measure, when set, replaces writeBytes's first pass: it widens
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
	width := make([]int, len(t.headers))
	for i, h := range t.headers {
		width[i] = utf8.RuneCountInString(h)
	}
	if err := rows(func(cells ...string) error {
		for i, c := range cells {
			if i < len(width) {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var l strings.Builder
	line := func(row int, cells []string) error {
		l.Reset()
		for i, c := range cells {
			if i >= len(width) {
				break
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			cell := c
			if useColour && row >= 0 && t.colour != nil {
				if code := t.colour(row, i, c); code != "" {
					cell = "\x1b[" + code + "m" + c + "\x1b[0m"
				}
			}
			if i > 0 {
				l.WriteString("  ")
			}
			if t.right[i] {
				l.WriteString(pad + cell)
			} else if i == len(cells)-1 {
				l.WriteString(cell)
			} else {
				l.WriteString(cell + pad)
			}
		}
		_, err := io.WriteString(w, strings.TrimRight(l.String(), " ")+"\n")
		return err
	}
	if err := line(-1, t.headers); err != nil {
		return err
	}
	row := 0
	return rows(func(cells ...string) error {
		err := line(row, cells)
		row++
		return err
	})
}

// writeBytes is write for a generator that emits each row's cells as
// byte slices (valid only during the emit call), printing exactly what
// write prints for the same cells without building strings per row.
func (t *streamTable) writeBytes(w io.Writer, useColour bool, rows func(emit func(cells [][]byte) error) error) error {
	width := make([]int, len(t.headers))
	right := make([]bool, len(t.headers))
	for i, h := range t.headers {
		width[i] = utf8.RuneCountInString(h)
		right[i] = t.right[i]
	}
	if t.measure != nil {
		t.measure(width)
	} else if err := rows(func(cells [][]byte) error {
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
	line := func(row int, cells [][]byte) error {
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
	head := make([][]byte, len(t.headers))
	for i, h := range t.headers {
		head[i] = []byte(h)
	}
	if err := line(-1, head); err != nil {
		return err
	}
	row := 0
	return rows(func(cells [][]byte) error {
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

// runeCount is utf8.RuneCount with a fast path for ASCII.
func runeCount(b []byte) int {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return utf8.RuneCount(b)
		}
	}
	return len(b)
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

// WriteJSON writes v as one indented JSON document (HTML characters not
// escaped), as every --format json document is written.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonLines writes one compact JSON object per line.
type jsonLines struct{ enc *json.Encoder }

func newJSONLines(w io.Writer) *jsonLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonLines{enc: enc}
}

func (j *jsonLines) write(v any) error { return j.enc.Encode(v) }

// writeCSV writes a header and rows as RFC 4180 CSV.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// rfc3339 formats t in UTC with nanoseconds when nano is true, else
// microseconds, trailing zeros kept so columns line up.
func rfc3339(t time.Time, nano bool) string {
	if t.IsZero() {
		return ""
	}
	if nano {
		return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// humanDuration prints a duration rounded for people: 0s, 1.234s, 2m03s.
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Microsecond).String()
	case d < time.Minute:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
