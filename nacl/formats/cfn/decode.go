package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/flowverify/flowverify/nacl"
	"gopkg.in/yaml.v3"
)

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses a template (JSON or YAML) into a node tree. On a syntax
// error it returns the position.
func decode(name string, data []byte) (*yaml.Node, nacl.Pos, error) {
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trim) > 0 && trim[0] == '{' {
		var probe any
		if err := json.Unmarshal(data, &probe); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				line, col := lineCol(data, int(se.Offset))
				return nil, nacl.Pos{File: name, Line: line, Col: col}, fmt.Errorf("invalid JSON: %v", err)
			}
			return nil, nacl.Pos{File: name}, fmt.Errorf("invalid JSON: %v", err)
		}
		// In valid JSON a tab can only be whitespace; YAML rejects some tabs.
		data = bytes.ReplaceAll(data, []byte("\t"), []byte(" "))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pos := nacl.Pos{File: name}
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			pos.Line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, pos, fmt.Errorf("invalid YAML: %s", msg)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, nacl.Pos{File: name}, errors.New("empty template")
	}
	return doc.Content[0], nacl.Pos{}, nil
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// mapGet returns the value of key in mapping n, or nil.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// kindName names a node's kind for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// resolveAlias follows YAML aliases.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}
