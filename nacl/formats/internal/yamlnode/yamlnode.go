// Package yamlnode holds the helpers the CloudFormation and Terraform
// readers share for documents decoded into yaml.Node trees (which keep the
// line and column of every value).
package yamlnode

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/jsontree"
	"go.yaml.in/yaml/v4"
)

// DecodeJSON parses a JSON document with the shared JSON reader (every
// valid escape, such as \/, works) into a yaml.Node tree that keeps the
// line and column of every value. On a syntax error it returns an
// "invalid JSON" error and its position in file name.
func DecodeJSON(name string, data []byte) (*yaml.Node, nacl.Pos, error) {
	root, line, col, err := jsontree.Decode(data)
	if err != nil {
		return nil, nacl.Pos{File: name, Line: line, Col: col}, fmt.Errorf("invalid JSON: %v", err)
	}
	return root, nacl.Pos{}, nil
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
