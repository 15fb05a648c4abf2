package cfn

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/yamlnode"
	"go.yaml.in/yaml/v4"
)

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses a template (JSON or YAML) into a node tree. On a syntax
// error it returns the position.
func decode(name string, data []byte) (*yaml.Node, nacl.Pos, error) {
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trim) > 0 && trim[0] == '{' {
		return yamlnode.DecodeJSON(name, data)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pos := nacl.Pos{File: name}
		msg := err.Error()
		var le *yaml.LoadError
		if errors.As(err, &le) {
			pos.Line, pos.Col, msg = le.Mark.Line, le.Mark.Column, le.Message
		} else if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
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
