package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/lint"
)

// Lint is the result of flowverify lint and its JSON form (stable; documented in the README).
type Lint struct {
	File   string                `json:"file"`
	Format string                `json:"format"`
	ACLs   []LintACL             `json:"acls"`
	Counts map[nacl.Severity]int `json:"counts"`
}

// LintACL is the findings of one ACL.
type LintACL struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Position string `json:"position,omitempty"`
	// Pos is where the ACL was defined (SARIF places whole-direction findings there).
	Pos      nacl.Pos              `json:"-"`
	Counts   map[nacl.Severity]int `json:"counts"`
	Findings []lint.Finding        `json:"findings"`
}

// Write prints the findings in format (text or json).
func (doc *Lint) Write(w io.Writer, format string, colour bool) error {
	if format == "json" {
		return WriteJSON(w, doc)
	}
	return writeLintText(w, doc, colour)
}

// lintSeverityColour maps severities to ANSI colours.
func lintSeverityColour(s string) string {
	switch nacl.Severity(s) {
	case nacl.SevError:
		return ansiRed
	case nacl.SevWarning:
		return ansiYellow
	}
	return ""
}

// lintRuleText prints a rule number, "*" for the default rules, "-" for none.
func lintRuleText(n int) string {
	switch {
	case n == 0:
		return "-"
	case n == nacl.DefaultRuleIPv4 || n == nacl.DefaultRuleIPv6:
		return "*"
	}
	return strconv.Itoa(n)
}

// lintCountsText formats counts as "1 error, 2 warnings, 0 info".
func lintCountsText(c map[nacl.Severity]int) string {
	plural := func(n int, w string) string {
		if n == 1 || w == "info" {
			return fmt.Sprintf("%d %s", n, w)
		}
		return fmt.Sprintf("%d %ss", n, w)
	}
	return plural(c[nacl.SevError], "error") + ", " + plural(c[nacl.SevWarning], "warning") + ", " + plural(c[nacl.SevInfo], "info")
}

// writeLintText prints, per ACL, a summary line, an aligned table of the
// findings and then each finding's message and fix, numbered as in the table.
func writeLintText(w io.Writer, doc *Lint, colour bool) error {
	var b strings.Builder
	for i, a := range doc.ACLs {
		if i > 0 {
			b.WriteString("\n")
		}
		label := a.ID
		if a.Name != "" && a.Name != a.ID {
			label += " (" + a.Name + ")"
		}
		if len(a.Findings) == 0 {
			fmt.Fprintf(&b, "%s: no findings\n", label)
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n\n", label, lintCountsText(a.Counts))
		t := newTextTable("#", "SEVERITY", "DIRECTION", "FAMILY", "RULE", "CODE", "RELATED").alignRight(0, 4)
		t.colour = func(_, col int, cell string) string {
			if col == 1 {
				return lintSeverityColour(cell)
			}
			return ""
		}
		for k, f := range a.Findings {
			rel := make([]string, len(f.Related))
			for j, n := range f.Related {
				rel[j] = lintRuleText(n)
			}
			t.add(strconv.Itoa(k+1), string(f.Severity), f.Direction.String(), f.Family(), lintRuleText(f.Rule), string(f.Code), strings.Join(rel, ","))
		}
		if err := t.write(&b, colour); err != nil {
			return err
		}
		b.WriteString("\n")
		for k, f := range a.Findings {
			pos := ""
			if p := f.Pos.String(); p != "" {
				pos = " [" + p + "]"
			}
			fmt.Fprintf(&b, "%d. %s%s\n   fix: %s\n", k+1, colourText(f.Message, lintSeverityColour(string(f.Severity)), colour), pos, f.Fix)
		}
	}
	if len(doc.ACLs) > 1 {
		fmt.Fprintf(&b, "\n%d ACLs: %s\n", len(doc.ACLs), lintCountsText(doc.Counts))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
