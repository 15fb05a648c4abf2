package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// ClassDetail says in words why a denied conversation got its class.
func ClassDetail(c replay.Classification, conv *flows.Conversation) string {
	switch c.Cause {
	case replay.CauseHandshake:
		return "the handshake completed in the capture, and the denying rule is not about its peer or port"
	case replay.CauseAnswered:
		return "an answer came back in the capture, and the denying rule is not about its peer or port"
	case replay.CauseExplicitDeny:
		if c.Check == nil {
			return "a deny rule names it"
		}
		return fmt.Sprintf("rule %d (%s) of %s denies it on purpose: it names %s", c.Check.Rule, DescribeRule(c.Check), c.Check.ACL, targetWords(c))
	case replay.CauseRefused:
		return "the server refused it (SYN answered by RST, or only ICMP errors came back): nothing listens there"
	case replay.CauseUnanswered:
		return "its SYNs or echo requests were never answered"
	case replay.CauseIncomplete:
		return "the TCP handshake never completed (half-open scan or failed attempt)"
	case replay.CauseScan:
		client := "the client"
		if conv != nil {
			client += " " + conv.Client.Addr.String()
		}
		return fmt.Sprintf("%s scanned: %d distinct targets refused or never answered it", client, c.Targets)
	case replay.CauseBroadDenyService:
		if c.Check == nil {
			return "its requests are denied by a broad deny rule"
		}
		return fmt.Sprintf("its requests are denied by rule %d (%s) of %s, a broad deny covering the service port: a policy of keeping such ports shut, or an oversight, cannot be told", c.Check.Rule, DescribeRule(c.Check), c.Check.ACL)
	case replay.CauseOneWay:
		return "packets one way only and no error: one-way traffic (syslog, flow export) expects no answer, or the answer was lost; whether it worked cannot be told"
	case replay.CauseMidstream:
		return "TCP without a handshake, one direction only (one-sided capture or asymmetric routing): whether it worked cannot be told"
	case replay.CauseFragments:
		return "only non-first fragments are denied, and AWS does not document how NACLs treat them"
	}
	return ""
}

// targetWords names what an explicit deny names.
func targetWords(c replay.Classification) string {
	e := c.Check.ACLRef.Entries[c.Check.Entry]
	switch c.Names {
	case replay.TargetPeer:
		return "the peer range " + e.CIDR.String()
	case replay.TargetPort:
		return "port " + e.Ports.String()
	case replay.TargetICMP:
		return "ICMP type " + entryPorts(&e)
	}
	return "protocol " + nacl.ProtocolName(e.Protocol)
}

// writeClassText prints a denied conversation's class and, when it gets
// no fix, why.
func writeClassText(b *strings.Builder, r *replay.Report, cr *replay.ConvResult, width int) {
	if cr.Class.Class == "" {
		return
	}
	writeWrapped(b, "  class: ", fmt.Sprintf("%s; %s", cr.Class, ClassDetail(cr.Class, cr.Conv)), width)
	if !r.Fixed(cr.Class.Class) {
		writeWrapped(b, "  no fix: ", noFixWhy(cr.Class.Class), width)
	}
}

// noFixWhy says why a class gets no fix.
func noFixWhy(c replay.Class) string {
	if c == replay.ClassIntended {
		return "it should stay shut (--fix-all fixes it anyway)"
	}
	return "whether it should work cannot be told (--fix-all fixes it anyway)"
}

// writeHeadlinesText prints the facts the reader must see first.
func writeHeadlinesText(b *strings.Builder, r *replay.Report) {
	for _, h := range Headlines(r) {
		b.WriteString("NOTE: " + h + "\n")
	}
	if len(r.InferredResolvers) > 0 {
		b.WriteByte('\n')
	}
}

// writeClassCountsText prints the denied conversations by class.
func writeClassCountsText(b *strings.Builder, r *replay.Report) {
	if r.Summary.Affected == 0 {
		return
	}
	fmt.Fprintf(b, "Denied conversations: %d breakage, %d intended, %d unclear", r.Classes[replay.ClassBreakage], r.Classes[replay.ClassIntended], r.Classes[replay.ClassUnclear])
	if r.FixAll {
		b.WriteString(" (--fix-all: fixes for every class)\n")
	} else {
		b.WriteString(" (fixes for breakage only)\n")
	}
}

// writeFixesText prints the change sets, the proof and the conversations
// that get no fix.
func writeFixesText(b *strings.Builder, r *replay.Report) {
	if len(r.ChangeSets) > 0 {
		verdict := "PASSED"
		if r.Proof == nil || !r.Proof.Passed {
			verdict = "FAILED: do not apply as is"
		}
		fmt.Fprintf(b, "\nFIXES: one change set per ACL (native text format); proof %s\n", verdict)
		for i := range r.ChangeSets {
			cs := &r.ChangeSets[i]
			var qs []string
			for _, q := range cs.Quota {
				qs = append(qs, fmt.Sprintf("%s %s %d -> %d of %d", q.Direction, q.Family(), q.Before, q.After, replay.QuotaDefault))
			}
			fmt.Fprintf(b, "%s: add %d rule(s); rules (default included): %s\n", cs.ACL.Label(), len(cs.Fixes), strings.Join(qs, ", "))
			for _, fi := range cs.Fixes {
				f := &r.Fixes[fi]
				fmt.Fprintf(b, "  %s  # %s leg, before rule %s; conversations %s; subnets %s\n", f.Line, f.Role, strconv.Itoa(f.Blocking), intsText(f.Conversations), f.SubnetID)
				if len(f.Notes) > 0 {
					fmt.Fprintf(b, "  #   %s\n", FixNotes(f))
				}
			}
			for i := range cs.Merges {
				fmt.Fprintf(b, "  merge: %s\n", QuotaMergeText(&cs.Merges[i]))
			}
			if n := cs.MergeCount - len(cs.Merges); n > 0 {
				fmt.Fprintf(b, "  merge: ... and %d more merges to fit the quota\n", n)
			}
			for i := range cs.Problems {
				fmt.Fprintf(b, "  PROBLEM: %s\n", ChangeProblemText(&cs.Problems[i]))
			}
		}
		writeProofText(b, r.Proof)
	}
	if len(r.Unfixed) > 0 {
		b.WriteString("\nNO FIX OFFERED (--fix-all fixes these too)\n")
		for _, g := range r.Unfixed {
			fmt.Fprintf(b, "%s: %s: %d conversation(s) %s: %s; %s\n", g.Class, g.Cause, len(g.Conversations), intsText(g.Conversations),
				ClassDetail(g.First, nil), noFixWhy(g.Class))
		}
	}
}

// writeProofText prints the proof of the change sets.
func writeProofText(b *strings.Builder, p *replay.Proof) {
	if p == nil || !p.Checked {
		return
	}
	verdict := "PASSED"
	if !p.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(b, "PROOF %s: the capture replayed against copies of the ACLs with the change sets applied: %d denied conversation(s) replayed, %d to fix now allowed, %d still denied, %d intended let through; lint: %d new unreachable or redundant rule(s)\n",
		verdict, p.Replayed, len(p.Fixed), len(p.StillDenied), len(p.Opened), len(p.Lint))
	if len(p.StillDenied) > 0 {
		fmt.Fprintf(b, "  still denied: %s\n", intsText(p.StillDenied))
	}
	if len(p.Opened) > 0 {
		fmt.Fprintf(b, "  intended but let through: %s\n", intsText(p.Opened))
	}
	if len(p.UnclearOpened) > 0 {
		fmt.Fprintf(b, "  unclear, let through as a side effect: %s\n", intsText(p.UnclearOpened))
	}
	for i := range p.Lint {
		fmt.Fprintf(b, "  lint: %s\n", ProofLintText(&p.Lint[i]))
	}
	if h := p.HeldOut; h != nil {
		fmt.Fprintf(b, "  held out (an estimate, not part of the proof): rules learned from the first 80%% of the capture (%d conversation(s) to fix) let through %d of the %d later ones", h.Learned, len(h.Fixed), h.Tested)
		if len(h.Opened) > 0 {
			fmt.Fprintf(b, ", and %d later intended conversation(s): %s", len(h.Opened), intsText(h.Opened))
		}
		b.WriteString("\n")
	}
	for i := range p.Problems {
		fmt.Fprintf(b, "  problem: %s\n", ProofProblemText(&p.Problems[i]))
	}
}

// ClassJSON is a conversation's class in JSON output.
type ClassJSON struct {
	Class  string `json:"class"`
	Cause  string `json:"cause"`
	Rule   int    `json:"rule,omitempty"`
	ACL    string `json:"acl,omitempty"`
	Detail string `json:"detail"`
}

// classJSON converts a classification (nil when nothing is denied).
func (o *Options) classJSON(c replay.Classification, conv *flows.Conversation) *ClassJSON {
	if c.Class == "" {
		return nil
	}
	j := &ClassJSON{Class: string(c.Class), Cause: string(c.Cause), Rule: c.Rule(), Detail: ClassDetail(c, conv)}
	if c.Check != nil {
		j.ACL = c.Check.ACL
	}
	return j
}

// QuotaJSON is one direction and family of a change set.
type QuotaJSON struct {
	Direction string `json:"direction"`
	Family    string `json:"family"`
	Before    int    `json:"before"`
	After     int    `json:"after"`
	Quota     int    `json:"quota"`
	Fits      bool   `json:"fits"`
	Increase  int    `json:"increase_to,omitempty"`
}

// ChangeSetJSON is one ACL's change set.
type ChangeSetJSON struct {
	ACL    string      `json:"acl"`
	Name   string      `json:"acl_name,omitempty"`
	Fixes  []int       `json:"fixes"`
	Quota  []QuotaJSON `json:"quota"`
	Merges []string    `json:"merges"`
	// MergeCount counts every merge; Merges describes the first ones.
	MergeCount int      `json:"merge_count"`
	Problems   []string `json:"problems"`
}

// ProofJSON is the proof in JSON output.
type ProofJSON struct {
	Checked       bool     `json:"checked"`
	Passed        bool     `json:"passed"`
	Replayed      int      `json:"replayed"`
	Fixed         []int    `json:"fixed"`
	StillDenied   []int    `json:"still_denied"`
	Opened        []int    `json:"intended_opened"`
	UnclearOpened []int    `json:"unclear_opened"`
	Lint          []string `json:"lint"`
	Problems      []string `json:"problems"`
	// HeldOut is absent when there was too little to hold out.
	HeldOut *HeldOutJSON `json:"held_out,omitempty"`
}

// HeldOutJSON is the held-out estimate of the proof.
type HeldOutJSON struct {
	Learned int   `json:"learned"`
	Tested  int   `json:"tested"`
	Fixed   []int `json:"fixed"`
	Opened  []int `json:"intended_opened"`
}

// ClassGroupJSON is one class and cause of unfixed conversations.
type ClassGroupJSON struct {
	Class         string `json:"class"`
	Cause         string `json:"cause"`
	Detail        string `json:"detail"`
	Conversations []int  `json:"conversations"`
}

// FixesJSON is the fix part of the check report.
type FixesJSON struct {
	Headlines  []string         `json:"headlines"`
	Classes    map[string]int   `json:"classes"`
	FixAll     bool             `json:"fix_all"`
	ChangeSets []ChangeSetJSON  `json:"change_sets"`
	Proof      ProofJSON        `json:"proof"`
	Unfixed    []ClassGroupJSON `json:"unfixed"`
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fixesJSON converts the fix part of a report.
func (o *Options) fixesJSON(r *replay.Report) FixesJSON {
	j := FixesJSON{Headlines: orEmpty(Headlines(r)), FixAll: r.FixAll, Classes: map[string]int{},
		ChangeSets: []ChangeSetJSON{}, Unfixed: []ClassGroupJSON{}}
	for _, c := range []replay.Class{replay.ClassBreakage, replay.ClassIntended, replay.ClassUnclear} {
		j.Classes[string(c)] = r.Classes[c]
	}
	for i := range r.ChangeSets {
		cs := &r.ChangeSets[i]
		cj := ChangeSetJSON{ACL: cs.ACL.ID, Name: cs.ACL.Name, Fixes: orEmpty(cs.Fixes), Quota: []QuotaJSON{}, Merges: texts(cs.Merges, QuotaMergeText),
			MergeCount: cs.MergeCount, Problems: texts(cs.Problems, ChangeProblemText)}
		for _, q := range cs.Quota {
			cj.Quota = append(cj.Quota, QuotaJSON{Direction: q.Direction.String(), Family: q.Family(), Before: q.Before, After: q.After,
				Quota: replay.QuotaDefault, Fits: q.Fits, Increase: q.Increase})
		}
		j.ChangeSets = append(j.ChangeSets, cj)
	}
	j.Proof = ProofJSON{Fixed: []int{}, StillDenied: []int{}, Opened: []int{}, UnclearOpened: []int{}, Lint: []string{}, Problems: []string{}}
	if p := r.Proof; p != nil {
		j.Proof = ProofJSON{Checked: p.Checked, Passed: p.Passed, Replayed: p.Replayed, Fixed: orEmpty(p.Fixed), StillDenied: orEmpty(p.StillDenied),
			Opened: orEmpty(p.Opened), UnclearOpened: orEmpty(p.UnclearOpened), Lint: texts(p.Lint, ProofLintText), Problems: texts(p.Problems, ProofProblemText)}
		if h := p.HeldOut; h != nil {
			j.Proof.HeldOut = &HeldOutJSON{Learned: h.Learned, Tested: h.Tested, Fixed: orEmpty(h.Fixed), Opened: orEmpty(h.Opened)}
		}
	}
	for _, g := range r.Unfixed {
		j.Unfixed = append(j.Unfixed, ClassGroupJSON{Class: string(g.Class), Cause: string(g.Cause), Detail: ClassDetail(g.First, nil), Conversations: g.Conversations})
	}
	return j
}
