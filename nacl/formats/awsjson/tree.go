package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// node is a JSON value with the byte offset where it starts, so that
// diagnostics can name line and column as well as the JSON path.
type node struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	off   int
	keys  []string
	vals  []*node
	elems []*node
	text  string // string value or number literal
	b     bool
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// tree parses data into nodes.
type tree struct {
	data  []byte
	dec   *json.Decoder
	lines []int // byte offset of each line start
}

func newTree(data []byte) *tree {
	t := &tree{data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	t.dec = json.NewDecoder(bytes.NewReader(data))
	t.dec.UseNumber()
	return t
}

// lineCol converts a byte offset to 1-based line and column.
func (t *tree) lineCol(off int) (int, int) {
	i := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - t.lines[i] + 1
}

// start returns the offset of the next token: the decoder's offset moved
// past whitespace and separators.
func (t *tree) start() int {
	off := int(t.dec.InputOffset())
	for off < len(t.data) && strings.IndexByte(" \t\r\n,:", t.data[off]) >= 0 {
		off++
	}
	return off
}

// parse reads one complete document; trailing data is an error.
func (t *tree) parse() (*node, error) {
	n, err := t.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := t.dec.Token(); !errors.Is(err, io.EOF) {
		return n, t.errAt(t.start(), "unexpected data after the JSON document")
	}
	return n, nil
}

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	off int
	msg string
}

// Error returns the message.
func (e *syntaxError) Error() string { return e.msg }

func (t *tree) errAt(off int, format string, args ...any) error {
	return &syntaxError{off: off, msg: fmt.Sprintf(format, args...)}
}

// wrap converts decoder errors to syntaxErrors with an offset.
func (t *tree) wrap(off int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxError{off: int(se.Offset), msg: se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &syntaxError{off: len(t.data), msg: "unexpected end of JSON input"}
	}
	return &syntaxError{off: off, msg: err.Error()}
}

func (t *tree) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, t.errAt(t.start(), "JSON nested deeper than %d levels", maxDepth)
	}
	off := t.start()
	tok, err := t.dec.Token()
	if err != nil {
		return nil, t.wrap(off, err)
	}
	n := &node{off: off}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n.kind = 'o'
			for t.dec.More() {
				koff := t.start()
				kt, err := t.dec.Token()
				if err != nil {
					return nil, t.wrap(koff, err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, t.errAt(koff, "object key is not a string")
				}
				val, err := t.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, val)
			}
		case '[':
			n.kind = 'a'
			for t.dec.More() {
				val, err := t.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, val)
			}
		default:
			return nil, t.errAt(off, "unexpected %q", v)
		}
		eoff := t.start()
		if _, err := t.dec.Token(); err != nil { // closing delimiter
			return nil, t.wrap(eoff, err)
		}
	case string:
		n.kind, n.text = 's', v
	case json.Number:
		n.kind, n.text = 'n', v.String()
	case bool:
		n.kind, n.b = 'b', v
	case nil:
		n.kind = 'z'
	}
	return n, nil
}

// get returns the value of key in an object (exact spelling preferred,
// else case-insensitive; the last duplicate wins), or nil when n is not an
// object, the key is absent, or the value is null.
func (n *node) get(key string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	var found *node
	for i, k := range n.keys {
		if k == key {
			found = n.vals[i]
		}
	}
	if found == nil {
		for i, k := range n.keys {
			if strings.EqualFold(k, key) {
				found = n.vals[i]
			}
		}
	}
	if found != nil && found.kind == 'z' {
		return nil
	}
	return found
}

// kindName names a node kind for messages.
func (n *node) kindName() string {
	switch n.kind {
	case 'o':
		return "an object"
	case 'a':
		return "an array"
	case 's':
		return "a string"
	case 'n':
		return "a number"
	case 'b':
		return "a boolean"
	}
	return "null"
}
