package replay

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/flowverify/flowverify/flows"
)

// Role is a leg of a conversation: its request (client to server) or
// response (server to client) direction.
type Role string

// Leg roles.
const (
	RoleRequest  Role = "request"
	RoleResponse Role = "response"
)

// Status sums up a conversation's replay (ConvResult.Status).
type Status string

// Conversation statuses.
const (
	StatusOK             Status = "ok"
	StatusRequestDenied  Status = "request-denied"
	StatusResponseDenied Status = "response-denied"
	StatusBothDenied     Status = "both-denied"
	StatusExempt         Status = "exempt"
	StatusNotFiltered    Status = "not-filtered"
)

// Tally counts packets by verdict.
type Tally struct {
	Packets, Allowed, Denied, Exempt, NotFiltered uint64
	// Uncertain counts packets whose verdict passed over a rule because
	// their port or ICMP type was unknown (non-first fragments).
	Uncertain uint64
}

// merge adds the counts of o to t.
func (t *Tally) merge(o *Tally) {
	t.Packets += o.Packets
	t.Allowed += o.Allowed
	t.Denied += o.Denied
	t.Exempt += o.Exempt
	t.NotFiltered += o.NotFiltered
	t.Uncertain += o.Uncertain
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
	Role     Role
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
	Status            Status
	// Denials are the denied checks of a broken conversation, one per
	// denying check (see Denial); renderers turn them into sentences.
	Denials []Denial
	// Fixes are indexes into Report.Fixes of the rules that would let the denied legs through.
	Fixes []int
	// Class says whether a denied conversation is breakage (fixed),
	// intended or unclear, and why; zero when nothing is denied.
	Class Classification
}

// Leg returns the request or response leg.
func (c *ConvResult) Leg(role Role) *Leg {
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
	Summary Summary
	// Conversations are the results of the conversations with an
	// evaluated packet, by ID, when the report is materialised (the tests'
	// reference BuildReport); Summarize leaves it
	// nil (see EachConversation).
	Conversations []*ConvResult
	// Unattributed holds the keys of packets that joined no conversation.
	Unattributed []KeyResult
	// Fixes are the rules of the change sets, ACL by ACL (see ChangeSets).
	Fixes []Fix
	// ChangeSets are the fixes grouped per ACL, with the patched ACL and
	// its quota counts.
	ChangeSets []ChangeSet
	// Proof is the replay of the capture against the patched ACLs.
	Proof *Proof
	// Classes counts the denied conversations by class.
	Classes map[Class]int
	// Unfixed are the denied conversations that get no fix, by class and
	// cause, in that order.
	Unfixed []ClassGroup
	// FixAll is true when fixes were made for every class, not only breakage.
	FixAll bool
	// InferredResolvers are the Amazon DNS resolvers inferred from the
	// traffic (no VPC CIDR given) and counted as exempt: facts the reader
	// must see first, which commands print at the top.
	InferredResolvers []InferredResolver
	// Rules are the per-rule hits of every rule of every ACL of the
	// topology (see RuleHit), from the same pass that judged the keys.
	Rules []RuleHit
	// Broke is the denied traffic by deciding rule, then by peer and
	// service (the summary's "what broke"), most conversations first.
	Broke []BrokeRule
	// lazy rebuilds conversation results on demand (Summarize).
	lazy *lazyReport
}

// lazyReport is what a summarized report needs to rebuild its
// conversation results: the judge, the recording and the fix index.
type lazyReport struct {
	j   *Judge
	rec *Recording
	fx  *fixer
	// scanners are the capture's scanners (for Classify); noFixes says
	// the report has no classes (ReportOptions.NoFixes).
	scanners *lazyScanners
	noFixes  bool
	// affectedBits has bit id set for the conversations with a denied packet.
	affectedBits []uint64
}

// ReportOptions tune a report.
type ReportOptions struct {
	// FixAll makes fixes for every denied conversation, not only breakage.
	FixAll bool
	// Observe, when not nil, is called by SummarizeWith as SummarizeEach
	// calls observe.
	Observe func(*ConvResult)
	// NoFixes skips the classes, change sets and proof, for a caller that
	// needs only the verdicts and counts.
	NoFixes bool
	// Workers is how many goroutines judge the conversations (0: one per
	// core, up to 8). The report is the same whatever the number.
	Workers int
}

// SummarizeWith is Summarize with options.
func SummarizeWith(j *Judge, rec *Recording, o ReportOptions) *Report {
	return buildReport(j, rec, false, o)
}

// Summarize judges every recorded key like BuildReport and computes the
// summary, fixes and notes, but keeps no per-conversation result:
// Conversations is nil and EachConversation rebuilds the results one at a
// time (cheaply: each key is judged again). Beyond the recording it keeps
// the fixes (with the IDs of the conversations they repair) and a bit per
// conversation for the affected ones.
func Summarize(j *Judge, rec *Recording) *Report {
	return buildReport(j, rec, false, ReportOptions{})
}

// SummarizeEach is Summarize that also calls observe (when not nil) with every conversation's result
// as it is judged, in ID order, without denials and fixes; the
// conversation has only its ID, protocol, version, endpoints, client side
// and state, and the value is reused: observe must copy what it keeps.
// (The text renderer measures its table this way, in the same pass.)
func SummarizeEach(j *Judge, rec *Recording, observe func(*ConvResult)) *Report {
	return buildReport(j, rec, false, ReportOptions{Observe: observe})
}

func buildReport(j *Judge, rec *Recording, keep bool, o ReportOptions) *Report {
	observe := o.Observe
	r := &Report{FixAll: o.FixAll, Classes: map[Class]int{}, Summary: newSummary(rec)}
	s := &r.Summary
	fx := newFixer(j)
	// The scanners are detected only if a denied conversation that
	// worked needs them (see lazyScanners).
	scanners := &lazyScanners{rec: rec}
	n := rec.NumConversations()
	affected := make([]uint64, n/64+1)
	classes := make([]uint8, n+1)
	// The held-out check learns from the first 80% of the conversations
	// (by ID, that is by time) and replays the rest.
	// held is fx as it stood after the last conversation up to holdCut
	// (a copy made when visit passes it, not a second fixer fed alongside).
	var held *fixer
	holdCut := n * 4 / 5
	var hits ruleHits
	var broke brokeAcc
	// visit adds conversation id's result (its conversation in state st)
	// to the report, in ID order; counted says its keys are already in the
	// summary (added by the worker that judged them).
	visit := func(id int, cr *ConvResult, st flows.State, counted bool) {
		if id > holdCut && held == nil {
			held = fx.snapshot()
		}
		for _, l := range []*Leg{&cr.Request, &cr.Response} {
			for i := range l.Keys {
				if !counted {
					r.count(&l.Keys[i])
				}
				hits.add(&l.Keys[i], id, l.Role == RoleResponse)
			}
		}
		s.Conversations++
		if (cr.Request.Denied > 0 || cr.Response.Denied > 0) && o.NoFixes {
			s.Affected++
			broke.add(cr)
			affected[id/64] |= 1 << (id % 64)
		} else if cr.Request.Denied > 0 || cr.Response.Denied > 0 {
			s.Affected++
			broke.add(cr)
			cls := classify(cr, st, scanners)
			cr.Class = cls
			classes[id] = classCode(cls.Class)
			r.Classes[cls.Class]++
			if r.toFix(cls.Class) {
				fx.add(cr)
			} else {
				if cls.Class == ClassIntended {
					fx.guard(cr)
				}
				r.addUnfixed(cls, id)
			}
			affected[id/64] |= 1 << (id % 64)
		}
		if keep {
			r.Conversations = append(r.Conversations, cr)
		} else if observe != nil {
			cr.Conv.State = st
			observe(cr)
		}
	}
	workers := o.Workers
	if workers == 0 {
		workers = DefaultWorkers()
	}
	switch {
	case keep:
		cb := &convBuilder{j: j, rec: rec}
		for id := 1; id <= n; id++ {
			if !rec.hasKeys(id) {
				continue
			}
			c := rec.Conversations
			var conv *flows.Conversation
			if c != nil {
				conv = c[id-1]
			} else {
				conv = new(flows.Conversation)
				rec.Conversation(id, conv)
			}
			cr := &ConvResult{Conv: conv}
			cb.fill(id, cr, false)
			visit(id, cr, rec.state(id), false)
		}
	default:
		// Judging (the conversations' keys, their results) runs on the
		// workers (one or more), a chunk of IDs each; the report is summed
		// up in ID order, as the loop above does.
		builders := make([]*convBuilder, workers)
		for w := range builders {
			builders[w] = &convBuilder{j: j, rec: rec}
		}
		type slot struct {
			id   int
			st   flows.State
			conv flows.Conversation
			cr   ConvResult
		}
		// A chunk's keys are counted into its partial summary by its
		// worker (sums: the same whatever the order) and added here.
		type chunk struct {
			slots []slot
			n     int
			sum   Summary
		}
		_ = RunOrdered(workers, n, func() *chunk {
			return &chunk{slots: make([]slot, orderedChunk), sum: Summary{ExemptBy: map[string]uint64{}, NotFilteredBy: map[string]uint64{}}}
		},
			func(w, lo, hi int, c *chunk) error {
				cb := builders[w]
				c.n = 0
				for id := lo; id <= hi; id++ {
					if !rec.hasKeys(id) {
						continue
					}
					sl := &c.slots[c.n]
					c.n++
					sl.id, sl.st = id, rec.state(id)
					rec.roles(id, &sl.conv)
					sl.cr = ConvResult{Conv: &sl.conv, Request: Leg{Keys: sl.cr.Request.Keys}, Response: Leg{Keys: sl.cr.Response.Keys}}
					cb.fill(id, &sl.cr, true)
					for _, l := range []*Leg{&sl.cr.Request, &sl.cr.Response} {
						for i := range l.Keys {
							c.sum.count(&l.Keys[i])
						}
					}
				}
				return nil
			}, func(c *chunk) error {
				s.add(&c.sum)
				for i := range c.slots[:c.n] {
					sl := &c.slots[i]
					visit(sl.id, &sl.cr, sl.st, true)
				}
				return nil
			})
	}
	for _, k := range rec.Unattributed() {
		kr := KeyResult{KeyStat: k, Judgement: j.Judge(&k.Key)}
		r.Unattributed = append(r.Unattributed, kr)
		r.count(&kr)
		hits.add(&kr, 0, false)
	}
	if held == nil {
		held = fx.snapshot()
	}
	isAffected := func(id int) bool { return id/64 < len(affected) && affected[id/64]&(1<<(id%64)) != 0 }
	classOf := func(id int) Class { return classNames[classes[id]] }
	// The held-out check (its own change set and replay) runs on another
	// core while the change sets are built and proved here; both only
	// read the guards.
	held.guards = fx.guards
	var heldOut *HeldOut
	var wg sync.WaitGroup
	wg.Go(func() { heldOut = r.holdOut(j, rec, held, holdCut, isAffected, classOf) })
	r.Rules = hits.list(j.Topology())
	r.Broke = broke.list()
	fx.build()
	r.Fixes, r.ChangeSets = fx.fixes, fx.sets
	for _, cr := range r.Conversations {
		cr.Denials = appendDenials(nil, cr)
		cr.Fixes = fx.indexes(cr)
	}
	r.Proof = r.prove(j, rec, isAffected, classOf, r.toFix)
	wg.Wait()
	r.Proof.HeldOut = heldOut
	fx.guards = nil
	if !keep {
		r.lazy = &lazyReport{j: j, rec: rec, fx: fx, scanners: scanners, noFixes: o.NoFixes, affectedBits: affected}
	}
	return r
}

// countConv adds the keys of one conversation's result to the summary,
// and the conversation to its conversations (and affected ones).
func (s *Summary) countConv(cr *ConvResult) {
	for _, l := range []*Leg{&cr.Request, &cr.Response} {
		for i := range l.Keys {
			s.count(&l.Keys[i])
		}
	}
	s.Conversations++
	if cr.Request.Denied > 0 || cr.Response.Denied > 0 {
		s.Affected++
	}
}

// add adds the counts of partial summary p (its conversations, keys and
// reasons, not its record counts or bounds) to s and zeroes them in p.
func (s *Summary) add(p *Summary) {
	s.Evaluated += p.Evaluated
	s.Tally.merge(&p.Tally)
	s.Conversations += p.Conversations
	s.Affected += p.Affected
	for r, n := range p.ExemptBy {
		s.ExemptBy[r] += n
	}
	for r, n := range p.NotFilteredBy {
		s.NotFilteredBy[r] += n
	}
	clear(p.ExemptBy)
	clear(p.NotFilteredBy)
	*p = Summary{ExemptBy: p.ExemptBy, NotFilteredBy: p.NotFilteredBy}
}

// newSummary returns the summary of rec before any key is judged: its
// counts of records and packets, and its time bounds.
func newSummary(rec *Recording) Summary {
	return Summary{Records: rec.Counts.Records, IP: rec.Counts.IP, NonIP: rec.Counts.NonIP, Undecodable: rec.Counts.Undecodable,
		OutsideWindow: rec.Counts.OutsideWindow, Unattributed: rec.Counts.Unattributed, Start: rec.Counts.Start, End: rec.Counts.End,
		Since: rec.Since, Until: rec.Until, ExemptBy: map[string]uint64{}, NotFilteredBy: map[string]uint64{}}
}

// ClassGroup is a set of conversations of one class and cause.
type ClassGroup struct {
	Class Class
	Cause Cause
	// First is the first conversation's classification.
	First         Classification
	Conversations []int
}

// addUnfixed adds conversation id to its class group.
func (r *Report) addUnfixed(c Classification, id int) {
	for i := range r.Unfixed {
		if g := &r.Unfixed[i]; g.Class == c.Class && g.Cause == c.Cause {
			g.Conversations = append(g.Conversations, id)
			return
		}
	}
	r.Unfixed = append(r.Unfixed, ClassGroup{Class: c.Class, Cause: c.Cause, First: c, Conversations: []int{id}})
	slices.SortStableFunc(r.Unfixed, func(a, b ClassGroup) int { return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.Cause, b.Cause)) })
}

// Fixed reports whether conversations of class c get fixes in this report.
func (r *Report) Fixed(c Class) bool { return r.toFix(c) }

// toFix reports whether conversations of class c get fixes.
func (r *Report) toFix(c Class) bool { return c == ClassBreakage || (r.FixAll && c != "") }

// count adds one judged key to the summary.
func (r *Report) count(kr *KeyResult) { r.Summary.count(kr) }

// count adds one judged key to the summary.
func (s *Summary) count(kr *KeyResult) {
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

// EachConversation calls fn with the result of every conversation that
// has an evaluated packet, in ID order, with its denials and fixes.
// For a report made by Summarize the results are rebuilt on demand and
// the value passed is reused: fn must copy what it keeps. It stops at the
// first error fn returns.
func (r *Report) EachConversation(fn func(*ConvResult) error) error {
	return r.eachConv(false, true, fn)
}

// EachAffected is EachConversation over the conversations with a denied
// packet only.
func (r *Report) EachAffected(fn func(*ConvResult) error) error {
	return r.eachConv(true, true, fn)
}

// EachBrief is EachConversation without details: Denials and Fixes
// are not filled and, for a summarized report, the conversation has only
// its ID, protocol, version, endpoints, client side and state.
func (r *Report) EachBrief(fn func(*ConvResult) error) error {
	return r.eachConv(false, false, fn)
}

// EachRoles calls fn with every conversation that has an evaluated
// packet, in ID order, without judging anything: for a summarized report
// the conversation has only its ID, protocol, version, endpoints, client
// side and state, and the value is reused.
func (r *Report) EachRoles(fn func(*flows.Conversation) error) error {
	l := r.lazy
	if l == nil {
		for _, cr := range r.Conversations {
			if err := fn(cr.Conv); err != nil {
				return err
			}
		}
		return nil
	}
	var c flows.Conversation
	for id := 1; id <= l.rec.NumConversations(); id++ {
		if !l.rec.hasKeys(id) {
			continue
		}
		l.rec.roles(id, &c)
		c.State = l.rec.state(id)
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}

// Summarized reports whether r was made by Summarize.
func (r *Report) Summarized() bool { return r.lazy != nil }

// eachConv is EachConversation, optionally only over the affected
// conversations (with a denied packet) and optionally without details:
// then Denials and Fixes are not filled and, for a summarized report,
// the conversation has only its ID, protocol, version, endpoints, client
// side and state (what the text table shows).
func (r *Report) eachConv(affectedOnly, details bool, fn func(*ConvResult) error) error {
	if r.lazy == nil {
		for _, cr := range r.Conversations {
			if affectedOnly && cr.Request.Denied == 0 && cr.Response.Denied == 0 {
				continue
			}
			if err := fn(cr); err != nil {
				return err
			}
		}
		return nil
	}
	// Without details (the text table) only the roles and the state of
	// each conversation are needed.
	cb := &convBuilder{j: r.lazy.j, rec: r.lazy.rec, rolesOnly: !details}
	n := cb.rec.NumConversations()
	for id := 1; id <= n; id++ {
		if affectedOnly && !r.lazy.affected(id) {
			continue
		}
		cr, ok := cb.result(id)
		if !ok {
			continue
		}
		if details {
			r.lazy.detail(cb, id, cr)
		} else {
			cb.conv.State = cb.rec.state(id)
		}
		if err := fn(cr); err != nil {
			return err
		}
	}
	return nil
}

// detail adds the denials, fixes and class to cr, conversation id as cb built it.
func (l *lazyReport) detail(cb *convBuilder, id int, cr *ConvResult) {
	cr.Denials = appendDenials(cr.Denials[:0], cr)
	cr.Fixes = l.fx.indexes(cr)
	if !l.noFixes {
		cr.Class = classify(cr, cb.rec.state(id), l.scanners)
	}
}

// affected reports whether conversation id has a denied packet.
func (l *lazyReport) affected(id int) bool {
	return id/64 < len(l.affectedBits) && l.affectedBits[id/64]&(1<<(id%64)) != 0
}

// convBuilder builds conversation results from a recording, reusing its
// buffers.
type convBuilder struct {
	j   *Judge
	rec *Recording
	// rolesOnly builds conversations with only what judging needs (see
	// Recording.roles).
	rolesOnly bool
	conv      flows.Conversation
	cr        ConvResult
	keys      []KeyStat
}

// result rebuilds the result of conversation id (without explanations and
// fixes) into the builder's reused value; false when the conversation had
// no evaluated packet.
func (cb *convBuilder) result(id int) (*ConvResult, bool) {
	if !cb.rec.hasKeys(id) {
		return nil, false
	}
	if cb.rolesOnly {
		cb.rec.roles(id, &cb.conv)
	} else {
		cb.rec.Conversation(id, &cb.conv)
	}
	cr := &cb.cr
	*cr = ConvResult{Conv: &cb.conv, Request: Leg{Keys: cr.Request.Keys}, Response: Leg{Keys: cr.Response.Keys}, Denials: cr.Denials[:0]}
	cb.fill(id, cr, true)
	return cr, true
}

// fill judges the keys of conversation id into cr (whose Conv is set) and
// sets its legs and status; reuse appends to the legs' Keys buffers.
func (cb *convBuilder) fill(id int, cr *ConvResult, reuse bool) { cb.fillPair(id, cr, nil, nil, reuse) }

// fillPair is fill that, when other is not nil, also judges the same keys
// with judge oj into other (whose Conv is cr.Conv): the keys are read
// from the recording once for both.
func (cb *convBuilder) fillPair(id int, cr *ConvResult, oj *Judge, other *ConvResult, reuse bool) {
	c := cr.Conv
	req, resp := uint8(0), uint8(1)
	a, b := c.Client, c.Server
	if c.ClientSide == flows.SideB {
		req, resp = 1, 0
		a, b = c.Server, c.Client
	}
	acc := cb.rec.convs.get(id)
	for _, r := range []*ConvResult{cr, other} {
		if r != nil {
			r.Request.Role, r.Request.From, r.Request.To = RoleRequest, c.Client, c.Server
			r.Response.Role, r.Response.From, r.Response.To = RoleResponse, c.Server, c.Client
		}
	}
	for _, side := range [2]uint8{req, resp} {
		cb.keys = cb.rec.appendKeys(cb.keys[:0], id, acc, side, c.Proto, a, b)
		l := &cr.Request
		if side == resp {
			l = &cr.Response
		}
		if !reuse {
			l.Keys = nil
		}
		fillLeg(cb.j, l, cb.keys)
		if other != nil {
			fillLeg(oj, other.Leg(l.Role), cb.keys)
		}
	}
	cr.Status = status(cr)
	if other != nil {
		other.Status = status(other)
	}
}

// fillLeg judges keys into the leg and fills its counters.
func fillLeg(j *Judge, l *Leg, keys []KeyStat) {
	var rep, firstDenied *KeyResult
	l.Keys = l.Keys[:0] // an empty leg keeps its buffer for the next conversation
	if len(keys) == 0 {
		return
	}
	for i := range keys {
		k := &keys[i]
		l.Keys = append(l.Keys, KeyResult{KeyStat: *k})
		j.judgeInto(&k.Key, &l.Keys[len(l.Keys)-1].Judgement)
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

func status(cr *ConvResult) Status {
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
