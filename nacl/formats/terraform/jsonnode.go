package terraform

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/yamlnode"
	"go.yaml.in/yaml/v4"
)

// decodeJSON parses JSON into a yaml.Node tree, which keeps the line and
// column of every value. On a syntax error it returns its position.
func decodeJSON(name string, data []byte) (*yaml.Node, nacl.Pos, error) {
	return yamlnode.DecodeJSON(name, data)
}

// str returns the string value of a scalar node, "" otherwise.
func str(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// nodeAttr converts a scalar node to an attr.
func nodeAttr(n *yaml.Node, pos nacl.Pos) (attr, error) {
	a := attr{pos: pos}
	if n.Kind != yaml.ScalarNode {
		return attr{kind: kindInvalid, pos: pos}, fmt.Errorf("want a string, number or bool, got a %s", kindName(n))
	}
	switch n.Tag {
	case "!!null":
		a.kind = kindNull
	case "!!int", "!!float":
		a.kind, a.text = kindNumber, n.Value
	case "!!bool":
		a.kind, a.text = kindBool, n.Value
	default:
		a.kind, a.text = kindString, n.Value
	}
	return a, nil
}

// kindName names a node's kind for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}
