package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/nacl"
)

// Explain is the result of flowverify explain, and its JSON form of an explanation. With one check the
// top-level fields describe it; a packet between two given subnets meets
// two checks (the source subnet's outbound rules, then the destination
// subnet's inbound rules), listed in Checks, and the top-level fields then
// describe the deciding one (the first that denies, else the last).
type Explain struct {
	Packet    string         `json:"packet"`
	ACL       string         `json:"acl"`
	ACLName   string         `json:"acl_name,omitempty"`
	File      string         `json:"file"`
	Subnets   []string       `json:"subnets,omitempty"`
	VPCCIDRs  []string       `json:"vpc_cidrs,omitempty"`
	Direction string         `json:"direction,omitempty"`
	Filtered  bool           `json:"filtered"`
	Reason    string         `json:"reason"`
	Steps     []ExplainStep  `json:"steps"`
	Checks    []ExplainCheck `json:"checks,omitempty"`
	Verdict   string         `json:"verdict"`
	Rule      int            `json:"rule,omitempty"`
	Default   bool           `json:"default_rule,omitempty"`
	Position  string         `json:"position,omitempty"`
	Uncertain bool           `json:"uncertain"`
	Notes     []string       `json:"notes,omitempty"`
}

// ExplainCheck is one NACL evaluation the packet meets.
type ExplainCheck struct {
	Subnet    string        `json:"subnet,omitempty"`
	Direction string        `json:"direction"`
	Reason    string        `json:"reason"`
	Steps     []ExplainStep `json:"steps"`
	Verdict   string        `json:"verdict"`
	Rule      int           `json:"rule"`
	Default   bool          `json:"default_rule,omitempty"`
	Position  string        `json:"position,omitempty"`
	Uncertain bool          `json:"uncertain"`
}

// ExplainStep is one rule considered.
type ExplainStep struct {
	Rule      int    `json:"rule"`
	Direction string `json:"direction"`
	Action    string `json:"action"`
	Match     string `json:"match"`
	Matched   bool   `json:"matched"`
	Miss      string `json:"miss,omitempty"`
	Why       string `json:"why"`
	Uncertain bool   `json:"uncertain,omitempty"`
	Position  string `json:"position,omitempty"`
	Comment   string `json:"comment,omitempty"`
}

// Write prints the explanation in format (text or json).
func (res *Explain) Write(w io.Writer, format string, colour bool) error {
	if format == "json" {
		return WriteJSON(w, res)
	}
	var b bytes.Buffer
	writeExplainText(&b, res, colour)
	_, err := w.Write(b.Bytes())
	return err
}

// writeExplainText prints the explanation for people into b.
func writeExplainText(w *bytes.Buffer, res *Explain, colour bool) {
	label := res.ACL
	if res.ACLName != "" && res.ACLName != res.ACL {
		label += " (" + res.ACLName + ")"
	}
	fmt.Fprintf(w, "packet:    %s\n", res.Packet)
	fmt.Fprintf(w, "nacl:      %s from %s\n", label, res.File)
	if !res.Filtered {
		fmt.Fprintf(w, "verdict:   %s: %s\n", colourText("NOT FILTERED", ansiYellow, colour), res.Reason)
		for _, n := range res.Notes {
			fmt.Fprintf(w, "note:      %s\n", n)
		}
		return
	}
	fmt.Fprintf(w, "direction: %s\n\n", res.Reason)
	if len(res.Checks) > 1 {
		for i := range res.Checks {
			c := &res.Checks[i]
			fmt.Fprintf(w, "check %d of %d: %s\n", i+1, len(res.Checks), c.Reason)
			writeExplainSteps(w, c.Steps, colour)
			fmt.Fprintf(w, "result:    %s\n\n", explainVerdictText(c.Verdict, c.Direction, c.Rule, c.Default, c.Position, colour))
		}
	} else {
		writeExplainSteps(w, res.Steps, colour)
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "verdict:   %s", explainVerdictText(res.Verdict, res.Direction, res.Rule, res.Default, res.Position, colour))
	if len(res.Checks) > 1 {
		denied := 0
		for _, c := range res.Checks {
			if c.Verdict == nacl.Deny.String() {
				denied++
			}
		}
		switch {
		case denied == 0:
			fmt.Fprintf(w, " (all %d checks allow it)", len(res.Checks))
		case denied < len(res.Checks):
			fmt.Fprintf(w, " (%d of %d checks deny it)", denied, len(res.Checks))
		default:
			fmt.Fprintf(w, " (all %d checks deny it)", len(res.Checks))
		}
	}
	fmt.Fprintln(w)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note:      %s\n", n)
	}
}

// explainVerdictText is "DENY by inbound rule 130 (file:12)" or names the
// implicit default rule.
func explainVerdictText(verdict, direction string, rule int, def bool, pos string, colour bool) string {
	code := ansiGreen
	if verdict == nacl.Deny.String() {
		code = ansiRed
	}
	by := fmt.Sprintf("%s rule %d", direction, rule)
	if def {
		by = fmt.Sprintf("the implicit default %s rule * (%d): no numbered rule matched", direction, rule)
	} else if pos != "" {
		by += " (" + pos + ")"
	}
	return colourText(strings.ToUpper(verdict), code, colour) + " by " + by
}

// writeExplainSteps prints the rule table of one check.
func writeExplainSteps(w *bytes.Buffer, steps []ExplainStep, colour bool) {
	t := newTextTable("RULE", "DIR", "ACTION", "MATCHES", "RESULT").alignRight(0)
	for _, s := range steps {
		rule := fmt.Sprint(s.Rule)
		if s.Rule >= nacl.DefaultRuleIPv4 {
			rule = "*" + rule
		}
		result := "no: " + s.Why
		switch {
		case s.Matched:
			result = "MATCH, decides"
		case s.Miss == nacl.MissNotReached.String() || s.Miss == nacl.MissDirection.String():
			result = s.Why
		}
		dir := "in"
		if s.Direction == nacl.Egress.String() {
			dir = "out"
		}
		match := s.Match
		if s.Comment != "" {
			match += "  # " + s.Comment
		}
		t.add(rule, dir, s.Action, match, result)
	}
	t.colour = func(row, col int, cell string) string {
		if col != 4 || !steps[row].Matched {
			return ""
		}
		if steps[row].Action == "allow" {
			return ansiGreen
		}
		return ansiRed
	}
	_ = t.write(w, colour) // a bytes.Buffer does not fail
}
