package render

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/synth"
)

// This file writes the sentences of flowverify synth: the summaries of
// the self-check and of the unseen-data replays, the denied replies
// outside a forced ephemeral range, the peer decisions' reasons and the
// builder's warnings and notes. nacl/synth returns them as data.

// SynthOutsideForced is "tcp client 198.51.100.57 used port 37897,
// outside the forced windows range 49152-65535: its replies will be
// denied (1 conversation(s))".
func SynthOutsideForced(o *synth.OutsideForced) string {
	what := "port " + synth.PortList(o.Ports)
	if len(o.Ports) > 1 {
		what = "ports " + synth.PortList(o.Ports)
	}
	return fmt.Sprintf("%s client %s used %s, outside the forced %s range %s: its replies will be denied (%d conversation(s))",
		flows.ProtoName(o.Proto), o.Client, what, o.Profile, o.Range, o.Convs)
}

// SynthCheckSummary summarises the self-check in one line ("PASS: 194
// packets replayed: ...").
func SynthCheckSummary(c *synth.CheckResult) string {
	s := fmt.Sprintf("%d packets replayed: %d allowed, %d exempt, %d not filtered, %d denied as intended (excluded conversations)",
		c.Packets, c.Allowed, c.Exempt, c.NotFiltered, c.Expected)
	if c.OutsideForced > 0 {
		s += fmt.Sprintf(", %d denied as intended (replies to client ports outside the forced ephemeral range)", c.OutsideForced)
	}
	if c.Uncertain > 0 {
		s += fmt.Sprintf(", %d denied with unknown ports (fragments; AWS behaviour UNCONFIRMED)", c.Uncertain)
	}
	if c.OK() {
		return "PASS: " + s
	}
	return fmt.Sprintf("FAIL: %d packets of used conversations denied (%d distinct shapes); %s", c.FailedPackets, len(c.Failures), s)
}

// SynthUnseenSummary summarises a replay of data the synthesis did not
// learn from in one line.
func SynthUnseenSummary(u *synth.Unseen) string {
	verdict := "PASS"
	if !u.OK() {
		verdict = "FAIL"
	}
	if u.Incomplete {
		verdict += " (INCOMPLETE: the data could not be read whole; counts cover what was read)"
	}
	s := fmt.Sprintf("%s: %d working conversation(s): %d allowed, %d denied", verdict, u.Working, u.Working-len(u.Denied)-len(u.Restricted), len(u.Denied))
	if len(u.Denied) > 0 {
		n := map[synth.DenialReason]int{}
		var order []synth.DenialReason
		for _, d := range u.Denied {
			if n[d.Reason] == 0 {
				order = append(order, d.Reason)
			}
			n[d.Reason]++
		}
		parts := make([]string, len(order))
		for i, r := range order {
			parts[i] = fmt.Sprintf("%d %s", n[r], r)
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if len(u.Restricted) > 0 {
		s += fmt.Sprintf(", %d kept out on purpose (new peer on an administrative or database port kept to its observed peers; --public-port opens it)", len(u.Restricted))
	}
	s += fmt.Sprintf("; %d never-worked conversation(s) (scans, refused): %d denied", u.Failed, u.Failed-len(u.FailedAllowed)-len(u.FailedViaResponse)-u.FailedServedPort)
	if u.FailedServedPort > 0 {
		s += fmt.Sprintf(", %d on a served port (refused by the host)", u.FailedServedPort)
	}
	if len(u.FailedViaResponse) > 0 {
		s += fmt.Sprintf(", %d admitted by a response range (stateless NACL)", len(u.FailedViaResponse))
	}
	if len(u.FailedAllowed) > 0 {
		s += fmt.Sprintf(", %d let through on a port no working conversation used", len(u.FailedAllowed))
	}
	if u.Exempt > 0 {
		s += fmt.Sprintf("; %d need no rule", u.Exempt)
	}
	return s
}
