package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/synth"
)

// writeDecisions lists the peer decision of every service with its
// reason and the over-permission it adds.
func writeSynthDecisions(b *strings.Builder, r *synth.Result) {
	if len(r.Decisions) == 0 {
		return
	}
	b.WriteString("\nPeers per service (--peers " + r.PeerMode().String() + "):\n")
	lines := 0
	for i := 0; i < len(r.Decisions); i++ {
		d := &r.Decisions[i]
		// Adjacent ports decided alike (a scan kept with --include-failed)
		// share one line.
		last := i
		for last+1 < len(r.Decisions) && sameDecision(d, &r.Decisions[last+1]) && r.Decisions[last+1].Port == r.Decisions[last].Port+1 {
			last++
		}
		if lines == maxListed {
			fmt.Fprintf(b, "  ... %d more service(s)\n", len(r.Decisions)-i)
			break
		}
		lines++
		service := synthService(d)
		if last > i {
			service = fmt.Sprintf("%s %s %d-%d", d.Direction, flows.ProtoName(d.Proto), d.Port, r.Decisions[last].Port)
			i = last
		}
		to := make([]string, 0, len(d.Prefixes))
		for j, p := range d.Prefixes {
			if j == 4 {
				to = append(to, fmt.Sprintf("... (%d in all)", len(d.Prefixes)))
				break
			}
			to = append(to, p.String())
		}
		fmt.Fprintf(b, "  %s -> %s [%s, +%.1f bits]: %s\n", service, strings.Join(to, ", "), d.Intent, d.OverBits, SynthDecisionReason(d))
	}
}

// sameDecision reports whether two decisions differ only in their port.
func sameDecision(a, c *synth.Decision) bool {
	return a.Direction == c.Direction && a.IPv6 == c.IPv6 && a.Proto == c.Proto && a.Intent == c.Intent &&
		SynthDecisionReason(a) == SynthDecisionReason(c) && slices.Equal(a.Prefixes, c.Prefixes)
}

// writeCurve prints the rules-vs-over-permission trade-off.
func writeSynthCurve(b *strings.Builder, r *synth.Result) {
	if len(r.Curve) == 0 {
		return
	}
	b.WriteString("\nRules vs over-permission (the traffic needs more rules than --max-rules; each line is one lossy merge):\n")
	for _, p := range r.Curve {
		fmt.Fprintf(b, "  %-8s %s: %2d rules: +%.1f bits", p.Direction, family(p.IPv6), p.Rules, p.AddedBits)
		if p.Merge >= 0 {
			fmt.Fprintf(b, "  (%s)", synthCurveMerge(r, &p))
		}
		b.WriteByte('\n')
	}
}

// writeSynthDenials lists denied conversations of unseen data, at most
// maxListed, each with its leg, rule and reason.
func writeSynthDenials(b *strings.Builder, ds []synth.UnseenDenial, note string) {
	for j, d := range ds {
		if j == maxListed {
			fmt.Fprintf(b, "  ... %d more\n", len(ds)-maxListed)
			break
		}
		fmt.Fprintf(b, "  %s: %s denied %s by rule %d: %s%s (%d packets, first at file %d frame %d)\n",
			synthConvLabel(&d.Conv), synthLeg(d.Response), d.Direction, d.Rule, d.Reason, note, d.Packets, d.First.File, d.First.Frame)
	}
}

// synthLeg names the leg of a denial.
func synthLeg(response bool) string {
	if response {
		return "response"
	}
	return "request"
}

// writeUnseen prints how the rules did on data they were not learned
// from, one line each, with the denied conversations.
func writeSynthUnseen(b *strings.Builder, r *synth.Result) {
	if r.HeldOut > 0 && len(r.Unseen) == 0 {
		fmt.Fprintf(b, "Held out: %d conversation(s) not learned from and not replayed\n", r.HeldOut)
	}
	for i := range r.Unseen {
		u := &r.Unseen[i]
		title := "Unseen data"
		if u.Estimate {
			title = "Held-out estimate"
		}
		fmt.Fprintf(b, "%s (%s): %s\n", title, unseenLabel(u), SynthUnseenSummary(u))
		if u.Estimate && !u.OK() {
			b.WriteString("  (the printed rules were learned from the whole capture; what the estimate denies appeared only late in it: such traffic may be rare, record longer to cover it)\n")
		}
		writeSynthDenials(b, u.Denied, "")
		writeSynthDenials(b, u.Restricted, " (kept out on purpose)")
		for j, f := range u.FailedAllowed {
			if j == maxListed {
				fmt.Fprintf(b, "  ... %d more let through\n", len(u.FailedAllowed)-maxListed)
				break
			}
			fmt.Fprintf(b, "  never worked, but let through: %s\n", synthFailedAllowed(&f))
		}
		for j, f := range u.FailedViaResponse {
			if j == maxListed {
				fmt.Fprintf(b, "  ... %d more admitted by a response range\n", len(u.FailedViaResponse)-maxListed)
				break
			}
			fmt.Fprintf(b, "  never worked, admitted by a response (ephemeral) range: %s\n", synthFailedViaResponse(&f))
		}
	}
}

// unseenLabel names the replayed data: the file, or the held-out part of
// the capture time (for an estimate, what the rules were learned from).
func unseenLabel(u *synth.Unseen) string {
	if u.Holdout <= 0 {
		return u.Label
	}
	at := formatTimeMillis(u.Cut)
	if u.Estimate {
		return fmt.Sprintf("rules learned from the first %s of the capture time, replayed on the conversations starting at or after %s; --holdout sets the share, --holdout off skips this",
			strconv.FormatFloat(100-u.Holdout*100, 'f', -1, 64)+"%", at)
	}
	return fmt.Sprintf("held out: the last %s of the capture time, conversations starting at or after %s", strconv.FormatFloat(u.Holdout*100, 'f', -1, 64)+"%", at)
}
