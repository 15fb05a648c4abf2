package synth

import (
	"net/netip"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// MessageKind names a warning or a note of the synthesis
// (Result.Warnings, Result.Notes). Each kind says which Message fields it
// sets; render writes the sentence.
type MessageKind uint8

// The warnings and notes of Synthesize.
const (
	// MsgPMTUDCovered (note): the observed rule Rule already allows path
	// MTU discovery (the rule PMTUD) in Direction and family IPv6.
	MsgPMTUDCovered MessageKind = iota + 1
	// MsgPMTUDNoRoom (warning): the PMTUD rule does not fit within Limit
	// (--max-rules) and was left out.
	MsgPMTUDNoRoom
	// MsgOverQuota (warning): Count rules (with the default rule) are
	// needed, more than Limit (--max-rules, at most Max).
	MsgOverQuota
	// MsgUnsureRole (warning): the service Direction, IPv6, Proto, Port
	// had uncertain client/server roles in Count of Of conversations
	// (Convs holds an example) and kept its Peers observed peers.
	MsgUnsureRole
	// MsgKeptDenyICMP (warning): the ICMP shape Packet is denied by the
	// kept deny rule Rule.RuleNumber in Direction.
	MsgKeptDenyICMP
	// MsgLowConfidence (warning): Count conversations producing rules had
	// low-confidence roles; Convs holds examples.
	MsgLowConfidence
	// MsgUnknownICMP (warning): Count ICMP conversations of unknown type
	// were allowed as all ICMP types.
	MsgUnknownICMP
	// MsgNothingAllowed (warning): no conversation needs a rule; Count
	// conversations were read, all excluded.
	MsgNothingAllowed
	// MsgMergeWorkLimit (warning): budget merging of Count rules in
	// Direction and family IPv6 stopped at its work limit (Limit pair
	// costs per rule; analysis incomplete): Count rules remain.
	MsgMergeWorkLimit

	// The kinds below are about client groups' response ranges; each
	// aggregates Clients client groups with a few Examples.

	// MsgOutsideForced (warning): Proto client ports outside the forced
	// Profile range Range get no rule.
	MsgOutsideForced
	// MsgSymmetricPorts (note): Proto client ports below 1024 only,
	// allowed exactly.
	MsgSymmetricPorts
	// MsgFallback (warning): Proto client ports below 1024 and above fit
	// no profile: Range plus exact rules for the low ports.
	MsgFallback
	// MsgProfileUnion (note): the ports fit several profiles (Profile
	// joins their names with "+"): their union Range.
	MsgProfileUnion
	// MsgAWSManaged (note): ports spread beyond every OS range: the
	// aws-managed Range.
	MsgAWSManaged
	// MsgTooFewForOS (note): the ports fit the Profile range, but fewer
	// than Limit conversations cannot tell that OS from an AWS-managed
	// sender: aws-managed Range.
	MsgTooFewForOS
	// MsgModernClients (note): public clients of unknown OS: Range covers
	// the modern client OSes.
	MsgModernClients
	// MsgAnyClient (note): public clients of unknown OS using ports below
	// 32768: Range covers every client OS.
	MsgAnyClient
)

// Message is a warning or a note of the synthesis: its Kind and the
// values its sentence quotes. Fields the kind does not use are zero.
type Message struct {
	Kind      MessageKind
	Direction nacl.Direction
	IPv6      bool
	Proto     uint8
	Port      uint16
	// Profile and Range are an ephemeral profile and its port range.
	Profile string
	Range   nacl.PortRange
	// Rule and PMTUD are rules of the generated or kept ACL.
	Rule, PMTUD nacl.Entry
	// Packet is a packet shape (MsgKeptDenyICMP).
	Packet nacl.Packet
	// Count, Of, Limit, Max and Peers are the counts the kind names.
	Count, Of, Limit, Max, Peers int
	// Convs are example conversations.
	Convs []ConvExample
	// Clients counts the client groups a client-range message stands
	// for; Examples holds the first few (at most 3).
	Clients  int
	Examples []ClientExample
}

// ConvRef names a conversation the results quote (render labels it
// "#ID tcp CLIENT:PORT -> SERVER:PORT"): its ID, protocol and endpoints
// (ports meaningful only with TCP and UDP).
type ConvRef struct {
	ID             int
	Proto          uint8
	Client, Server flows.Endpoint
}

// HasPorts reports whether the conversation's endpoints carry ports.
func (r *ConvRef) HasPorts() bool {
	c := flows.Conversation{Proto: r.Proto}
	return c.HasPorts()
}

// convRef names c.
func convRef(c *flows.Conversation) ConvRef {
	return ConvRef{ID: c.ID, Proto: c.Proto, Client: c.Client, Server: c.Server}
}

// ConvExample is a conversation quoted as an example, with how its roles
// were decided.
type ConvExample struct {
	Conv       ConvRef
	Evidence   flows.Evidence
	Confidence flows.Confidence
}

// ClientExample is a client group quoted as an example: its address,
// the ports outside the chosen range (exact or denied) and the span of
// its ephemeral ports.
type ClientExample struct {
	Client netip.Addr
	Ports  []uint16
	Lo, Hi uint16
}

// convExample quotes c.
func convExample(c *flows.Conversation) ConvExample {
	return ConvExample{Conv: convRef(c), Evidence: c.Evidence, Confidence: c.Confidence}
}

// msgKey is what client-range messages are aggregated by.
type msgKey struct {
	kind    MessageKind
	proto   uint8
	profile string
	rng     nacl.PortRange
	limit   int
}

// maxExamples bounds the examples quoted per aggregated message.
const maxExamples = 3

// aggregate folds client-range messages that repeat for many clients into
// one each, with a count and a few examples, in first-seen order.
type aggregate struct {
	msgs []Message
	at   map[msgKey]int
}

func newAggregate() *aggregate { return &aggregate{at: map[msgKey]int{}} }

func (a *aggregate) add(m Message, ex ClientExample) {
	if m.Kind == 0 {
		return
	}
	k := msgKey{m.Kind, m.Proto, m.Profile, m.Range, m.Limit}
	i, ok := a.at[k]
	if !ok {
		i = len(a.msgs)
		a.at[k] = i
		a.msgs = append(a.msgs, m)
	}
	a.msgs[i].Clients++
	if len(a.msgs[i].Examples) < maxExamples {
		a.msgs[i].Examples = append(a.msgs[i].Examples, ex)
	}
}
