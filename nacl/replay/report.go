package replay

import (
	"time"

	"github.com/flowverify/flowverify/flows"
)

// Leg roles.
const (
	RoleRequest  = "request"
	RoleResponse = "response"
)

// Conversation statuses (ConvResult.Status).
const (
	StatusOK             = "ok"
	StatusRequestDenied  = "request-denied"
	StatusResponseDenied = "response-denied"
	StatusBothDenied     = "both-denied"
	StatusExempt         = "exempt"
	StatusNotFiltered    = "not-filtered"
)

// Tally counts packets by verdict.
type Tally struct {
	Packets, Allowed, Denied, Exempt, NotFiltered uint64
	// Uncertain counts packets whose verdict passed over a rule because
	// their port or ICMP type was unknown (non-first fragments).
	Uncertain uint64
}

func (t *Tally) add(v Verdict, n uint64, uncertain bool) {
	t.Packets += n
	switch v {
	case Allow:
		t.Allowed += n
	case Deny:
		t.Denied += n
	case Exempt:
		t.Exempt += n
	case NotFiltered:
		t.NotFiltered += n
	}
	if uncertain {
		t.Uncertain += n
	}
}

// KeyResult is one KeyStat with its judgement.
type KeyResult struct {
	KeyStat
	Judgement Judgement
}

// Leg is one direction of a conversation: the request leg (client to
// server) or the response leg (server to client).
type Leg struct {
	Role     string
	From, To flows.Endpoint
	Tally
	// ICMPErrors counts ICMP errors attached to this leg.
	ICMPErrors uint64
	// Verdict is deny when any packet is denied, else allow when any is
	// allowed, else exempt or not-filtered; empty when the leg has no packet.
	Verdict Verdict
	// Reason is the exempt/not-filtered reason when Verdict is one of those.
	Reason string
	// Checks are the deciding checks: of the first denied packet when any
	// is denied, else of the first packet.
	Checks []Check
	// First is the time of the leg's first in-window packet.
	First      time.Time
	FirstFrame flows.FrameRef
	// FirstDenied is the time of the first denied packet (zero if none).
	FirstDenied      time.Time
	FirstDeniedFrame flows.FrameRef
	// Keys are the distinct NACL views of the leg's packets with their
	// judgements, in order of first appearance.
	Keys []KeyResult
}

// ConvResult is the replay result of one conversation.
type ConvResult struct {
	Conv              *flows.Conversation
	Request, Response Leg
	Status            string
	// Explanations are plain sentences, one per denied check, for broken conversations.
	Explanations []string
	// Fixes are indexes into Report.Fixes of the rules that would let the denied legs through.
	Fixes []int
}

// Leg returns the request or response leg.
func (c *ConvResult) Leg(role string) *Leg {
	if role == RoleResponse {
		return &c.Response
	}
	return &c.Request
}

// Summary sums a report.
type Summary struct {
	// Records is every record read; IP, NonIP and Undecodable split it.
	Records, IP, NonIP, Undecodable uint64
	// OutsideWindow counts IP packets outside --since/--until (not evaluated).
	OutsideWindow uint64
	// Evaluated counts the IP packets judged; the Tally splits them.
	Evaluated uint64
	Tally
	// Unattributed counts evaluated packets that joined no conversation.
	Unattributed uint64
	// ExemptBy and NotFilteredBy count packets by reason.
	ExemptBy, NotFilteredBy map[string]uint64
	// Conversations counts conversations with an evaluated packet; Affected
	// those with a denied packet.
	Conversations, Affected int
	// Start and End bound the capture; Since and Until the window (zero when open).
	Start, End, Since, Until time.Time
}

// Report is the result of replaying a recording against one topology.
type Report struct {
	Summary       Summary
	Conversations []*ConvResult
	// Unattributed holds the keys of packets that joined no conversation.
	Unattributed []KeyResult
	Fixes        []Fix
	// Notes are caveats for the reader (uncertain verdicts, unconfirmed exemptions).
	Notes []string
}

// BuildReport judges every recorded key (once per conversation direction
// and distinct NACL view) and assembles the report.
func BuildReport(j *Judge, rec *Recording) *Report {
	r := &Report{}
	s := &r.Summary
	s.Records, s.IP, s.NonIP, s.Undecodable = rec.Counts.Records, rec.Counts.IP, rec.Counts.NonIP, rec.Counts.Undecodable
	s.OutsideWindow, s.Unattributed = rec.Counts.OutsideWindow, rec.Counts.Unattributed
	s.Start, s.End = rec.Counts.Start, rec.Counts.End
	s.Since, s.Until = rec.Since, rec.Until
	s.ExemptBy, s.NotFilteredBy = map[string]uint64{}, map[string]uint64{}
	count := func(kr *KeyResult) {
		jd := &kr.Judgement
		s.Evaluated += kr.Packets
		s.Tally.add(jd.Verdict, kr.Packets, jd.Uncertain())
		switch jd.Verdict {
		case Exempt:
			s.ExemptBy[jd.Reason] += kr.Packets
		case NotFiltered:
			s.NotFilteredBy[jd.Reason] += kr.Packets
		}
	}
	for _, c := range rec.Conversations {
		acc := rec.convs.get(c.ID)
		if acc == nil || (!acc.used[0] && !acc.used[1]) {
			continue
		}
		cr := &ConvResult{Conv: c}
		cr.Request = Leg{Role: RoleRequest, From: c.Client, To: c.Server}
		cr.Response = Leg{Role: RoleResponse, From: c.Server, To: c.Client}
		req, resp := 0, 1
		if c.ClientSide == flows.SideB {
			req, resp = 1, 0
		}
		fillLeg(j, &cr.Request, acc, req)
		fillLeg(j, &cr.Response, acc, resp)
		for _, l := range []*Leg{&cr.Request, &cr.Response} {
			for i := range l.Keys {
				count(&l.Keys[i])
			}
		}
		cr.Status = status(cr)
		s.Conversations++
		if cr.Request.Denied > 0 || cr.Response.Denied > 0 {
			s.Affected++
		}
		r.Conversations = append(r.Conversations, cr)
	}
	for _, k := range rec.Unattributed() {
		kr := KeyResult{KeyStat: k, Judgement: j.Judge(&k.Key)}
		r.Unattributed = append(r.Unattributed, kr)
		count(&kr)
	}
	for _, cr := range r.Conversations {
		cr.Explanations = explain(cr)
	}
	r.Fixes = suggestFixes(j, r.Conversations)
	r.Notes = notes(r)
	return r
}

// fillLeg judges the keys of side s of acc and fills the leg's counters.
func fillLeg(j *Judge, l *Leg, acc *convAcc, s int) {
	var rep, firstDenied *KeyResult
	if !acc.used[s] {
		return
	}
	l.Keys = make([]KeyResult, 0, 1+len(acc.more[s]))
	l.Keys = append(l.Keys, KeyResult{KeyStat: acc.head[s], Judgement: j.Judge(&acc.head[s].Key)})
	for i := range acc.more[s] {
		k := &acc.more[s][i]
		l.Keys = append(l.Keys, KeyResult{KeyStat: *k, Judgement: j.Judge(&k.Key)})
	}
	for i := range l.Keys {
		kr := &l.Keys[i]
		l.Tally.add(kr.Judgement.Verdict, kr.Packets, kr.Judgement.Uncertain())
		if kr.ICMPError {
			l.ICMPErrors += kr.Packets
		}
		if rep == nil || kr.First.Before(rep.First) {
			rep = kr
		}
		if kr.Judgement.Verdict == Deny {
			// Prefer the leg's own packets over attached ICMP errors.
			if firstDenied == nil || (firstDenied.ICMPError && !kr.ICMPError) ||
				(firstDenied.ICMPError == kr.ICMPError && kr.First.Before(firstDenied.First)) {
				firstDenied = kr
			}
			if l.FirstDenied.IsZero() || kr.First.Before(l.FirstDenied) {
				l.FirstDenied, l.FirstDeniedFrame = kr.First, kr.FirstFrame
			}
		}
	}
	if rep == nil {
		return
	}
	l.First, l.FirstFrame = rep.First, rep.FirstFrame
	switch {
	case l.Denied > 0:
		l.Verdict = Deny
		rep = firstDenied
	case l.Allowed > 0:
		l.Verdict = Allow
		if rep.Judgement.Verdict != Allow {
			for i := range l.Keys {
				if l.Keys[i].Judgement.Verdict == Allow {
					rep = &l.Keys[i]
					break
				}
			}
		}
	default:
		l.Verdict = rep.Judgement.Verdict
		l.Reason = rep.Judgement.Reason
	}
	l.Checks = rep.Judgement.Checks[:rep.Judgement.NCheck:rep.Judgement.NCheck]
}

func status(cr *ConvResult) string {
	rq, rs := cr.Request.Denied > 0, cr.Response.Denied > 0
	switch {
	case rq && rs:
		return StatusBothDenied
	case rq:
		return StatusRequestDenied
	case rs:
		return StatusResponseDenied
	}
	t := cr.Request.Tally
	t.Packets += cr.Response.Packets
	t.Exempt += cr.Response.Exempt
	t.NotFiltered += cr.Response.NotFiltered
	switch t.Packets {
	case t.Exempt:
		return StatusExempt
	case t.NotFiltered:
		return StatusNotFiltered
	}
	return StatusOK
}

// notes lists caveats that apply to this report.
func notes(r *Report) []string {
	var out []string
	if r.Summary.Uncertain > 0 {
		out = append(out, "verdicts of "+itoa(int(r.Summary.Uncertain))+" packet(s) are uncertain: non-first IP fragments without ports met rules that depend on ports or ICMP types; AWS does not document how NACLs treat such fragments (they were judged as not matching those rules)")
	}
	if n := r.Summary.NotFilteredBy[ReasonNDP]; n > 0 {
		out = append(out, itoa(int(n))+" IPv6 neighbour discovery packet(s) (ICMPv6 133-137) counted as not filtered: they are link-scoped and never cross a subnet boundary; whether AWS NACLs filter them is UNCONFIRMED")
	}
	if n := r.Summary.ExemptBy[ReasonECSMetadata]; n > 0 {
		out = append(out, itoa(int(n))+" packet(s) to/from 169.254.170.2 counted as exempt (ECS task metadata): "+ExemptNotes[ReasonECSMetadata])
	}
	return out
}
