package synth

import (
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// classify decides whether c produces rules.
func (b *builder) classify(c *flows.Conversation) (classified, bool) {
	cl := classified{c: c}
	cl.seenReq, cl.seenResp = b.legsSeen(c)
	cl.req, cl.resp = legPackets(c)
	cl.jreq = b.judge.Judge(&cl.req)
	cl.jresp = b.judge.Judge(&cl.resp)
	// A leg exempt or not filtered needs no rule; the conversation is
	// excluded when no observed leg crosses a boundary (a DHCP-like leg
	// may be exempt while the other is not).
	var other *replay.Judgement
	crossing := false
	for _, l := range []struct {
		j        *replay.Judgement
		observed bool
	}{{&cl.jreq, cl.seenReq || !cl.seenResp}, {&cl.jresp, cl.seenResp}} {
		if !l.observed {
			continue
		}
		if l.j.Verdict == replay.Allow {
			crossing = true
		} else if other == nil {
			other = l.j
		}
	}
	if !crossing {
		switch {
		case other.Verdict == replay.Exempt:
			b.exclude(c, ExclExempt, ExclusionReason{Reason: other.Reason})
		case other.Reason == "same-subnet":
			b.exclude(c, ExclSameSubnet, ExclusionReason{Reason: other.Reason})
		default:
			b.exclude(c, ExclNotCrossing, ExclusionReason{Reason: other.Reason})
		}
		return cl, false
	}
	r := neverWorked(c, cl.seenReq, cl.seenResp)
	if r != "" && !b.opts.IncludeFailed {
		b.noteClosed(&cl)
		b.exclude(c, ExclFailed, ExclusionReason{Reason: r})
		return cl, false
	}
	if b.denies != nil {
		if reason, ok := b.conflict(&cl); ok {
			b.exclude(c, ExclConflict, reason)
			return cl, false
		}
	}
	if f := c.First(); !f.IsZero() && (b.res.First.IsZero() || f.Before(b.res.First)) {
		b.res.First = f
	}
	if l := c.Last(); l.After(b.res.Last) {
		b.res.Last = l
	}
	if c.Confidence == flows.Low {
		b.nLowConf++
		if len(b.lowConf) < 3 {
			b.lowConf = append(b.lowConf, convExample(c))
		}
	}
	return cl, true
}

// conflict reports whether an observed leg of cl is denied by a kept rule.
func (b *builder) conflict(cl *classified) (ExclusionReason, bool) {
	legs := []struct {
		p  *nacl.Packet
		j  *replay.Judgement
		ok bool
	}{{&cl.req, &cl.jreq, cl.seenReq}, {&cl.resp, &cl.jresp, cl.seenResp}}
	for _, l := range legs {
		if !l.ok {
			continue
		}
		for i := 0; i < l.j.NCheck; i++ {
			dir := l.j.Checks[i].Direction
			d := b.denies.Evaluate(dir, l.p)
			if d.Action == nacl.Deny && !d.IsDefault() {
				b.res.Conflicts = append(b.res.Conflicts, Conflict{Conv: b.keep(cl.c), Direction: dir, Rule: d.RuleNumber})
				return ExclusionReason{Reason: ReasonKeptDeny, Direction: dir, Rule: d.RuleNumber}, true
			}
		}
	}
	return ExclusionReason{}, false
}

// legsSeen reports whether each leg of c carried real packets. ICMP errors
// quoting the conversation are counted in its DirStats; with packet
// observations they are told apart exactly, without them a direction
// counts when it has more packets than there were ICMP errors.
func (b *builder) legsSeen(c *flows.Conversation) (req, resp bool) {
	if c.ICMPErrors == 0 {
		return c.ToServer.Packets > 0, c.ToClient.Packets > 0
	}
	if obs := b.opts.Observations.shapesOf(c.ID); len(obs) > 0 {
		for _, o := range obs {
			if o.ICMPError || o.Packet.Proto != c.Proto {
				continue
			}
			if o.Packet.Src == c.Client.Addr && o.Packet.Dst == c.Server.Addr {
				req = true
			}
			if o.Packet.Src == c.Server.Addr && o.Packet.Dst == c.Client.Addr {
				resp = true
			}
		}
		return req, resp
	}
	return c.ToServer.Packets > c.ICMPErrors, c.ToClient.Packets > c.ICMPErrors
}
