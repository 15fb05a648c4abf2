package render

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// refWriteJSON is what WriteJSON wrote before it laid out the compact
// encoding itself: encoding/json's Encoder indenting the document.
func refWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// FuzzAppendIndentJSON: for any valid JSON (compacted first, as an
// Encoder writes it), appendIndentJSON lays it out as json.Indent does,
// with and without a prefix; and WriteJSON of the decoded value writes
// what the indenting Encoder writes.
func FuzzAppendIndentJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[1,2,{"c":"x\\\"]},{"}],"d":null}`, `"s"`, `[[],[{}],{"k":[true,false]}]`, `{"\u003c":"\\"}`, `-1.5e3`, `{"a":"\u2028<>&"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var compact bytes.Buffer
		if json.Compact(&compact, src) != nil {
			return
		}
		for _, prefix := range []string{"", "    "} {
			var want bytes.Buffer
			if err := json.Indent(&want, compact.Bytes(), prefix, "  "); err != nil {
				t.Fatal(err)
			}
			if got := appendIndentJSON(nil, compact.Bytes(), prefix, "  "); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("prefix %q: got\n%s\nwant\n%s", prefix, got, want.Bytes())
			}
		}
		var v any
		if json.Unmarshal(compact.Bytes(), &v) != nil {
			return
		}
		var got, want bytes.Buffer
		if err := WriteJSON(&got, v); err != nil {
			t.Fatal(err)
		}
		if err := refWriteJSON(&want, v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("WriteJSON:\n%s\nEncoder:\n%s", got.Bytes(), want.Bytes())
		}
	})
}
