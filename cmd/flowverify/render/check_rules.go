package render

import (
	"io"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl/replay"
)

// RuleHitJSON is one rule's hits in check's top-level "rules" array.
// Fields are stable; fields may be added, never renamed.
type RuleHitJSON struct {
	ACL string `json:"acl"`
	// ACLName is the ACL's Name tag, when it has one.
	ACLName   string `json:"acl_name,omitempty"`
	Direction string `json:"direction"`
	// Rule is the rule number (32767/32768: the default rules).
	Rule     int    `json:"rule"`
	Action   string `json:"action"`
	RuleText string `json:"rule_text"`
	// Packets and Conversations count the evaluated packets the rule decided.
	Packets       uint64 `json:"packets"`
	Conversations int    `json:"conversations"`
	// ResponsePackets counts the packets of response legs (replies).
	ResponsePackets uint64 `json:"response_packets"`
	// First and Last bound them (absent without hits).
	First string `json:"first,omitempty"`
	Last  string `json:"last,omitempty"`
	// Flags: never-hit, deny-with-hits, allow-wider-than-used.
	Flags []string `json:"flags"`
	// UsedPorts is the range of destination ports decided (TCP/UDP);
	// UsedPeers the smallest prefix holding the peers the rule's CIDR
	// matched (source inbound, destination outbound).
	UsedPorts string `json:"used_ports,omitempty"`
	UsedPeers string `json:"used_peers,omitempty"`
	// Detail says in words what a flag means for this rule.
	Detail string `json:"detail,omitempty"`
}

// ruleHitText describes a rule hit's entry like DescribeRule.
func ruleHitText(h *replay.RuleHit) string {
	c := replay.Check{Entry: h.Entry, ACLRef: h.ACLRef}
	return DescribeRule(&c)
}

// ruleHitDetail says what the flags mean for h: which traffic a deny
// dropped, which part of an allow was used.
func ruleHitDetail(h *replay.RuleHit) string {
	var parts []string
	for _, f := range h.Flags {
		switch f {
		case replay.FlagDenyWithHits:
			parts = append(parts, "denied "+strconv.FormatUint(h.Packets, 10)+" packet(s) of "+strconv.Itoa(h.Conversations)+" conversation(s)"+usedText(h, true))
		case replay.FlagAllowWiderThanUsed:
			var used []string
			e := &h.ACLRef.Entries[h.Entry]
			if h.WiderPorts() {
				used = append(used, "ports "+h.UsedPorts.String()+" of "+e.Ports.String())
			}
			if h.WiderPeers() {
				used = append(used, "peers within "+h.UsedPeers.String()+" of "+e.CIDR.String())
			}
			d := "the traffic used only " + strings.Join(used, " and ")
			if h.WiderPorts() && h.RepliesOnly() {
				d += " (replies to client ephemeral ports, which change with every connection: a range narrowed to the ports seen would deny the next ones)"
			}
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, "; ")
}

// usedText is " (ports X-Y, peers within P)" for a rule with hits.
func usedText(h *replay.RuleHit, ports bool) string {
	var used []string
	if ports && h.HasPorts {
		used = append(used, "ports "+h.UsedPorts.String())
	}
	if h.UsedPeers.IsValid() {
		used = append(used, "peers within "+h.UsedPeers.String())
	}
	if len(used) == 0 {
		return ""
	}
	return " (" + strings.Join(used, ", ") + ")"
}

// NewRuleHitJSON converts one rule hit.
func (o *Options) NewRuleHitJSON(h *replay.RuleHit) RuleHitJSON {
	j := RuleHitJSON{ACL: h.ACL, Direction: h.Direction.String(), Rule: h.Rule, Action: h.Action.String(), RuleText: ruleHitText(h),
		Packets: h.Packets, Conversations: h.Conversations, ResponsePackets: h.ResponsePackets, First: o.FormatTime(h.First), Last: o.FormatTime(h.Last),
		Flags: make([]string, 0, len(h.Flags)), Detail: ruleHitDetail(h)}
	if h.ACLRef != nil {
		j.ACLName = h.ACLRef.Name
	}
	for _, f := range h.Flags {
		j.Flags = append(j.Flags, string(f))
	}
	if h.HasPorts {
		j.UsedPorts = h.UsedPorts.String()
	}
	if h.UsedPeers.IsValid() {
		j.UsedPeers = h.UsedPeers.String()
	}
	return j
}

// RulesJSON converts the report's rule hits, never returning nil.
func (o *Options) RulesJSON(r *replay.Report) []RuleHitJSON {
	out := make([]RuleHitJSON, 0, len(r.Rules))
	for i := range r.Rules {
		out = append(out, o.NewRuleHitJSON(&r.Rules[i]))
	}
	return out
}

// ruleLabel is "in#130" (with the ACL's label first when withACL).
func ruleLabel(h *replay.RuleHit, withACL bool) string {
	s := dirWord(h.Direction) + "#" + strconv.Itoa(h.Rule)
	if withACL && h.ACLRef != nil {
		s = h.ACLRef.Label() + " " + s
	}
	return s
}

// writeRulesText prints the per-rule table: every rule of every ACL and
// direction with its hits and flags, then the detail of flagged rules.
func (o *Options) writeRulesText(w io.Writer, r *replay.Report, withACL bool) error {
	if len(r.Rules) == 0 {
		return nil
	}
	if _, err := io.WriteString(w, "\nRULES (packets and conversations each rule decided)\n"); err != nil {
		return err
	}
	t := newTextTable("RULE", "ACTION", "MATCHES", "PACKETS", "CONVS", "FIRST", "LAST", "FLAGS").alignRight(3, 4)
	for i := range r.Rules {
		h := &r.Rules[i]
		flags := make([]string, len(h.Flags))
		for k, f := range h.Flags {
			flags[k] = string(f)
		}
		t.add(ruleLabel(h, withACL), h.Action.String(), strings.TrimPrefix(strings.TrimPrefix(ruleHitText(h), "allow "), "deny "),
			strconv.FormatUint(h.Packets, 10), strconv.Itoa(h.Conversations), orDash(o.FormatTime(h.First)), orDash(o.FormatTime(h.Last)),
			orDash(strings.Join(flags, ",")))
	}
	t.colour = func(_, col int, cell string) string {
		if col == 7 && strings.Contains(cell, string(replay.FlagDenyWithHits)) {
			return ansiRed
		}
		return ""
	}
	if err := t.write(w, o.Colour); err != nil {
		return err
	}
	var b strings.Builder
	for i := range r.Rules {
		h := &r.Rules[i]
		if d := ruleHitDetail(h); d != "" {
			b.WriteString("  " + ruleLabel(h, withACL) + ": " + d + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
