package render

import (
	"fmt"
	"io"
	"strconv"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/flowcheck"
)

// FlowDiffRow is the printed form of one flow (interface, protocol, source, destination and
// destination port) whose records change verdict between two NACLs.
type FlowDiffRow struct {
	Interface  string `json:"interface"`
	Proto      string `json:"proto"`
	Src        string `json:"src"`
	Dst        string `json:"dst"`
	Change     string `json:"change"` // newly-denied or newly-allowed
	Records    int64  `json:"records"`
	Packets    int64  `json:"packets"`
	Bytes      int64  `json:"bytes"`
	Logged     string `json:"logged"` // ACCEPT, REJECT or both
	OldVerdict string `json:"old_verdict"`
	OldRule    string `json:"old_rule"`
	NewVerdict string `json:"new_verdict"`
	NewRule    string `json:"new_rule"`
	First      string `json:"first_file_line"`
}

// FlowDiffReport is the printed form of `diff` over flow logs.
type FlowDiffReport struct {
	Records      int64         `json:"records"`
	NewlyDenied  int64         `json:"newly_denied_records"`
	NewlyAllowed int64         `json:"newly_allowed_records"`
	Rows         []FlowDiffRow `json:"flows"`
	Problems     []string      `json:"problems"`
	Complete     bool          `json:"complete"`
}

// NewFlowDiffReport returns the printed form of d.
func NewFlowDiffReport(d *flowcheck.DiffReport) *FlowDiffReport {
	r := &FlowDiffReport{Records: d.Records, NewlyDenied: d.NewlyDenied, NewlyAllowed: d.NewlyAllowed, Complete: d.Summary.Complete()}
	for i := range d.Flows {
		f := &d.Flows[i]
		logged := f.Logged.String()
		if f.Mixed {
			logged = "both"
		}
		r.Rows = append(r.Rows, FlowDiffRow{Interface: f.Interface, Proto: flows.ProtoName(f.Proto),
			Src: addrPortText(f.Src.Addr(), f.Src.Port(), f.HasPorts), Dst: addrPortText(f.Dst.Addr(), f.Dst.Port(), f.HasPorts),
			Change: f.Change.String(), Records: f.Records, Packets: f.Packets, Bytes: f.Bytes, Logged: logged,
			OldVerdict: string(f.Old.Verdict), OldRule: flowRuleText(&f.Old), NewVerdict: string(f.New.Verdict), NewRule: flowRuleText(&f.New),
			First: f.File + ":" + strconv.FormatInt(f.Line, 10)})
	}
	for i := range d.Problems {
		r.Problems = append(r.Problems, d.Problems[i].Error())
	}
	return r
}

// flowRuleText names the deciding rule ("acl-1 in#100"), else the
// reason no rule decided.
func flowRuleText(d *flowcheck.Decision) string {
	if !d.HasRule {
		return d.Reason
	}
	dir := "in"
	if d.Direction == nacl.Egress {
		dir = "out"
	}
	return d.ACL + " " + dir + "#" + strconv.Itoa(d.Rule)
}

// FlowDiffCSVHeader is the header of `diff --format csv` over flow logs.
var FlowDiffCSVHeader = []string{"change", "interface", "proto", "src", "dst", "records", "packets", "bytes", "logged", "old_verdict", "old_rule", "new_verdict", "new_rule", "first_file_line"}

// WriteFlowDiff writes the report as text (the answer first, then a table
// of the changed flows, newly denied first), json or csv.
func WriteFlowDiff(w io.Writer, format string, d *flowcheck.DiffReport, colour bool) error {
	r := NewFlowDiffReport(d)
	switch format {
	case "json":
		if r.Rows == nil {
			r.Rows = []FlowDiffRow{}
		}
		if r.Problems == nil {
			r.Problems = []string{}
		}
		return WriteJSON(w, r)
	case "csv":
		rows := make([][]string, len(r.Rows))
		for i, x := range r.Rows {
			rows[i] = []string{x.Change, x.Interface, x.Proto, x.Src, x.Dst, itoa(x.Records), itoa(x.Packets), itoa(x.Bytes), x.Logged, x.OldVerdict, x.OldRule, x.NewVerdict, x.NewRule, x.First}
		}
		return writeCSV(w, FlowDiffCSVHeader, rows)
	}
	if _, err := fmt.Fprintf(w, "%d of %d flow-log records become denied and %d become allowed with the new NACL.\n", r.NewlyDenied, r.Records, r.NewlyAllowed); err != nil {
		return err
	}
	if len(r.Rows) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tt := newTextTable("CHANGE", "INTERFACE", "PROTO", "SRC", "DST", "RECORDS", "LOGGED", "OLD", "NEW", "FIRST").alignRight(5)
	for _, x := range r.Rows {
		tt.add(x.Change, x.Interface, x.Proto, x.Src, x.Dst, strconv.FormatInt(x.Records, 10), x.Logged, x.OldVerdict+" "+x.OldRule, x.NewVerdict+" "+x.NewRule, x.First)
	}
	return tt.write(w, colour)
}
