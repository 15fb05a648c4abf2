package synth

import (
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/flowcheck"
)

// FlowLogInput is what Synthesize and SelfCheck take from VPC Flow Logs.
type FlowLogInput struct {
	// Conversations are the conversations the records pair into, in the
	// order they finish.
	Conversations []*flows.Conversation
	// Observations hold one packet shape per record (frame = line).
	Observations *Observations
	// Summary and Problems are the reader's.
	Summary  flowlog.Summary
	Problems []flowlog.Problem
}

// ReadFlowLogs reads the flow logs at paths into conversations (roles and
// evidence, counts per direction, a state from the logged actions: a TCP
// conversation whose requests were all REJECTed is a refused connection)
// and observations (each record's packet as a NACL sees it).
func ReadFlowLogs(paths []string, opts flowlog.Options) (*FlowLogInput, error) {
	rd, err := flowlog.Open(paths, opts)
	if err != nil {
		return nil, err
	}
	fileIndex := map[string]int{}
	for i, f := range rd.Files() {
		if _, ok := fileIndex[f]; !ok {
			fileIndex[f] = i
		}
	}
	in := &FlowLogInput{Observations: NewObservations()}
	pairer := flowlog.NewPairer(flowlog.PairConfig{}, func(c *flowlog.Conversation) {
		in.Conversations = append(in.Conversations, conversationOf(c))
	})
	for rec := rd.Next(); rec != nil; rec = rd.Next() {
		id, _ := pairer.Add(rec)
		in.Observations.AddPacket(id, flowcheck.PacketOf(rec), false, flows.FrameRef{File: fileIndex[rec.File], Frame: rec.Line})
	}
	pairer.Finish()
	rd.Close()
	in.Summary, in.Problems = rd.Summary(), rd.Problems()
	return in, nil
}

// conversationOf turns a flow-log conversation into the conversation the
// synthesizer takes: roles and evidence, counts per direction (records'
// packets and bytes), and a state from the logged actions.
func conversationOf(c *flowlog.Conversation) *flows.Conversation {
	toS, toC := c.AtoB, c.BtoA
	side := flows.SideA
	if !c.ClientIsA {
		toS, toC = toC, toS
		side = flows.SideB
	}
	first, last := flowTime(c.First), flowTime(c.Last)
	dir := func(t flowlog.Totals) flows.DirStats {
		d := flows.DirStats{Packets: uint64(t.Packets), Bytes: uint64(t.Bytes)}
		if t.Records > 0 {
			d.First, d.Last = first, last
		}
		return d
	}
	fc := &flows.Conversation{ID: c.ID, Proto: c.Proto, Version: 4, Client: c.Client(), Server: c.Server(), ClientSide: side,
		ToServer: dir(toS), ToClient: dir(toC), Evidence: c.Evidence, Confidence: c.Confidence}
	if c.A.Addr.Is6() {
		fc.Version = 6
	}
	fc.HandshakeSeen = c.Evidence == flows.EvidenceSYN || c.Evidence == flows.EvidenceSYNACK
	if fc.HasPorts() {
		fc.ClientProfiles = ephemeral.Matching(fc.Client.Port)
	}
	switch {
	case c.Proto == 6 && toS.Records > 0 && toS.Accepted == 0:
		fc.State = flows.StateRejected // every request REJECTed: refused
	case c.Proto == 6 && toC.Records > 0:
		fc.State = flows.StateEstablished
	case c.Proto == 6 && fc.HandshakeSeen:
		fc.State = flows.StateUnanswered
	case c.Proto == 6:
		fc.State = flows.StateMidstream
	case toC.Records > 0 && toS.Records > 0:
		fc.State = flows.StateTwoWay
	default:
		fc.State = flows.StateOneWay
	}
	return fc
}

// flowTime converts Unix seconds to a UTC time.
func flowTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
