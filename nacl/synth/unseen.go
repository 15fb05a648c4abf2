package synth

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// DenialReason says why a conversation the synthesis did not learn from
// is denied by the generated ACL.
type DenialReason string

// Denial reasons.
const (
	// ReasonNewPeer: the port is allowed, but not from or to this peer.
	ReasonNewPeer DenialReason = "new peer"
	// ReasonNewPort: no rule of the direction allows the service port.
	ReasonNewPort DenialReason = "new port"
	// ReasonNewEphemeral: the peer has rules, but the client's port lies
	// outside the response range chosen.
	ReasonNewEphemeral DenialReason = "new ephemeral port"
	// ReasonNewICMP: no rule allows the ICMP type and code.
	ReasonNewICMP DenialReason = "new ICMP type"
	// ReasonNewProtocol: no rule allows the protocol.
	ReasonNewProtocol DenialReason = "new protocol"
)

// UnseenDenial is a working conversation of unseen data that the
// generated ACL denies.
type UnseenDenial struct {
	// Conv is the denied conversation.
	Conv ConvRef
	// Response is set when the denied packet belongs to the response leg.
	Response  bool
	Direction nacl.Direction
	Rule      int
	Reason    DenialReason
	// Packets counts the conversation's denied packets; First is the
	// first denied packet's file and frame.
	Packets uint64
	First   flows.FrameRef
}

// Unseen is the replay of conversations the synthesis did not learn
// from: the held-out part of the capture (--holdout) or other captures
// (--validate).
type Unseen struct {
	// Label names the data: a file, or "holdout" for the held-out part
	// of the capture (then Holdout and Cut describe it).
	Label string
	// Holdout is set by the caller when the data is the last part of the
	// capture time: the share held out (0.2 for the last 20%); Cut is
	// where that part starts (conversations starting at or after it).
	Holdout float64
	Cut     time.Time
	// Working counts the conversations that worked (crossing the ACL's
	// boundary); Denied lists those the ACL breaks, in ID order.
	Working int
	Denied  []UnseenDenial
	// Restricted lists the working conversations denied only because a
	// new public peer reached an administrative or database port that the
	// synthesis kept to its observed peers on purpose (IntentRestricted):
	// by choice, not a failure; --public-port opens such a port.
	Restricted []UnseenDenial
	// Failed counts conversations that never worked (scans, refused or
	// unanswered connections). Of those whose request the ACL lets
	// through: FailedServedPort counts the ones on a port working
	// conversations were learned on (the NACL filters ports, not which
	// host listens); FailedViaResponse lists the ones a response
	// (ephemeral) range admits (stateless NACLs cannot tell a reply from a
	// new connection); FailedAllowed lists the rest, ports the rules open
	// though no working conversation used them, which should be empty.
	Failed            int
	FailedServedPort  int
	FailedViaResponse []FailedConv
	FailedAllowed     []FailedConv
	// Exempt counts conversations that need no rule (exempt, same subnet,
	// not crossing).
	Exempt int
	// Packets and DeniedPackets count the replayed packets of working
	// conversations.
	Packets, DeniedPackets uint64
	// Incomplete is set by the caller when the data could not be read
	// whole: the counts cover only what was read.
	Incomplete bool
	// Estimate is set by the caller when the replay judged a second rule
	// set, learned from part of the data, rather than the result itself:
	// an estimate of how rules learned this way hold on later traffic.
	Estimate bool
	// Files names the replayed files, indexed by UnseenDenial.First.File;
	// the caller sets it (the captures it read).
	Files []string
}

// FailedConv is a conversation that never worked whose request the rules
// let through.
type FailedConv struct {
	// Conv is the conversation; Why says how it failed ("rejected: SYN
	// answered by RST", as Excluded.Reason).
	Conv ConvRef
	Why  string
	// Through is the kind of the rule that lets it through (KindResponse:
	// a response range, which a stateless NACL cannot tell from a new
	// connection).
	Through string
}

// OK reports whether every working conversation was allowed and no
// failed one reached a port the rules open though it was never served.
func (u *Unseen) OK() bool { return len(u.Denied) == 0 && len(u.FailedAllowed) == 0 }

// DefaultHoldout is the share of the capture time held out for the
// estimate flowverify synth reports when --holdout is not given.
const DefaultHoldout = 0.2

// ParseHoldout parses --holdout: a percentage "20%" (or "20") of the
// capture's time span, 1..99; "0" or "off" (returned as 0) turns the
// held-out estimate off.
func ParseHoldout(s string) (float64, error) {
	if t := strings.TrimSpace(s); t == "off" || t == "0" || t == "0%" {
		return 0, nil
	}
	v := strings.TrimSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 1 && f <= 99) {
		return 0, fmt.Errorf("holdout %q: want a percentage of the capture time between 1%% and 99%%, e.g. 20%%, or off", s)
	}
	return f / 100, nil
}

// HoldoutCut returns the time that splits rec: conversations starting
// before it are learned from, the others (the last frac of the capture's
// time span) are held out. ok is false for a recording without time.
func HoldoutCut(rec *replay.Recording, frac float64) (cut time.Time, ok bool) {
	var first, last time.Time
	rec.EachConversation(func(c *flows.Conversation) error {
		if f := c.First(); !f.IsZero() && (first.IsZero() || f.Before(first)) {
			first = f
		}
		if l := c.Last(); l.After(last) {
			last = l
		}
		return nil
	})
	if first.IsZero() || !last.After(first) {
		return time.Time{}, false
	}
	span := last.Sub(first)
	return first.Add(time.Duration(float64(span) * (1 - frac))), true
}

// Learned returns Options.Learn for a holdout cut: conversations that
// start before cut.
func Learned(cut time.Time) func(*flows.Conversation) bool {
	return func(c *flows.Conversation) bool { return c.First().Before(cut) }
}

// ReplayUnseen replays the conversations of rec for which include
// returns true (nil: all) against the generated ACL, on the same subnets,
// and reports which working conversations it denies and why.
func ReplayUnseen(res *Result, rec *replay.Recording, include func(*flows.Conversation) bool, label string) (*Unseen, error) {
	return replayUnseen(res, recSource{rec}, FromRecording(rec), include, label)
}

// ReplayConversations is ReplayUnseen over conversations and their packet
// shapes (for callers without a recording).
func ReplayConversations(res *Result, convs []*flows.Conversation, obs *Observations, label string) (*Unseen, error) {
	return replayUnseen(res, sliceSource(convs), obs, nil, label)
}

func replayUnseen(res *Result, src convSource, obs *Observations, include func(*flows.Conversation) bool, label string) (*Unseen, error) {
	j, err := replay.NewJudge(Topology(res.ACL, &res.opts))
	if err != nil {
		return nil, fmt.Errorf("replaying %s: placing the generated ACL: %w", label, err)
	}
	u := &Unseen{Label: label}
	var shapes []Observed
	var keys []replay.KeyStat
	err = src.each(func(c *flows.Conversation) error {
		if include != nil && !include(c) {
			return nil
		}
		shapes, keys = obs.shapesInto(shapes, keys, c.ID)
		u.replayOne(j, res, c, shapes)
		return nil
	})
	return u, err
}

func (u *Unseen) replayOne(j *replay.Judge, res *Result, c *flows.Conversation, shapes []Observed) {
	acl := res.ACL
	var seenReq, seenResp bool
	for i := range shapes {
		if x := &shapes[i]; !x.ICMPError && x.Packet.Proto == c.Proto {
			seenReq = seenReq || x.Packet.Src == c.Client.Addr
			seenResp = seenResp || x.Packet.Src == c.Server.Addr
		}
	}
	why := neverWorked(c, seenReq, seenResp)
	crossing := false
	var den *UnseenDenial
	// reqAllowed: a request packet passed; through says which kind of
	// rule let it through where the port was never served.
	reqAllowed, servedPort, through := false, true, ""
	var total uint64
	for i := range shapes {
		x := &shapes[i]
		if x.ICMPError || !knownPorts(&x.Packet) {
			continue
		}
		jd := j.Judge(&x.Packet)
		if jd.Verdict != replay.Allow && jd.Verdict != replay.Deny {
			continue
		}
		crossing = true
		total += x.Packets
		resp := x.Packet.Src == c.Server.Addr && x.Packet.Dst == c.Client.Addr
		if jd.Verdict == replay.Allow {
			if !resp && !reqAllowed {
				reqAllowed = true
				servedPort, through = res.explainAllowed(&x.Packet, &jd)
			}
			continue
		}
		// The denial is described by its earliest denied packet (a
		// request's SYN rather than the replies that never came).
		var packets uint64
		if den != nil {
			packets = den.Packets
		}
		if den == nil || x.First.File < den.First.File || (x.First.File == den.First.File && x.First.Frame < den.First.Frame) {
			den = &UnseenDenial{Conv: convRef(c), Response: resp, First: x.First}
			for k := 0; k < jd.NCheck; k++ {
				if jd.Checks[k].Action == nacl.Deny {
					den.Direction, den.Rule = jd.Checks[k].Direction, jd.Checks[k].Rule
					break
				}
			}
			den.Reason = denialReason(acl, den.Direction, &x.Packet, resp)
		}
		den.Packets = packets + x.Packets
	}
	switch {
	case !crossing:
		u.Exempt++
	case why != "":
		u.Failed++
		switch {
		case !reqAllowed:
		case servedPort:
			// A port working conversations use, refused by this host: a
			// NACL filters ports, not which host listens.
			u.FailedServedPort++
		case through == KindResponse:
			u.FailedViaResponse = append(u.FailedViaResponse, FailedConv{Conv: convRef(c), Why: why, Through: through})
		default:
			u.FailedAllowed = append(u.FailedAllowed, FailedConv{Conv: convRef(c), Why: why, Through: through})
		}
	default:
		u.Working++
		u.Packets += total
		switch {
		case den == nil:
		case den.Reason == ReasonNewPeer && !den.Response && res.restricted(c):
			u.Restricted = append(u.Restricted, *den)
		default:
			u.Denied = append(u.Denied, *den)
			u.DeniedPackets += den.Packets
		}
	}
}

// restricted reports whether the service of c is one the synthesis kept
// to its observed peers as an administrative or database port.
func (r *Result) restricted(c *flows.Conversation) bool {
	port, ok := servicePort(c)
	if !ok {
		return false
	}
	for i := range r.Decisions {
		d := &r.Decisions[i]
		if d.Intent == IntentRestricted && d.Proto == c.Proto && d.Port == port && d.IPv6 == c.Client.Addr.Is6() {
			return true
		}
	}
	return false
}

// denialReason tells why p, denied in dir, found no allow rule: the rules
// of that direction and protocol either allow its port (or ICMP type)
// from other peers (new peer) or its peer on other ports (a response:
// new ephemeral port; a request: new port).
func denialReason(acl *nacl.ACL, dir nacl.Direction, p *nacl.Packet, resp bool) DenialReason {
	peer := p.Src
	if dir == nacl.Egress {
		peer = p.Dst
	}
	protoSeen, portSeen, peerSeen := false, false, false
	for i := range acl.Entries {
		e := &acl.Entries[i]
		if e.Direction != dir || e.Action != nacl.Allow || e.CIDR.Addr().Is6() != p.Src.Is6() {
			continue
		}
		if e.Protocol != nacl.ProtoAll && e.Protocol != int(p.Proto) {
			continue
		}
		protoSeen = true
		if e.CIDR.Contains(peer) {
			peerSeen = true
		}
		switch {
		case e.Protocol == nacl.ProtoAll:
			portSeen = true
		case p.HasPort && e.Ports.Contains(p.DstPort):
			portSeen = true
		case p.HasICMP && (e.ICMPType < 0 || e.ICMPType == int(p.ICMPType)) && (e.ICMPCode < 0 || e.ICMPCode == int(p.ICMPCode)):
			portSeen = true
		}
	}
	switch {
	case !protoSeen:
		return ReasonNewProtocol
	case portSeen:
		return ReasonNewPeer
	case p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6:
		return ReasonNewICMP
	case resp && peerSeen:
		return ReasonNewEphemeral
	case resp:
		return ReasonNewPeer
	}
	return ReasonNewPort
}

// servedKey is a service port (ICMP: type<<8 | code) learned from
// working conversations.
type servedKey struct {
	dir   nacl.Direction
	v6    bool
	proto uint8
	port  uint16
}

// explainAllowed says, for an allowed request packet, whether its port is
// one working conversations were learned on in every direction it is
// checked in, and otherwise the kind of the rule that let it through.
func (r *Result) explainAllowed(p *nacl.Packet, jd *replay.Judgement) (served bool, kind string) {
	port := p.DstPort
	if p.HasICMP {
		port = uint16(p.ICMPType)<<8 | uint16(p.ICMPCode)
	}
	served = p.HasPort || p.HasICMP
	for k := 0; k < jd.NCheck; k++ {
		ch := jd.Checks[k]
		if served && r.served[servedKey{dir: ch.Direction, v6: p.Src.Is6(), proto: p.Proto, port: port}] {
			continue
		}
		served = false
		for i := range r.Rules {
			if e := &r.Rules[i].Entry; e.Direction == ch.Direction && e.RuleNumber == ch.Rule {
				kind = r.Rules[i].Kind
			}
		}
	}
	return served, kind
}

// sliceSource yields conversations held in a slice.
type sliceSource []*flows.Conversation

func (s sliceSource) each(fn func(*flows.Conversation) error) error {
	for _, c := range s {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

func (sliceSource) reused() bool { return false }

// boolInt is 1 for true, 0 for false (for cmp.Compare).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
