package cfn

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
)

// collector gathers the diagnostics of one parse.
type collector struct {
	diags []nacl.Diagnostic
}

// errorf records an error at pos for field.
func (c *collector) errorf(pos nacl.Pos, field, format string, args ...any) {
	c.diags = append(c.diags, nacl.Diagnostic{Severity: nacl.SevError, Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// warnf records a warning at pos for field.
func (c *collector) warnf(pos nacl.Pos, field, format string, args ...any) {
	c.diags = append(c.diags, nacl.Diagnostic{Severity: nacl.SevWarning, Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// infof records a note at pos for field.
func (c *collector) infof(pos nacl.Pos, field, format string, args ...any) {
	c.diags = append(c.diags, nacl.Diagnostic{Severity: nacl.SevInfo, Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil when no error was recorded, else an error quoting the
// first one and counting the others.
func (c *collector) err() error {
	var first *nacl.Diagnostic
	n := 0
	for i := range c.diags {
		if c.diags[i].Severity == nacl.SevError {
			if first == nil {
				first = &c.diags[i]
			}
			n++
		}
	}
	switch {
	case first == nil:
		return nil
	case n == 1:
		return fmt.Errorf("%s", first.Error())
	}
	return fmt.Errorf("%s (and %d more errors)", first.Error(), n-1)
}
