// Package yamlnode holds the helpers the CloudFormation and Terraform
// readers share for documents decoded into yaml.Node trees (which keep the
// line and column of every value).
package yamlnode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/nacl"
	"go.yaml.in/yaml/v4"
)

// PrepareJSON checks that data is valid JSON and returns it ready for
// yaml.Unmarshal. On a syntax error it returns an "invalid JSON" error and
// its position in file name (line and column when known).
func PrepareJSON(name string, data []byte) ([]byte, nacl.Pos, error) {
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		pos := nacl.Pos{File: name}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			pos.Line, pos.Col = LineCol(data, int(se.Offset))
		}
		return nil, pos, fmt.Errorf("invalid JSON: %v", err)
	}
	// In valid JSON a tab can only be whitespace; YAML rejects some tabs.
	return bytes.ReplaceAll(data, []byte("\t"), []byte(" ")), nacl.Pos{}, nil
}

// LineCol converts a byte offset to a 1-based line and column.
func LineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// Get returns the value of key in mapping n, or nil.
func Get(n *yaml.Node, key string) *yaml.Node {
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
