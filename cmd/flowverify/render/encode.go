package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
)

// WriteJSON writes v as one indented JSON document (HTML characters not
// escaped), as every --format json document is written: the bytes of an
// Encoder with SetIndent("", "  ") and SetEscapeHTML(false).
func WriteJSON(w io.Writer, v any) error {
	b, err := appendEncodedIndented(nil, v, "")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// appendEncodedIndented appends v as an Encoder with SetIndent(prefix,
// "  ") and SetEscapeHTML(false) writes it, without its newline: encoded
// compact, then laid out by appendIndentJSON (the Encoder's own
// indentation cost as much as the encoding on large documents).
func appendEncodedIndented(dst []byte, v any, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return appendIndentJSON(dst, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), prefix, "  "), nil
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
