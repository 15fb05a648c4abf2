package synth

import (
	"errors"
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// Exclusion categories (Excluded.Category).
const (
	ExclExempt      = "exempt"       // traffic NACLs never filter (Reason names it)
	ExclSameSubnet  = "same-subnet"  // both ends inside one subnet
	ExclNotCrossing = "not-crossing" // neither end in a given subnet
	ExclFailed      = "failed"       // never worked: scan or failed attempt
	ExclConflict    = "conflict"     // denied by a kept deny rule
)

// Reasons of failed and conflicting exclusions (ExclusionReason.Reason;
// exempt and not-crossing ones carry the replay reason, "amazon-dns").
const (
	FailRejected       = "rejected"             // TCP SYN answered by RST
	FailUnanswered     = "unanswered"           // TCP SYN never answered
	FailHandshake      = "handshake-incomplete" // half-open scan or failed attempt
	FailPingUnanswered = "ping-unanswered"      // echo request never answered
	FailICMPErrors     = "icmp-errors-only"     // answered only by ICMP errors (port unreachable)
	ReasonKeptDeny     = "kept-deny"            // denied by the kept rule Direction Rule
)

// ExclusionReason says why a conversation produced no rule: a reason
// code, and for ReasonKeptDeny the kept deny rule. Render writes it.
type ExclusionReason struct {
	Reason    string
	Direction nacl.Direction
	Rule      int
}

// Excluded is a conversation that produced no rule.
type Excluded struct {
	Conv     *flows.Conversation
	Category string
	ExclusionReason
}

// ExclusionKey is what ExcludedCounts counts by.
type ExclusionKey struct {
	Category string
	ExclusionReason
}

// Merge is one lossy budget merge: two rules replaced by one that allows
// AddedBits more address x service space (log2 of the added units + 1).
type Merge struct {
	Direction nacl.Direction
	IPv6      bool
	A, B, To  string
	// Added is the newly admitted space in address x service units.
	Added     float64
	AddedBits float64
	// Rules is the number of allow rules of the direction and family
	// after this merge (the path MTU discovery rule not counted).
	Rules int
}

// CurvePoint is one point of the trade-off between rule count and
// over-permission of one direction and family, read off the lossy budget
// merges: with Rules rules (including the default deny rule), the merges
// so far admit AddedBits more address x service space.
type CurvePoint struct {
	Direction nacl.Direction
	IPv6      bool
	Rules     int
	// Added is the space admitted by the lossy merges so far (units);
	// AddedBits is log2(1 + Added).
	Added     float64
	AddedBits float64
	// Merge is the index in Result.Merges of the merge that reached this
	// point (-1 for the first point).
	Merge int
}

// Rule describes one generated entry for the report.
type Rule struct {
	Entry nacl.Entry
	// Kind is one of the Kind* constants.
	Kind string
	// Profile is the ephemeral profile of a response rule ("linux", ...).
	Profile string
	// Intent is the peer decision the rule's peers share (see Decision;
	// "" when they differ or none applies).
	Intent Intent
	// Conversations counts the conversation legs (and ICMP packet shapes)
	// the rule serves; Example is the lowest peer address among them.
	Conversations int
	Example       netip.Addr
	First, Last   time.Time
	// Allowed and Intended are in address x service units (package doc);
	// OverBits is log2(1 + Allowed - Intended).
	Allowed, Intended float64
	OverBits          float64
}

// Count is the number of rules of one direction and IP family, including
// the default deny rule, against the budget.
type Count struct {
	Direction nacl.Direction
	IPv6      bool
	Rules     int
	Budget    int
}

// ClientRange is the response range chosen for one client group (one
// client address and protocol).
type ClientRange struct {
	Client  netip.Addr
	Proto   uint8
	Lo, Hi  uint16
	Convs   int
	Profile string
	Range   nacl.PortRange
	// Outside lists observed client ports the range does not cover. They
	// get exact rules, except with a forced range (Options.Ephemeral): then
	// they get no rule and their replies are denied (see OutsideForced).
	Outside []uint16
	// Forced is set when the range was forced (--ephemeral PROFILE or
	// CIDR=PROFILE) rather than chosen from the observations.
	Forced bool
}

// OutsideForced is a client group that used ports outside the forced
// ephemeral range (--ephemeral): the generated ACL keeps the forced range
// as asked and writes no rule for those ports, so the replies to them are
// denied. Like a conflict with a kept deny, this is reported and makes
// flowverify synth exit 1.
type OutsideForced struct {
	Client netip.Addr
	Proto  uint8
	// Ports are the observed client ports outside Range.
	Ports []uint16
	// Convs counts the conversations whose replies are denied.
	Convs   int
	Profile string
	Range   nacl.PortRange
}

// Conflict is an observed conversation a kept deny rule would drop.
type Conflict struct {
	Conv      *flows.Conversation
	Direction nacl.Direction
	Rule      int
}

// Result is the outcome of Synthesize.
type Result struct {
	// ACL is the generated ACL; every entry carries a Comment.
	ACL *nacl.ACL
	// Rules describes ACL.Entries, in the same order.
	Rules []Rule
	// Used counts the conversations that produced rules.
	Used     int
	Excluded []Excluded
	// Merges lists the lossy budget merges, in the order made; Lossless
	// counts free merges (adjacent ports, sibling prefixes, containment).
	Merges   []Merge
	Lossless int
	// Curve is the rules-vs-over-permission trade-off of every direction
	// and family that needed lossy merges to fit --max-rules.
	Curve  []CurvePoint
	Counts []Count
	// OverPermission sums the rules' allowed-minus-intended space;
	// OverBits is log2(1 + OverPermission).
	OverPermission float64
	OverBits       float64
	Clients        []ClientRange
	// Decisions say, per service, what the peers were generalised to and
	// why (see Intent), with the over-permission each adds.
	Decisions []Decision
	Conflicts []Conflict
	// OutsideForced lists the client groups whose replies the forced
	// ephemeral range denies.
	OutsideForced []OutsideForced
	// Warnings and Notes (informational: an ambiguous profile choice,
	// ...) are what the synthesis has to say, as data.
	Warnings []Message
	Notes    []Message
	// Unseen holds the replays of data the synthesis did not learn from
	// (the holdout, --validate captures), filled by the caller with
	// ReplayUnseen.
	Unseen []Unseen
	// HeldOut counts the conversations Options.Learn left out.
	HeldOut int
	// First and Last bound the observed conversations in time.
	First, Last time.Time
	heldOut     bitset
	// served holds the service ports of the working conversations.
	served   map[servedKey]bool
	opts     Options
	excluded map[int]string
	// forcedOut maps the conversations of OutsideForced to their client
	// endpoint: the self-check expects their replies to be denied.
	forcedOut map[int]netip.AddrPort
	// compact holds the exclusions of SynthesizeRecording (Excluded is nil).
	compact *compactExcluded
	// mergeWork counts the pair costs the budget's large-group phase
	// evaluated (see reduceRounds), for tests of its growth.
	mergeWork int
}

// IsExcluded reports whether conversation id produced no rule because it
// failed or conflicts with a kept deny (its packets may be denied).
func (r *Result) IsExcluded(id int) bool {
	if r.compact != nil {
		return r.compact.isBad(id)
	}
	c, ok := r.excluded[id]
	return ok && (c == ExclFailed || c == ExclConflict)
}

// HasConflicts reports whether observed conversations will not work with
// the generated ACL by choice: conflicts with kept denies or replies
// outside a forced ephemeral range.
func (r *Result) HasConflicts() bool { return len(r.Conflicts) > 0 || len(r.OutsideForced) > 0 }

// PeerMode is the --peers mode the result was synthesised with.
func (r *Result) PeerMode() PeerMode { return r.opts.Peers }

// UnseenOK reports whether every replay of unseen data (Unseen) allowed
// all its working conversations and denied the failed ones (estimates,
// which judge another rule set, do not count).
func (r *Result) UnseenOK() bool {
	for i := range r.Unseen {
		if !r.Unseen[i].Estimate && !r.Unseen[i].OK() {
			return false
		}
	}
	return true
}

// deniedByForcedRange reports whether p is a reply of conversation id to
// a client port outside the forced ephemeral range.
func (r *Result) deniedByForcedRange(id int, p *nacl.Packet) bool {
	ap, ok := r.forcedOut[id]
	return ok && p.HasPort && p.Dst == ap.Addr() && p.DstPort == ap.Port()
}

// NumExcluded is the number of excluded conversations.
func (r *Result) NumExcluded() int {
	if r.compact != nil {
		return len(r.compact.recs)
	}
	return len(r.Excluded)
}

// EachExcluded calls fn for every excluded conversation in order (the
// value passed may be reused: fn must copy what it keeps). It stops at the
// first error fn returns.
func (r *Result) EachExcluded(fn func(*Excluded) error) error {
	if r.compact == nil {
		for i := range r.Excluded {
			if err := fn(&r.Excluded[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return r.compact.each(func(e *Excluded) bool { return true }, fn)
}

// exclCategories indexes the exclusion categories of exclRec.
var exclCategories = []string{ExclExempt, ExclSameSubnet, ExclNotCrossing, ExclFailed, ExclConflict}

// exclRec is one exclusion in 12 bytes: the conversation is rebuilt from
// the source when it is reported.
type exclRec struct {
	id, reason uint32
	cat        uint8
}

// compactExcluded holds the exclusions of a synthesis over a recording.
type compactExcluded struct {
	src       convSource
	recs      []exclRec
	reasons   []ExclusionReason
	reasonIdx map[ExclusionReason]uint16
	bad       bitset // failed or conflicting
}

func (x *compactExcluded) add(id int, cat string, reason ExclusionReason) {
	ri, ok := x.reasonIdx[reason]
	if !ok {
		ri = uint16(len(x.reasons))
		x.reasonIdx[reason] = ri
		x.reasons = append(x.reasons, reason)
	}
	ci := 0
	for i, c := range exclCategories {
		if c == cat {
			ci = i
		}
	}
	x.recs = append(x.recs, exclRec{id: uint32(id), reason: uint32(ri), cat: uint8(ci)})
	if cat == ExclFailed || cat == ExclConflict {
		x.bad.set(id)
	}
}

func (x *compactExcluded) isBad(id int) bool { return x.bad.has(id) }

// counts returns the number of exclusions by category and reason.
func (x *compactExcluded) counts() map[ExclusionKey]int {
	n := map[ExclusionKey]int{}
	for _, e := range x.recs {
		n[ExclusionKey{exclCategories[e.cat], x.reasons[e.reason]}]++
	}
	return n
}

// each walks the source and calls fn for the exclusions want accepts,
// rebuilding their conversations; it stops at fn's first error.
func (x *compactExcluded) each(want func(*Excluded) bool, fn func(*Excluded) error) error {
	if len(x.recs) == 0 {
		return nil
	}
	k := 0
	stop := errors.New("stop")
	err := x.src.each(func(c *flows.Conversation) error {
		if k >= len(x.recs) {
			return stop
		}
		e := &x.recs[k]
		if int(e.id) != c.ID {
			return nil
		}
		k++
		ex := Excluded{Conv: c, Category: exclCategories[e.cat], ExclusionReason: x.reasons[e.reason]}
		if !want(&ex) {
			return nil
		}
		return fn(&ex)
	})
	if errors.Is(err, stop) {
		return nil
	}
	return err
}

// bitset is a set of conversation IDs.
type bitset []uint64

func (s *bitset) set(id int) {
	for len(*s) <= id/64 {
		*s = append(*s, 0)
	}
	(*s)[id/64] |= 1 << (id % 64)
}

func (s bitset) has(id int) bool {
	return id >= 0 && id/64 < len(s) && s[id/64]&(1<<(id%64)) != 0
}
