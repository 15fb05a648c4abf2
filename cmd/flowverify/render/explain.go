package render

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
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

// ExplainInput is what an explanation was asked about, as the user gave it.
type ExplainInput struct {
	Packet *nacl.PacketSpec
	ACL    *nacl.ACL
	// File is the NACL file's name; Subnets the --subnet values as given.
	File    string
	Subnets []string
	// VPCCIDRs are the VPC CIDRs given.
	VPCCIDRs []netip.Prefix
	// Direction is the --direction value as given ("" for none).
	Direction string
}

// NewExplain turns an explanation into the document flowverify explain
// prints: the checks with their rules, and the sentences that say why.
func NewExplain(x *replay.Explanation, in ExplainInput) *Explain {
	p := &in.Packet.Packet
	res := &Explain{Packet: in.Packet.String(), ACL: in.ACL.ID, ACLName: in.ACL.Name, File: in.File, Subnets: in.Subnets,
		Steps: []ExplainStep{}}
	for _, v := range in.VPCCIDRs {
		res.VPCCIDRs = append(res.VPCCIDRs, v.String())
	}
	if len(x.Checks) == 0 {
		res.Reason = notFilteredWhy(x, p)
		res.Verdict = "not-filtered"
		return res
	}
	res.Filtered = true
	reasons := checkReasons(x, p, in.Direction)
	for i := range x.Checks {
		c := explainCheck(in.ACL, &x.Checks[i], reasons[i])
		res.Checks = append(res.Checks, c)
		res.Steps = append(res.Steps, c.Steps...)
	}
	if !x.ByDirection {
		res.Reason = reasons[len(reasons)-1]
	}
	res.Uncertain = x.Uncertain
	d := &res.Checks[x.Deciding]
	res.Direction, res.Verdict, res.Rule, res.Default, res.Position = d.Direction, d.Verdict, d.Rule, d.Default, d.Position
	if len(res.Checks) == 1 {
		res.Checks = nil // the top-level fields say it all
	}
	if res.Uncertain {
		res.Notes = append(res.Notes, "the packet is a non-first fragment (or its ICMP type is unknown): AWS does not document how NACLs treat such fragments; entries that need the port or ICMP type were treated as not matching (UNCONFIRMED)")
	}
	if len(in.VPCCIDRs) == 0 {
		for _, a := range []netip.Addr{p.Src, p.Dst} {
			if a.Is4() && a.As4()[3] == 2 { // could be a VPC's base+2, the Amazon DNS resolver
				res.Notes = append(res.Notes, fmt.Sprintf("no --vpc-cidr given: if %s is its VPC's base+2 address (the Amazon DNS resolver), NACLs do not filter this traffic; give --vpc-cidr to have it exempted", a))
				break
			}
		}
	}
	return res
}

// checkReasons says why the packet meets each check: one sentence per
// check, then (between two subnets) the overall sentence.
func checkReasons(x *replay.Explanation, p *nacl.Packet, direction string) []string {
	if x.ByDirection {
		return []string{"direction given with --direction"}
	}
	var out []string
	if x.Between && !x.OneOfTwo {
		out = append(out,
			fmt.Sprintf("outbound: source %s leaves subnet %s; outbound rules match the destination address and the destination port", p.Src, x.Checks[0].Subnet),
			fmt.Sprintf("inbound: destination %s enters subnet %s; inbound rules match the source address and the destination port", p.Dst, x.Checks[1].Subnet),
			fmt.Sprintf("between subnets: source %s is in subnet %s and destination %s in subnet %s; the packet meets the source subnet's outbound rules, then the destination subnet's inbound rules (two subnets sharing one NACL still get both checks)",
				p.Src, x.Checks[0].Subnet, p.Dst, x.Checks[1].Subnet))
		return out
	}
	c := &x.Checks[0]
	var r string
	if c.Direction == nacl.Ingress {
		r = fmt.Sprintf("inbound: destination %s is in subnet %s and the source is outside; inbound rules match the source address and the destination port", p.Dst, c.Subnet)
	} else {
		r = fmt.Sprintf("outbound: source %s is in subnet %s and the destination is outside; outbound rules match the destination address and the destination port", p.Src, c.Subnet)
	}
	if x.OneOfTwo {
		if c.Direction == nacl.Ingress {
			r = fmt.Sprintf("inbound: destination %s enters subnet %s; inbound rules match the source address and the destination port", p.Dst, c.Subnet)
		} else {
			r = fmt.Sprintf("outbound: source %s leaves subnet %s; outbound rules match the destination address and the destination port", p.Src, c.Subnet)
		}
		r += " (--direction " + direction + " shows only this check of the two the packet meets)"
	}
	return []string{r}
}

// notFilteredWhy says why the packet meets no check.
func notFilteredWhy(x *replay.Explanation, p *nacl.Packet) string {
	switch x.Reason {
	case replay.ReasonSameSubnet:
		return fmt.Sprintf("source and destination are both in subnet %s: NACLs do not filter traffic within a subnet", x.Subnet)
	case replay.ReasonNotCrossing:
		var cidrs []string
		for _, c := range x.Subnets {
			cidrs = append(cidrs, c.String())
		}
		where := "subnet " + strings.Join(cidrs, ", ")
		if x.SeveralSubnets {
			where = "any given subnet (" + strings.Join(cidrs, ", ") + ")"
		}
		return fmt.Sprintf("neither %s nor %s is in %s: the packet does not cross this NACL", p.Src, p.Dst, where)
	}
	why := "AWS network ACLs do not filter this traffic (" + x.Reason + ")"
	if n, ok := replay.ExemptNotes[x.Reason]; ok {
		why += ": " + n
	}
	return why
}

// explainCheck converts one traced check.
func explainCheck(acl *nacl.ACL, xc *replay.ExplainCheck, reason string) ExplainCheck {
	c := ExplainCheck{Direction: xc.Direction.String(), Reason: reason, Steps: []ExplainStep{}, Uncertain: xc.Uncertain}
	if xc.Subnet.IsValid() {
		c.Subnet = xc.Subnet.String()
	}
	for _, st := range xc.Steps {
		es := ExplainStep{Rule: st.RuleNumber, Direction: xc.Direction.String(), Action: st.Action.String(), Matched: st.Matched, Miss: st.Miss.String(), Why: st.Why, Uncertain: st.Uncertain}
		if st.Entry >= 0 {
			e := &acl.Entries[st.Entry]
			es.Direction = e.Direction.String()
			es.Match, es.Position, es.Comment = e.MatchText(), e.Pos.String(), e.Comment
		} else {
			es.Match = "all 0.0.0.0/0 (implicit default)"
			if st.RuleNumber == nacl.DefaultRuleIPv6 {
				es.Match = "all ::/0 (implicit default)"
			}
		}
		c.Steps = append(c.Steps, es)
	}
	d := xc.Decision
	c.Verdict, c.Rule, c.Default = d.Action.String(), d.RuleNumber, d.IsDefault()
	if !d.IsDefault() {
		c.Position = acl.Entries[d.Entry].Pos.String()
	}
	return c
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
