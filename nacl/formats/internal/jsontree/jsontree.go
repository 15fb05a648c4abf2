// Package jsontree is the one JSON reader of the NACL formats: it parses a
// document with encoding/json (so every valid escape such as \/ works)
// into a tree whose values keep their byte offset, so diagnostics can name
// line and column as well as the JSON path. The describe-network-acls
// reader walks the tree itself; the CloudFormation and terraform-json
// readers convert it to a yaml.Node tree with ToYAML.
package jsontree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Node kinds.
const (
	Object = 'o'
	Array  = 'a'
	String = 's'
	Number = 'n'
	Bool   = 'b'
	Null   = 'z'
)

// Node is a JSON value with the byte offset where it starts.
type Node struct {
	Kind  byte // Object, Array, String, Number, Bool or Null
	Off   int
	End   int      // offset just past the value
	Keys  []string // object keys, in document order (duplicates kept)
	Vals  []*Node  // object values, parallel to Keys
	Elems []*Node  // array elements
	Text  string   // string value or number literal
	Bool  bool     // boolean value
}

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 200

// Tree is a parsed document with its line table.
type Tree struct {
	data  []byte
	dec   *json.Decoder
	lines []int // byte offset of each line start
}

// New prepares data for Parse.
func New(data []byte) *Tree {
	t := &Tree{data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	t.dec = json.NewDecoder(bytes.NewReader(data))
	t.dec.UseNumber()
	return t
}

// Pos converts a byte offset to 1-based line and column and the offset.
func (t *Tree) Pos(off int) (line, col, byteOff int) {
	line, col = t.LineCol(off)
	return line, col, off
}

// LineCol converts a byte offset to 1-based line and column.
func (t *Tree) LineCol(off int) (int, int) {
	i := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - t.lines[i] + 1
}

// start returns the offset of the next token: the decoder's offset moved
// past whitespace and separators.
func (t *Tree) start() int {
	off := int(t.dec.InputOffset())
	for off < len(t.data) && strings.IndexByte(" \t\r\n,:", t.data[off]) >= 0 {
		off++
	}
	return off
}

// Parse reads one complete document; trailing data is an error. Errors
// are *SyntaxError values carrying the byte offset.
func (t *Tree) Parse() (*Node, error) {
	n, err := t.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := t.dec.Token(); !errors.Is(err, io.EOF) {
		return n, t.errAt(t.start(), "unexpected data after the JSON document")
	}
	return n, nil
}

// SyntaxError is a JSON syntax error at a byte offset.
type SyntaxError struct {
	Off int
	Msg string
}

// Error returns the message.
func (e *SyntaxError) Error() string { return e.Msg }

// ErrorOffset returns the byte offset of a Parse error (0 when unknown).
func ErrorOffset(err error) int {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Off
	}
	return 0
}

func (t *Tree) errAt(off int, format string, args ...any) error {
	return &SyntaxError{Off: off, Msg: fmt.Sprintf(format, args...)}
}

// wrap converts decoder errors to SyntaxErrors with an offset.
func (t *Tree) wrap(off int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Off: int(se.Offset), Msg: se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &SyntaxError{Off: len(t.data), Msg: "unexpected end of JSON input"}
	}
	return &SyntaxError{Off: off, Msg: err.Error()}
}

func (t *Tree) value(depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, t.errAt(t.start(), "JSON nested deeper than %d levels", MaxDepth)
	}
	off := t.start()
	tok, err := t.dec.Token()
	if err != nil {
		return nil, t.wrap(off, err)
	}
	n := &Node{Off: off}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n.Kind = Object
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
				n.Keys = append(n.Keys, k)
				n.Vals = append(n.Vals, val)
			}
		case '[':
			n.Kind = Array
			for t.dec.More() {
				val, err := t.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Elems = append(n.Elems, val)
			}
		default:
			return nil, t.errAt(off, "unexpected %q", v)
		}
		eoff := t.start()
		if _, err := t.dec.Token(); err != nil { // closing delimiter
			return nil, t.wrap(eoff, err)
		}
	case string:
		n.Kind, n.Text = String, v
	case json.Number:
		n.Kind, n.Text = Number, v.String()
	case bool:
		n.Kind, n.Bool = Bool, v
	case nil:
		n.Kind = Null
	}
	n.End = int(t.dec.InputOffset())
	return n, nil
}

// Get returns the value of key in an object (exact spelling preferred,
// else case-insensitive; the last duplicate wins), or nil when n is not an
// object, the key is absent, or the value is null.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	var found *Node
	for i, k := range n.Keys {
		if k == key {
			found = n.Vals[i]
		}
	}
	if found == nil {
		for i, k := range n.Keys {
			if strings.EqualFold(k, key) {
				found = n.Vals[i]
			}
		}
	}
	if found != nil && found.Kind == Null {
		return nil
	}
	return found
}

// KindName names a node kind for messages.
func (n *Node) KindName() string {
	switch n.Kind {
	case Object:
		return "an object"
	case Array:
		return "an array"
	case String:
		return "a string"
	case Number:
		return "a number"
	case Bool:
		return "a boolean"
	}
	return "null"
}

// ToYAML converts the tree to a yaml.Node tree with the same line and
// column on every node and the tags a YAML parser would give the JSON
// values (!!str for every string, even "6" or "true").
func (t *Tree) ToYAML(n *Node) *yaml.Node {
	line, col := t.LineCol(n.Off)
	y := &yaml.Node{Line: line, Column: col}
	switch n.Kind {
	case Object:
		y.Kind, y.Tag = yaml.MappingNode, "!!map"
		y.Content = make([]*yaml.Node, 0, 2*len(n.Keys))
		for i, k := range n.Keys {
			kl, kc := t.LineCol(t.keyOff(n, i))
			y.Content = append(y.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: kl, Column: kc}, t.ToYAML(n.Vals[i]))
		}
	case Array:
		y.Kind, y.Tag = yaml.SequenceNode, "!!seq"
		y.Content = make([]*yaml.Node, 0, len(n.Elems))
		for _, e := range n.Elems {
			y.Content = append(y.Content, t.ToYAML(e))
		}
	case String:
		y.Kind, y.Tag, y.Value = yaml.ScalarNode, "!!str", n.Text
	case Number:
		y.Kind, y.Tag, y.Value = yaml.ScalarNode, "!!int", n.Text
		if strings.ContainsAny(n.Text, ".eE") {
			y.Tag = "!!float"
		}
	case Bool:
		y.Kind, y.Tag, y.Value = yaml.ScalarNode, "!!bool", "false"
		if n.Bool {
			y.Value = "true"
		}
	default:
		y.Kind, y.Tag, y.Value = yaml.ScalarNode, "!!null", "null"
	}
	return y
}

// keyOff finds the offset of the i-th key of object n: the last '"' that
// opens a string before its value's offset (keys are strings; the scan
// goes back over ':' and whitespace and then the key's text).
func (t *Tree) keyOff(n *Node, i int) int {
	end := n.Vals[i].Off
	j := end - 1
	for j >= 0 && strings.IndexByte(" \t\r\n:", t.data[j]) >= 0 {
		j--
	}
	// j is at the closing quote of the key; find the opening quote that is
	// not escaped.
	for k := j - 1; k >= n.Off; k-- {
		if t.data[k] == '"' {
			bs := 0
			for b := k - 1; b >= 0 && t.data[b] == '\\'; b-- {
				bs++
			}
			if bs%2 == 0 {
				return k
			}
		}
	}
	return end
}

// Decode parses data and converts it with ToYAML. On a syntax error it
// returns the 1-based line and column of the error.
func Decode(data []byte) (root *yaml.Node, line, col int, err error) {
	t := New(data)
	n, err := t.Parse()
	if err != nil {
		line, col = t.LineCol(ErrorOffset(err))
		return nil, line, col, err
	}
	return t.ToYAML(n), 0, 0, nil
}
