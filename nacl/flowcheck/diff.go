package flowcheck

import (
	"net/netip"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Change is how a record's verdict changes between two ACLs.
type Change uint8

// Changes.
const (
	// NewlyDenied: allowed (or not filtered) before, denied after.
	NewlyDenied Change = iota
	// NewlyAllowed: denied before, not denied after.
	NewlyAllowed
)

// String returns "newly-denied" or "newly-allowed".
func (c Change) String() string {
	if c == NewlyAllowed {
		return "newly-allowed"
	}
	return "newly-denied"
}

// DiffFlow is one flow (interface, protocol, source and destination with
// ports, as the NACL sees them) whose records change verdict.
type DiffFlow struct {
	Interface string
	Proto     uint8
	// Src and Dst carry ports when HasPorts.
	Src, Dst netip.AddrPort
	HasPorts bool
	Change   Change
	Records  int64
	Packets  int64
	Bytes    int64
	// Logged is the action the flow's first record logged; Mixed: its
	// records logged different actions.
	Logged flowlog.Action
	Mixed  bool
	// Old and New are the verdicts of the flow's first record.
	Old, New Decision
	// File and Line locate the flow's first record.
	File string
	Line int64
}

// Decision is a record's verdict at the logging interface and the rule
// behind it: compact, for reports that keep one per flow.
type Decision struct {
	Verdict replay.Verdict
	// HasRule: ACL, Direction and Rule name the deciding rule; else
	// Reason says why no rule decided (exempt, not filtered).
	HasRule   bool
	ACL       string
	Direction nacl.Direction
	Rule      int
	Reason    string
}

// DecisionOf returns the compact form of res.
func DecisionOf(res *Result) Decision {
	d := Decision{Verdict: res.Verdict, Reason: res.Judgement.Reason}
	if c := res.Check(); c != nil {
		d.HasRule, d.ACL, d.Direction, d.Rule = true, c.ACL, c.Direction, c.Rule
	}
	return d
}

// DiffReport is the outcome of judging every record against two ACLs.
type DiffReport struct {
	Records      int64
	NewlyDenied  int64
	NewlyAllowed int64
	// Flows are the changed flows, newly denied first, each group in the
	// order of its first record.
	Flows    []DiffFlow
	Problems []flowlog.Problem
	Summary  flowlog.Summary
}

// Diff reads the flow logs at paths and judges each record in the window
// with both judges; records whose denial changes are grouped by flow.
func Diff(paths []string, oldJ, newJ *replay.Judge, o Options) (*DiffReport, error) {
	rd, err := flowlog.Open(paths, o.Log)
	if err != nil {
		return nil, err
	}
	oldC, newC := New(oldJ, o.Interfaces), New(newJ, o.Interfaces)
	type key struct {
		eni      string
		proto    uint8
		src, dst netip.AddrPort
		change   Change
	}
	flows := map[key]*DiffFlow{}
	var order []key
	rep := &DiffReport{}
	inWin := NewWindow(o.Window)
	for rec := rd.Next(); rec != nil; rec = rd.Next() {
		if !inWin(rec) {
			continue
		}
		rep.Records++
		od, nd := oldC.Check(rec), newC.Check(rec)
		if (od.Verdict == replay.Deny) == (nd.Verdict == replay.Deny) {
			continue
		}
		change := NewlyDenied
		if od.Verdict == replay.Deny {
			change = NewlyAllowed
			rep.NewlyAllowed++
		} else {
			rep.NewlyDenied++
		}
		var sp, dp uint16
		if rec.HasPorts() {
			sp, dp = rec.SrcPort, rec.DstPort
		}
		k := key{rec.InterfaceID, rec.Proto, netip.AddrPortFrom(nd.Packet.Src, sp), netip.AddrPortFrom(nd.Packet.Dst, dp), change}
		f := flows[k]
		if f == nil {
			f = &DiffFlow{Interface: k.eni, Proto: k.proto, Src: k.src, Dst: k.dst, HasPorts: rec.HasPorts(), Change: change,
				Logged: rec.Action, Old: DecisionOf(&od), New: DecisionOf(&nd), File: rec.File, Line: rec.Line}
			flows[k] = f
			order = append(order, k)
		}
		f.Records++
		f.Packets += rec.Packets
		f.Bytes += rec.Bytes
		if rec.Action != f.Logged {
			f.Mixed = true
		}
	}
	rd.Close()
	for _, want := range []Change{NewlyDenied, NewlyAllowed} {
		for _, k := range order {
			if k.change == want {
				rep.Flows = append(rep.Flows, *flows[k])
			}
		}
	}
	rep.Problems, rep.Summary = rd.Problems(), rd.Summary()
	return rep, nil
}
