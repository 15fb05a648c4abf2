package flows

import (
	"iter"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows/ephemeral"
)

// Classified holds a finished table: every conversation's client/server
// decision, with the compact records kept so that exported Conversation
// values are built on demand, one at a time. Streaming through
// Conversations keeps
// memory at the table's size (about 160 bytes per conversation) instead of
// materialising every Conversation (about 500 bytes each).
type Classified struct {
	t         *Table
	decisions []packedDecision
	sum       Summary
}

// Classify decides client and server for every conversation, computes the
// summary, and returns the result. The table must not be used afterwards.
func (t *Table) Classify() *Classified {
	if t.ev != nil {
		panic("flows: Classify on a streaming table (use Close)")
	}
	fan := newFanIn(&t.idx, &t.recs, t.cfg.FanInPeers)
	// Decisions are stored packed (one byte each) from the start, so that
	// classification adds almost nothing to the table's memory.
	packed := make([]packedDecision, t.recs.n)
	known := knownRoles{}
	for i := range packed {
		r := t.recs.at(i)
		d := classify(r, fan)
		known.learn(r, d)
		packed[i] = pack(d)
	}
	t.idx = index{}
	for i := range packed {
		r := t.recs.at(i)
		if d := packed[i].unpack(); weak(d) {
			if kd, ok := known.apply(r); ok {
				packed[i] = pack(kd)
			}
		}
		t.countConversation(r)
	}
	return &Classified{t: t, decisions: packed, sum: t.sum}
}

// countConversation adds r to the summary's conversation counts.
func (t *Table) countConversation(r *rec) {
	t.sum.ConversationsByProto[ProtoName(r.k.proto)]++
	if r.k.proto == capture.ProtoTCP {
		if both := r.side[0] | r.side[1]; both&(sSYN|sSYNACK) == 0 {
			t.sum.Anomalies["tcp without handshake"]++
		} else if both&sSYN == 0 {
			// One-sided capture, asymmetric routing, or backscatter.
			t.sum.Anomalies["syn-ack without syn"]++
		}
	}
}

// Len is the number of conversations; their IDs are 1..Len().
func (c *Classified) Len() int { return len(c.decisions) }

// Summary returns the table's summary.
func (c *Classified) Summary() Summary { return c.sum }

// Conversation fills dst with the conversation whose ID is id (1-based).
func (c *Classified) Conversation(id int, dst *Conversation) {
	*dst = Conversation{}
	c.t.build(dst, c.t.recs.at(id-1), c.decisions[id-1].unpack())
	dst.ID = id
}

// Conversations iterates over every conversation in ID order: the one
// streaming API of a finished table. It builds each Conversation from the
// compact records on demand into one reused value, so the loop body must
// copy what it keeps, and memory stays at the table's size however many
// conversations there are. Breaking out of the loop stops the iteration.
//
//	for c := range convs.Conversations() {
//		fmt.Println(c.ID, c.Client, c.Server)
//	}
func (c *Classified) Conversations() iter.Seq[*Conversation] {
	return func(yield func(*Conversation) bool) {
		var conv Conversation
		for id := 1; id <= c.Len(); id++ {
			c.Conversation(id, &conv)
			if !yield(&conv) {
				return
			}
		}
	}
}

// All materialises every conversation, ordered by ID.
func (c *Classified) All() []*Conversation {
	convs := make([]Conversation, c.Len())
	out := make([]*Conversation, c.Len())
	for i := range convs {
		c.Conversation(i+1, &convs[i])
		out[i] = &convs[i]
	}
	return out
}

// build fills c from r and the classifier's decision.
func (t *Table) build(c *Conversation, r *rec, d decision) {
	cl, sv := d.client, 1-d.client
	c.Proto, c.Version = r.k.proto, r.k.version()
	c.Client = Endpoint{Addr: r.k.addr(cl), Port: r.k.port(cl)}
	c.Server = Endpoint{Addr: r.k.addr(sv), Port: r.k.port(sv)}
	c.ClientSide = Side(cl ^ r.aSide())
	if r.k.kind&^kindV6 == kindEcho {
		c.EchoID = r.k.pa
	}
	c.ToServer, c.ToClient = dirStats(&r.d[cl]), dirStats(&r.d[sv])
	c.ICMPErrors, c.Fragments = uint64(r.icmpErr), uint64(r.fragments)
	c.Evidence, c.Confidence = d.evidence, d.confidence
	c.State = recState(r)
	if r.k.proto == capture.ProtoTCP {
		c.HandshakeSeen = (r.side[0]|r.side[1])&(sSYN|sSYNACK) != 0
	}
	if c.HasPorts() {
		c.ClientProfiles = ephemeral.Matching(c.Client.Port)
	}
}

// dirStats converts a compact direction counter.
func dirStats(d *dir) DirStats {
	if d.pkts == 0 {
		return DirStats{}
	}
	return DirStats{Packets: d.pkts, Bytes: d.bytes, First: fromNS(d.firstNS), Last: fromNS(d.lastNS), FirstFrame: unpackFrame(d.frame)}
}

// packedDecision stores a decision in one byte: the client side in bit 0,
// the evidence index in bits 1-4, the confidence index in bits 5-7.
type packedDecision uint8

var (
	evidenceCodes   = []Evidence{EvidenceSYN, EvidenceSYNACK, EvidenceICMPEcho, EvidenceServicePort, EvidenceEphemeral, EvidenceKnownRole, EvidenceFanIn, EvidenceFirstPacket, EvidenceLowerPort, EvidenceNone, EvidencePayload, EvidenceSharedPort}
	confidenceCodes = []Confidence{Certain, High, Medium, Low}
)

func pack(d decision) packedDecision {
	e, c := 0, 0
	for i, v := range evidenceCodes {
		if v == d.evidence {
			e = i
		}
	}
	for i, v := range confidenceCodes {
		if v == d.confidence {
			c = i
		}
	}
	return packedDecision(d.client&1 | uint8(e)<<1 | uint8(c)<<5)
}

func (p packedDecision) unpack() decision {
	return decision{client: uint8(p & 1), evidence: evidenceCodes[p>>1&0xf], confidence: confidenceCodes[p>>5&0x7]}
}

// Endpoints returns the protocol of conversation id (1-based) and its
// endpoints as first seen: a is side A (the sender of its first packet),
// b side B. Ports are zero for protocols without ports. It builds nothing,
// so callers that only need the addresses avoid Conversation's cost.
func (c *Classified) Endpoints(id int) (proto uint8, a, b Endpoint) {
	r := c.t.recs.at(id - 1)
	as := r.aSide()
	return r.k.proto, Endpoint{Addr: r.k.addr(as), Port: r.k.port(as)}, Endpoint{Addr: r.k.addr(1 - as), Port: r.k.port(1 - as)}
}

// ClientSide returns which side (A or B) of conversation id is the client,
// as Conversation.ClientSide would.
func (c *Classified) ClientSide(id int) Side {
	return Side(c.decisions[id-1].unpack().client ^ c.t.recs.at(id-1).aSide())
}

// Dir returns the counters of the packets side s (A or B) of conversation
// id sent, as Conversation's ToServer (s is the client) or ToClient.
func (c *Classified) Dir(id int, s Side) DirStats {
	r := c.t.recs.at(id - 1)
	return dirStats(&r.d[uint8(s&1)^r.aSide()])
}

// State returns the final state of conversation id, as Conversation.State.
func (c *Classified) State(id int) State { return recState(c.t.recs.at(id - 1)) }

// recState is the final state of a record.
func recState(r *rec) State {
	switch {
	case r.k.proto == capture.ProtoTCP:
		return tcpState(r)
	case r.side[0]&sSent != 0 && r.side[1]&sSent != 0:
		return StateTwoWay
	}
	return StateOneWay
}
