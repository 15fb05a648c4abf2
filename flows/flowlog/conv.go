package flowlog

import (
	"bytes"
	"time"

	"github.com/flowverify/flowverify/flows"
)

// Evidence values specific to flow-log records (the others are those of
// flows.Evidence: syn, syn-ack, service-port, ephemeral-port, lower-port).
const (
	// EvidenceFirstRecord: protocols without ports or flags (ICMP, GRE,
	// ...): the sender of the first record is called the client.
	EvidenceFirstRecord flows.Evidence = "first-record"
)

// Leg is the direction of a record within its conversation.
type Leg string

// Legs.
const (
	LegRequest  Leg = "request"  // client to server
	LegResponse Leg = "response" // server to client
)

// PairConfig configures conversation building from records.
type PairConfig struct {
	// Idle ends a conversation: a record of the same interface and
	// 5-tuple starting more than Idle after the conversation's last record
	// ended begins a new one. Default 11 minutes: the longest aggregation
	// interval (10 minutes) plus the up to 60 s by which start and end may
	// lag the packets.
	Idle time.Duration
}

// Roles is the client/server decision of one conversation.
type Roles struct {
	// ClientIsA is true when side A (the sender of the conversation's
	// first record) is the client.
	ClientIsA  bool
	Evidence   flows.Evidence
	Confidence flows.Confidence
}

// Weak reports whether the decision rests on weak evidence (low
// confidence: the lower port, or which record came first).
func (r Roles) Weak() bool { return r.Confidence == flows.Low }

// Totals counts the records of one direction.
type Totals struct {
	Records, Packets, Bytes int64
	// Accepted and Rejected count the records by logged action.
	Accepted, Rejected int64
}

// Conversation is both directions of one 5-tuple on one network interface,
// built from flow-log records.
type Conversation struct {
	// ID numbers conversations from 1 in the order of their first record.
	ID          int
	InterfaceID string
	Proto       uint8
	// A is the sender of the first record, B its peer.
	A, B flows.Endpoint
	Roles
	// AtoB and BtoA total the records of each direction.
	AtoB, BtoA Totals
	// First is the earliest start, Last the latest end (Unix seconds).
	First, Last int64
}

// Client and Server return the endpoints by role.
func (c *Conversation) Client() flows.Endpoint {
	if c.ClientIsA {
		return c.A
	}
	return c.B
}

// Server returns the server endpoint.
func (c *Conversation) Server() flows.Endpoint {
	if c.ClientIsA {
		return c.B
	}
	return c.A
}

// convKey identifies a conversation: interface, protocol and both
// endpoints in canonical order (lower address, then port, first).
type convKey struct {
	lo, hi [16]byte
	eni    uint32 // index of the interface ID
	plo    uint16
	phi    uint16
	proto  uint8
}

// side evidence bits.
const (
	evSYN    uint8 = 1 << iota // sent a record with SYN and no SYN-ACK
	evSYNACK                   // sent a record with SYN-ACK
)

// openConv is a conversation still receiving records.
type openConv struct {
	c  Conversation
	ev [2]uint8 // by side: 0 = A, 1 = B
}

// Pairer groups records into conversations, streaming: a conversation is
// kept while records may still join it (Idle after its last record, and
// as long again for records of files delivered out of order), then
// finished. Feeding the same records in the same order gives the same IDs.
type Pairer struct {
	cfg     PairConfig
	idle    int64
	open    map[convKey]*openConv
	enis    map[string]uint32
	nextID  int
	roles   []uint8 // packed Roles by ID-1, set when the conversation finishes
	done    func(*Conversation)
	maxSeen int64
	// lastSweep is maxSeen at the last sweep.
	lastSweep int64
}

// NewPairer returns a Pairer. done, if not nil, is called with each
// conversation when it finishes (in no particular order).
func NewPairer(cfg PairConfig, done func(*Conversation)) *Pairer {
	if cfg.Idle <= 0 {
		cfg.Idle = 11 * time.Minute
	}
	return &Pairer{cfg: cfg, idle: int64(cfg.Idle / time.Second), open: map[convKey]*openConv{}, enis: map[string]uint32{}, done: done}
}

// Add puts r into its conversation and returns the conversation's ID and
// whether r was sent by side A.
func (p *Pairer) Add(r *Record) (id int, fromA bool) {
	eni, ok := p.enis[r.InterfaceID]
	if !ok {
		eni = uint32(len(p.enis))
		p.enis[r.InterfaceID] = eni
	}
	k := convKey{eni: eni, proto: r.Proto}
	sp, dp := uint16(0), uint16(0)
	if r.HasPorts() {
		sp, dp = r.SrcPort, r.DstPort
	}
	src, dst := r.Src.As16(), r.Dst.As16()
	c := bytes.Compare(src[:], dst[:])
	if c < 0 || (c == 0 && sp <= dp) {
		k.lo, k.plo, k.hi, k.phi = src, sp, dst, dp
	} else {
		k.lo, k.plo, k.hi, k.phi = dst, dp, src, sp
	}
	oc := p.open[k]
	if oc != nil && r.Start > oc.c.Last+p.idle {
		p.finish(k, oc)
		oc = nil
	}
	if oc == nil {
		p.nextID++
		oc = &openConv{c: Conversation{ID: p.nextID, InterfaceID: r.InterfaceID, Proto: r.Proto,
			A: flows.Endpoint{Addr: r.Src, Port: sp}, B: flows.Endpoint{Addr: r.Dst, Port: dp},
			First: r.Start, Last: r.End}}
		p.open[k] = oc
		p.roles = append(p.roles, 0)
	}
	cv := &oc.c
	fromA = cv.A.Addr == r.Src && cv.A.Port == sp
	side := 1
	t := &cv.BtoA
	if fromA {
		side, t = 0, &cv.AtoB
	}
	t.Records++
	t.Packets += r.Packets
	t.Bytes += r.Bytes
	switch r.Action {
	case ActionAccept:
		t.Accepted++
	case ActionReject:
		t.Rejected++
	}
	cv.First = min(cv.First, r.Start)
	cv.Last = max(cv.Last, r.End)
	if r.Proto == 6 && r.Has(FieldTCPFlags) {
		if r.TCPFlags&TCPFlagSYNACK == TCPFlagSYNACK {
			oc.ev[side] |= evSYNACK
		} else if r.TCPFlags&TCPFlagSYN != 0 {
			oc.ev[side] |= evSYN
		}
	}
	p.maxSeen = max(p.maxSeen, r.Start)
	if p.maxSeen >= p.lastSweep+p.idle {
		// Once per Idle of log time: cheap, and memory stays bounded
		// by the conversations of the last few Idle periods.
		p.sweep()
		p.lastSweep = p.maxSeen
	}
	return cv.ID, fromA
}

// sweep finishes conversations no record can join any more: their last
// record ended more than twice Idle before the latest start seen (files
// of different delivery windows overlap by up to one aggregation
// interval).
func (p *Pairer) sweep() {
	limit := p.maxSeen - 2*p.idle
	for k, oc := range p.open {
		if oc.c.Last < limit {
			p.finish(k, oc)
		}
	}
}

// Finish finishes every open conversation. Call it after the last Add.
func (p *Pairer) Finish() {
	for k, oc := range p.open {
		p.finish(k, oc)
	}
}

// Open returns how many conversations are open (memory in use).
func (p *Pairer) Open() int { return len(p.open) }

// Len returns how many conversations have been started.
func (p *Pairer) Len() int { return p.nextID }

// Roles returns the decision of a finished conversation (zero Roles
// before it finished).
func (p *Pairer) Roles(id int) Roles {
	if id < 1 || id > len(p.roles) {
		return Roles{}
	}
	return unpackRoles(p.roles[id-1])
}

// Roles are packed in a byte per conversation: bit 7 set once decided,
// bit 6 ClientIsA, bits 3-5 the evidence, bits 0-2 the confidence.
var (
	evidenceCodes   = []flows.Evidence{"", flows.EvidenceSYN, flows.EvidenceSYNACK, flows.EvidenceServicePort, flows.EvidenceEphemeral, flows.EvidenceLowerPort, flows.EvidenceFirstPacket, EvidenceFirstRecord}
	confidenceCodes = []flows.Confidence{"", flows.Certain, flows.High, flows.Medium, flows.Low}
)

func packRoles(r Roles) uint8 {
	v := uint8(0x80)
	if r.ClientIsA {
		v |= 0x40
	}
	for i, e := range evidenceCodes {
		if e == r.Evidence {
			v |= uint8(i) << 3
		}
	}
	for i, c := range confidenceCodes {
		if c == r.Confidence {
			v |= uint8(i)
		}
	}
	return v
}

func unpackRoles(v uint8) Roles {
	if v&0x80 == 0 {
		return Roles{}
	}
	return Roles{ClientIsA: v&0x40 != 0, Evidence: evidenceCodes[v>>3&7], Confidence: confidenceCodes[v&7]}
}

func (p *Pairer) finish(k convKey, oc *openConv) {
	delete(p.open, k)
	oc.c.Roles = decide(oc)
	p.roles[oc.c.ID-1] = packRoles(oc.c.Roles)
	if p.done != nil {
		p.done(&oc.c)
	}
}

// decide applies the evidence in order: a record with SYN (no SYN-ACK)
// marks the client's leg (certain; high when both sides sent one); a
// record with SYN-ACK marks the server's leg (high when the other side
// logged records too, else medium); then the ports (flows.PortRoles);
// without ports the sender of the first record is the client (low).
func decide(oc *openConv) Roles {
	c := &oc.c
	synA, synB := oc.ev[0]&evSYN != 0, oc.ev[1]&evSYN != 0
	ackA, ackB := oc.ev[0]&evSYNACK != 0, oc.ev[1]&evSYNACK != 0
	switch {
	case synA && !synB:
		return Roles{ClientIsA: true, Evidence: flows.EvidenceSYN, Confidence: flows.Certain}
	case synB && !synA:
		return Roles{ClientIsA: false, Evidence: flows.EvidenceSYN, Confidence: flows.Certain}
	case synA && synB:
		return Roles{ClientIsA: true, Evidence: flows.EvidenceSYN, Confidence: flows.High}
	case ackA != ackB:
		other := c.BtoA.Records
		if ackB {
			other = c.AtoB.Records
		}
		conf := flows.Medium
		if other > 0 {
			conf = flows.High
		}
		return Roles{ClientIsA: ackB, Evidence: flows.EvidenceSYNACK, Confidence: conf}
	}
	if c.Proto == 6 || c.Proto == 17 {
		if c.A.Port != 0 || c.B.Port != 0 {
			a, ev, conf := flows.PortRoles(c.A.Port, c.B.Port)
			return Roles{ClientIsA: a, Evidence: ev, Confidence: conf}
		}
	}
	return Roles{ClientIsA: true, Evidence: EvidenceFirstRecord, Confidence: flows.Low}
}

// LegOf returns the leg of a record sent by side A (fromA) or B.
func (r Roles) LegOf(fromA bool) Leg {
	if fromA == r.ClientIsA {
		return LegRequest
	}
	return LegResponse
}
