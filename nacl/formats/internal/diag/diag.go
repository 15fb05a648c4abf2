// Package diag collects the diagnostics of one parse and summarises them
// as the error the format parsers return.
package diag

import (
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/nacl"
)

// Collector gathers the diagnostics of one parse.
type Collector struct {
	Diags []nacl.Diagnostic
}

// Errorf records an error at pos for field.
func (c *Collector) Errorf(pos nacl.Pos, field, format string, args ...any) {
	c.add(nacl.SevError, pos, field, format, args...)
}

// Warnf records a warning at pos for field.
func (c *Collector) Warnf(pos nacl.Pos, field, format string, args ...any) {
	c.add(nacl.SevWarning, pos, field, format, args...)
}

// Infof records an informational note at pos for field.
func (c *Collector) Infof(pos nacl.Pos, field, format string, args ...any) {
	c.add(nacl.SevInfo, pos, field, format, args...)
}

func (c *Collector) add(sev nacl.Severity, pos nacl.Pos, field, format string, args ...any) {
	c.Diags = append(c.Diags, nacl.Diagnostic{Severity: sev, Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Err is Summary of the collected diagnostics.
func (c *Collector) Err() error { return Summary(c.Diags) }

// Summary returns nil when diags hold no error, else an error quoting the
// first error and counting the others: "FIRST (and N more errors)".
func Summary(diags []nacl.Diagnostic) error {
	var first *nacl.Diagnostic
	n := 0
	for i := range diags {
		if diags[i].Severity == nacl.SevError {
			if first == nil {
				first = &diags[i]
			}
			n++
		}
	}
	switch {
	case first == nil:
		return nil
	case n == 1:
		return errors.New(first.Error())
	}
	return fmt.Errorf("%s (and %d more errors)", first.Error(), n-1)
}
