package terraform

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// maxNesting bounds how deeply brackets, braces, parentheses and template
// interpolations may nest in HCL source. HCL's parser is recursive: a
// few megabytes of "[[[[..." would overflow the goroutine stack, a fatal
// error no recover can catch, so the source is checked before it is
// parsed. Real configurations nest a few levels.
const maxNesting = 256

// checkNesting scans HCL native syntax (a whole file, or, with template
// set, the text of one template) and returns an error diagnostic at the
// first place nested deeper than maxNesting, or nil. It skips comments and
// the text of strings and heredocs, but follows ${...} and %{...} inside
// them, so a string cannot hide nesting and a bracket in a string is not
// counted.
func checkNesting(src []byte, filename string, template bool) *hcl.Diagnostic {
	// stack holds the open constructs: ( [ { , 's' string, 'i' template
	// interpolation, 'h' heredoc (with its marker in markers), 't' the
	// outer template text.
	stack := make([]byte, 0, 16)
	var markers [][]byte
	if template {
		stack = append(stack, 't')
	}
	top := func() byte {
		if len(stack) == 0 {
			return 0
		}
		return stack[len(stack)-1]
	}
	lineStart := true
	for i := 0; i < len(src); i++ {
		c := src[i]
		atLineStart := lineStart
		lineStart = c == '\n'
		switch top() {
		case 's', 'h', 't':
			if top() == 'h' && atLineStart {
				end := bytes.IndexByte(src[i:], '\n')
				if end < 0 {
					end = len(src) - i
				}
				if bytes.Equal(bytes.TrimSpace(src[i:i+end]), markers[len(markers)-1]) {
					stack, markers = stack[:len(stack)-1], markers[:len(markers)-1]
					i += end - 1
					continue
				}
			}
			switch {
			case c == '\\' && top() == 's':
				i++
			case c == '"' && top() == 's':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if i+2 < len(src) && src[i+2] == c { // $${ is a literal
					i += 2
					continue
				}
				stack = append(stack, 'i')
				i++
			}
		default:
			switch c {
			case '"':
				stack = append(stack, 's')
			case '#':
				i = skipLine(src, i)
				lineStart = true
			case '/':
				if i+1 < len(src) && src[i+1] == '/' {
					i = skipLine(src, i)
					lineStart = true
				} else if i+1 < len(src) && src[i+1] == '*' {
					end := bytes.Index(src[i+2:], []byte("*/"))
					if end < 0 {
						return nil // the parser reports it
					}
					i += end + 3
				}
			case '<':
				if m, n := heredocMarker(src[i:]); m != nil {
					stack = append(stack, 'h')
					markers = append(markers, m)
					i += n - 1
					lineStart = true
				}
			case '(', '[', '{':
				stack = append(stack, c)
			case ')', ']', '}':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
		if len(stack) > maxNesting {
			line := 1 + bytes.Count(src[:i], []byte("\n"))
			col := i - bytes.LastIndexByte(src[:i], '\n')
			r := hcl.Range{Filename: filename, Start: hcl.Pos{Line: line, Column: col, Byte: i}, End: hcl.Pos{Line: line, Column: col + 1, Byte: i + 1}}
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nesting too deep",
				Detail: fmt.Sprintf("brackets, braces or template interpolations nested deeper than %d levels; the file is not parsed", maxNesting), Subject: &r}
		}
	}
	return nil
}

// skipLine returns the index of the newline ending the line at i (or the
// last index).
func skipLine(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src) - 1
}

// heredocMarker recognises "<<EOT\n" or "<<-EOT\n" at the start of b and
// returns the marker and the length up to and including the newline.
func heredocMarker(b []byte) ([]byte, int) {
	if !bytes.HasPrefix(b, []byte("<<")) {
		return nil, 0
	}
	j := 2
	if j < len(b) && b[j] == '-' {
		j++
	}
	start := j
	for j < len(b) && (b[j] == '_' || b[j] == '-' || b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || b[j] >= '0' && b[j] <= '9') {
		j++
	}
	if j == start {
		return nil, 0
	}
	nl := j
	if nl < len(b) && b[nl] == '\r' {
		nl++
	}
	if nl >= len(b) || b[nl] != '\n' {
		return nil, 0
	}
	return b[start:j], nl + 1
}

// parseConfig is hclsyntax.ParseConfig after checkNesting.
func parseConfig(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	if d := checkNesting(src, filename, false); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
}

// parseTemplate is hclsyntax.ParseTemplate after checkNesting.
func parseTemplate(src []byte, filename string, start hcl.Pos) (hclsyntax.Expression, hcl.Diagnostics) {
	if d := checkNesting(src, filename, true); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return hclsyntax.ParseTemplate(src, filename, start)
}

// parseExpression is hclsyntax.ParseExpression after checkNesting.
func parseExpression(src []byte, filename string, start hcl.Pos) (hclsyntax.Expression, hcl.Diagnostics) {
	if d := checkNesting(src, filename, false); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return hclsyntax.ParseExpression(src, filename, start)
}
