package flowcheck

import (
	"time"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Options configure Run, Records and Diff.
type Options struct {
	// Log holds the flow-log reader's options (the log format of files
	// without a header line).
	Log flowlog.Options
	// Window keeps the records whose aggregation interval overlaps it.
	Window replay.Window
	// Interfaces (describe-network-interfaces, may be nil) place
	// interfaces whose records lack subnet-id.
	Interfaces []replay.InterfaceInfo
	// MaxExamples is how many records of each attribution a Report
	// quotes (0: none).
	MaxExamples int
}

// Example is one judged record quoted in a Report.
type Example struct {
	Record flowlog.Record
	Result Result
}

// Report is the outcome of judging every record of a set of flow logs.
type Report struct {
	// Summary and Problems are the reader's: what was read and what could not be.
	Summary  flowlog.Summary
	Problems []flowlog.Problem
	Totals   Totals
	Hits     []Hit
	// Conversations is how many conversations the records pair into.
	Conversations int
	// Explained are the first REJECTs the NACL explains, Unexplained the
	// first REJECTs it does not, WouldDeny the first ACCEPTs the ACL
	// would deny (each at most Options.MaxExamples).
	Explained, Unexplained, WouldDeny []Example
	// pairer holds the conversations' roles for Records.
	pairer *flowlog.Pairer
}

// Run reads the flow logs at paths and judges every record in the
// window: totals, per-rule hits, examples and the conversations.
func Run(paths []string, j *replay.Judge, o Options) (*Report, error) {
	rd, err := flowlog.Open(paths, o.Log)
	if err != nil {
		return nil, err
	}
	checker := New(j, o.Interfaces)
	pairer := flowlog.NewPairer(flowlog.PairConfig{}, nil)
	rep := &Report{pairer: pairer}
	inWin := NewWindow(o.Window)
	for rec := rd.Next(); rec != nil; rec = rd.Next() {
		if !inWin(rec) {
			continue
		}
		res := checker.Check(rec)
		pairer.Add(rec)
		var ex *[]Example
		switch res.Attribution {
		case AttrNACL:
			ex = &rep.Explained
		case AttrNotNACL:
			ex = &rep.Unexplained
		case AttrAcceptWouldDeny:
			ex = &rep.WouldDeny
		}
		if ex != nil && len(*ex) < o.MaxExamples {
			*ex = append(*ex, Example{Record: *rec, Result: res})
		}
	}
	rd.Close()
	pairer.Finish()
	rep.Summary, rep.Totals, rep.Hits, rep.Problems = rd.Summary(), checker.Totals(), checker.Hits(), rd.Problems()
	rep.Conversations = pairer.Len()
	return rep, nil
}

// RecordVisit is one record of Records: the record, its judgement, its
// conversation and its leg in it.
type RecordVisit struct {
	Rec          *flowlog.Record
	Res          *Result
	Conversation int
	Leg          flowlog.Leg
	// Weak: the conversation's roles were guessed with low confidence.
	Weak bool
}

// Records reads the flow logs again, in the same order as the Run that
// made rep, and calls visit for each record in the window with its
// conversation and leg (the roles decided by that Run). It stops at the
// first error visit returns.
func (rep *Report) Records(paths []string, j *replay.Judge, o Options, visit func(*RecordVisit) error) error {
	rd, err := flowlog.Open(paths, o.Log)
	if err != nil {
		return err
	}
	defer rd.Close()
	checker := New(j, o.Interfaces)
	pairer := flowlog.NewPairer(flowlog.PairConfig{}, nil)
	inWin := NewWindow(o.Window)
	for rec := rd.Next(); rec != nil; rec = rd.Next() {
		if !inWin(rec) {
			continue
		}
		res := checker.Check(rec)
		id, fromA := pairer.Add(rec)
		roles := rep.pairer.Roles(id)
		if err := visit(&RecordVisit{Rec: rec, Res: &res, Conversation: id, Leg: roles.LegOf(fromA), Weak: roles.Weak()}); err != nil {
			return err
		}
	}
	return nil
}

// NewWindow returns the window filter for records: a record is in the
// window when its aggregation interval overlaps it. Relative bounds count
// from the start of the first record seen.
func NewWindow(w replay.Window) func(*flowlog.Record) bool {
	var since, until time.Time
	started := false
	resolve := func(b replay.TimeBound, start time.Time) time.Time {
		if b.IsRel {
			return start.Add(b.Rel)
		}
		return b.Abs
	}
	return func(r *flowlog.Record) bool {
		if !w.Since.Set && !w.Until.Set {
			return true
		}
		if !started {
			started = true
			since, until = resolve(w.Since, r.StartTime()), resolve(w.Until, r.StartTime())
		}
		if w.Since.Set && r.EndTime().Before(since) {
			return false
		}
		return !w.Until.Set || !r.StartTime().After(until)
	}
}
