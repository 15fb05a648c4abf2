package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/flowcheck"
	"github.com/flowverify/flowverify/nacl/synth"
)

// runSynthFlowLogs is `synth` over VPC Flow Logs: the conversations built
// from the records are synthesized as captured conversations are, and the
// records (one packet shape each) are replayed against the result. A TCP
// conversation whose requests were all REJECTed is a refused connection
// and stays shut (unless --include-failed); one whose replies only were
// REJECTed (a NACL dropping the return leg) is allowed.
func runSynthFlowLogs(env *runEnv, sf *synthFlags, opts synth.Options, logFormat string, paths []string) int {
	const cmd = "synth"
	if len(opts.Subnets) == 0 {
		return fail(env, cmd, errors.New("flow logs need --subnet CIDR: the capture host cannot be detected from flow logs"))
	}
	rd, err := flowlog.Open(paths, flowlog.Options{Format: logFormat})
	if err != nil {
		return fail(env, cmd, err)
	}
	fileIndex := map[string]int{}
	for i, f := range rd.Files() {
		if _, ok := fileIndex[f]; !ok {
			fileIndex[f] = i
		}
	}
	var convs []*flows.Conversation
	pairer := flowlog.NewPairer(flowlog.PairConfig{}, func(c *flowlog.Conversation) {
		convs = append(convs, conversationOf(c))
	})
	obs := synth.NewObservations()
	for rec := rd.Next(); rec != nil; rec = rd.Next() {
		id, _ := pairer.Add(rec)
		obs.AddPacket(id, flowcheck.PacketOf(rec), false, flows.FrameRef{File: fileIndex[rec.File], Frame: rec.Line})
	}
	pairer.Finish()
	rd.Close()
	problems := rd.Problems()
	for i := range problems {
		fmt.Fprintf(env.stderr, "flowverify %s: %s\n", cmd, problems[i].Error())
	}
	opts.Observations = obs
	res, err := synth.Synthesize(convs, opts)
	if err != nil {
		return fail(env, cmd, err)
	}
	check, err := synth.SelfCheck(res, obs)
	if err != nil {
		return fail(env, cmd, err)
	}
	if err := writeSynthReport(env, sf, res, check); err != nil {
		return fail(env, cmd, err)
	}
	if !check.OK() {
		return fail(env, cmd, fmt.Errorf("BUG: the self-check replay denied %d records of conversations the generated ACL should allow; no ACL written (please report this with the flow logs)", check.FailedPackets))
	}
	if err := writeSynthACL(env, sf, res.ACL); err != nil {
		return fail(env, cmd, err)
	}
	if !rd.Summary().Complete() {
		fmt.Fprintln(env.stderr, "flowverify synth: error: the input is incomplete (see above): rules cover only what was read")
		return exitError
	}
	if res.HasConflicts() {
		return exitFindings
	}
	return exitOK
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
