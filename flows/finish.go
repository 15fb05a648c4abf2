package flows

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows/ephemeral"
)

// Finish classifies every conversation (client/server, evidence,
// confidence, profiles, final state) and returns them ordered by ID, with
// the summary. The table must not be used afterwards.
func (t *Table) Finish() ([]*Conversation, Summary) {
	fan := newFanIn(&t.idx, &t.recs, t.cfg.FanInPeers)
	decisions := make([]decision, t.recs.n)
	known := knownRoles{}
	for i := range decisions {
		r := t.recs.at(i)
		decisions[i] = classify(r, fan)
		known.learn(r, decisions[i])
	}
	convs := make([]Conversation, t.recs.n)
	out := make([]*Conversation, t.recs.n)
	for i := range convs {
		r := t.recs.at(i)
		c := &convs[i]
		d := decisions[i]
		if weak(d) {
			if kd, ok := known.apply(r); ok {
				d = kd
			}
		}
		t.build(c, r, d)
		c.ID = i + 1
		out[i] = c
		t.sum.ConversationsByProto[ProtoName(c.Proto)]++
		if c.Proto == capture.ProtoTCP {
			if both := r.side[0] | r.side[1]; both&(sSYN|sSYNACK) == 0 {
				t.sum.Anomalies["tcp without handshake"]++
			} else if both&sSYN == 0 {
				// One-sided capture, asymmetric routing, or backscatter.
				t.sum.Anomalies["syn-ack without syn"]++
			}
		}
	}
	sum := t.sum
	t.recs = store{}
	t.idx = index{}
	return out, sum
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
	switch {
	case r.k.proto == capture.ProtoTCP:
		c.State = tcpState(r)
		c.HandshakeSeen = (r.side[0]|r.side[1])&(sSYN|sSYNACK) != 0
	case r.side[0]&sSent != 0 && r.side[1]&sSent != 0:
		c.State = StateTwoWay
	default:
		c.State = StateOneWay
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
