package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Headlines are the facts a check report prints first: one sentence per
// Amazon DNS resolver inferred from the traffic.
func Headlines(r *replay.Report) []string {
	if len(r.InferredResolvers) == 0 {
		return nil
	}
	out := make([]string, 0, len(r.InferredResolvers))
	for _, ir := range r.InferredResolvers {
		out = append(out, ResolverHeadline(&ir))
	}
	return out
}

// ExemptNote says why an exemption reason is uncertain ("" when AWS
// states it; see replay.Unconfirmed).
func ExemptNote(reason string) string {
	if !replay.Unconfirmed(reason) {
		return ""
	}
	switch reason {
	case replay.ReasonECSMetadata:
		return "AWS says NACLs do not filter ECS task metadata endpoints; the address 169.254.170.2 is UNCONFIRMED by an AWS page"
	}
	return "the basis of " + reason + " is UNCONFIRMED by an AWS page"
}

// ResolverHeadline says that ir was taken for the Amazon DNS resolver and
// how to say otherwise.
func ResolverHeadline(ir *replay.InferredResolver) string {
	vpcRange := ir.Widest.String()
	if ir.Narrowest != ir.Widest {
		vpcRange = "any of " + ir.Widest.String() + " .. " + ir.Narrowest.String()
	}
	return fmt.Sprintf("Amazon DNS resolver %s inferred from the traffic: %d DNS conversation(s) (UDP/TCP 53) go to it, and it is base+2 of a VPC CIDR holding subnet %s (%s), which AWS reserves for the resolver; NACLs never filter it, so it is counted as exempt. If the VPC CIDR is none of these, %s is an ordinary DNS server: give --vpc-cidr or --vpcs FILE to say so.",
		ir.Addr, ir.Conversations, ir.Subnet, vpcRange, ir.Addr)
}

// FixNotes writes the advice of a fix as one line, its notes joined by
// "; " ("" without notes).
func FixNotes(f *replay.Fix) string {
	parts := make([]string, len(f.Notes))
	for i := range f.Notes {
		parts[i] = FixNote(&f.Notes[i])
	}
	return strings.Join(parts, "; ")
}

// FixNote writes one piece of advice about a fix.
func FixNote(n *replay.FixNote) string {
	switch n.Kind {
	case replay.NoteProfile:
		if n.Profile == replay.ProfileLinuxWindows {
			linux, _ := ephemeral.ByName("linux")
			win, _ := ephemeral.ByName("windows")
			return fmt.Sprintf("ports: the observed client ports fit both the Linux (%d-%d) and the Windows/IANA (%d-%d) ephemeral ranges; %d-%d covers both",
				linux.From, linux.To, win.From, win.To, linux.From, win.To)
		}
		p, _ := ephemeral.ByName(n.Profile)
		return fmt.Sprintf("ports: the %s ephemeral range %d-%d (%s)", n.Profile, p.From, p.To, p.Description)
	case replay.NoteExactPorts:
		return "ports: the observed client ports fit no known ephemeral profile, so the rule covers exactly the observed range"
	case replay.NotePublicPeers:
		return fmt.Sprintf("peers: %d distinct peers, all in public address space: a public service, so the rule names %s (administrative and database ports never get this)", n.Below, n.Subnet)
	case replay.NotePeersSubnet:
		return "peers: every peer lies in subnet " + n.Subnet.String() + ", so the rule names that subnet"
	case replay.NotePortsLeftOut:
		return "port(s) " + fixPorts(n.Ports) + " left out: conversations that get no fix (refused, unanswered or denied on purpose) use them"
	case replay.NoteMerged:
		return "merged to fit the quota: wider than the observed traffic"
	case replay.NoteNoRuleNumber:
		return fmt.Sprintf("no free rule number between %d and the blocking rule %d: renumber the rules to make room", n.Below, n.Blocking)
	case replay.NoteACLFull:
		return "no free rule number: the ACL uses every number"
	}
	return fmt.Sprintf("fix note of unknown kind %d", n.Kind)
}

// fixPorts lists ports, at most 10 of them ("1, 2, ... (12 in all)").
func fixPorts(ps []uint16) string {
	parts := make([]string, 0, min(len(ps), 11))
	for i, p := range ps {
		if i == 10 {
			parts = append(parts, "... ("+strconv.Itoa(len(ps))+" in all)")
			break
		}
		parts = append(parts, strconv.Itoa(int(p)))
	}
	return strings.Join(parts, ", ")
}

// QuotaMergeText describes a merge made to fit the quota.
func QuotaMergeText(m *replay.QuotaMerge) string {
	return fmt.Sprintf("%s %s: merged %s and %s into %s to fit the quota (lets through %.0f more address x port units than the two rules)",
		m.Direction, family(m.IPv6), m.A, m.B, m.To, m.AddedSpace)
}

// ChangeProblemText says why a change set cannot be applied as it stands.
func ChangeProblemText(p *replay.ChangeProblem) string {
	q := &p.Quota
	switch p.Kind {
	case replay.ProblemOverQuota:
		return fmt.Sprintf("%s %s: %d rules after the change (the default rule included), over the default quota of %d: request an increase to %d (Service Quotas L-2AEEBF1A, at most %d) before applying it; %s",
			q.Direction, q.Family(), q.After, replay.QuotaDefault, q.After, replay.QuotaMax, whyNoMerge(p))
	case replay.ProblemOverLimit:
		return fmt.Sprintf("%s %s: %d rules after the change (the default rule included), over the hard limit of %d: AWS refuses it; %s",
			q.Direction, q.Family(), q.After, replay.QuotaMax, whyNoMerge(p))
	case replay.ProblemNoRuleNumber:
		return fmt.Sprintf("%s: no free rule number between the rule before it and rule %d: renumber the ACL's rules to make room", p.Line, p.Blocking)
	}
	return fmt.Sprintf("change set problem of unknown kind %d", p.Kind)
}

// whyNoMerge says why the fixes could not be merged further to fit.
func whyNoMerge(p *replay.ChangeProblem) string {
	if p.Blocked == 0 {
		return "the fixes cannot be merged further: they differ in protocol, leg, ICMP type or the rule they must precede"
	}
	return fmt.Sprintf("no merge of the fixes fits without letting through traffic that must stay denied (for example conversation #%d, intended: %s)", p.Blocked, p.Cause)
}

// ProofLintText describes a rule lint finds unreachable or redundant in
// a patched ACL.
func ProofLintText(l *replay.ProofLint) string {
	f := &l.Finding
	return fmt.Sprintf("%s: %s rule %d: %s: %s", l.ACL, f.Direction, f.Rule, f.Code, f.Message)
}

// ProofProblemText says why the proof cannot pass besides the replay.
func ProofProblemText(p *replay.ProofProblem) string {
	if p.Err != nil {
		return "the patched ACLs cannot be placed: " + p.Err.Error()
	}
	return p.ACL + ": " + ChangeProblemText(&p.Change)
}

// texts writes each of xs with text ([] for none).
func texts[T any](xs []T, text func(*T) string) []string {
	out := make([]string, len(xs))
	for i := range xs {
		out[i] = text(&xs[i])
	}
	return out
}
