package jsontree

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

func TestToYAMLKeepsPositionsTagsAndEscapes(t *testing.T) {
	src := "{\n  \"a\\/b\": \"x\\/y\\u00e9\",\n\t\"n\": 6, \"f\": 1.5e3, \"s\": \"6\",\n  \"l\": [true, null]\n}"
	root, _, _, err := Decode([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if root.Kind != yaml.MappingNode || len(root.Content) != 10 {
		t.Fatalf("root: kind %v, %d children", root.Kind, len(root.Content))
	}
	k, v := root.Content[0], root.Content[1]
	if k.Value != "a/b" || v.Value != "x/yé" {
		t.Errorf("escapes: key %q value %q", k.Value, v.Value)
	}
	if k.Line != 2 || k.Column != 3 || v.Line != 2 || v.Column != 11 {
		t.Errorf("positions: key %d:%d value %d:%d, want 2:3 and 2:11", k.Line, k.Column, v.Line, v.Column)
	}
	tags := map[string]string{}
	for i := 2; i+1 < len(root.Content); i += 2 {
		tags[root.Content[i].Value] = root.Content[i+1].Tag
	}
	want := map[string]string{"n": "!!int", "f": "!!float", "s": "!!str", "l": "!!seq"}
	for key, tag := range want {
		if tags[key] != tag {
			t.Errorf("%s: tag %s, want %s", key, tags[key], tag)
		}
	}
	if n := root.Content[3]; n.Line != 3 || n.Column != 7 {
		t.Errorf("tab-indented value at %d:%d, want 3:7", n.Line, n.Column)
	}
	l := root.Content[9]
	if l.Content[0].Tag != "!!bool" || l.Content[0].Value != "true" || l.Content[1].Tag != "!!null" {
		t.Errorf("list: %+v %+v", l.Content[0], l.Content[1])
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, line, col, err := Decode([]byte("{\n  \"a\": 1,\n  \"b\": ]\n}"))
	if err == nil || line != 3 || col < 8 {
		t.Fatalf("got %v at %d:%d, want an error on line 3 near column 8", err, line, col)
	}
	if _, _, _, err := Decode([]byte(strings.Repeat("[", MaxDepth+5))); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("deep nesting: %v", err)
	}
}
