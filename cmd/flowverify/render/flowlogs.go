package render

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/flowcheck"
	"github.com/flowverify/flowverify/nacl/replay"
)

// FlowRecordJSON returns one JSON object (with a trailing newline) for a
// judged record, in input order: file, line, time (start) and end,
// interface, action (as logged), proto, src, dst, sport/dport, packets,
// bytes, conversation, leg, weak_roles (when true), verdict, reason,
// attribution (when any), placement, uncertain (when true), checks in the
// shape of --packets lines, and decided_by (the index in checks of the
// check behind verdict and attribution). The slice is reused.
func (w *PacketWriter) FlowRecordJSON(fr *flowcheck.RecordVisit) []byte {
	r, res := fr.Rec, fr.Res
	b := w.buf[:0]
	b = append(b, `{"file":`...)
	b = w.q(b, r.File)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, r.Line, 10)
	b = append(b, `,"time":"`...)
	b = append(b, FormatTimeSeconds(r.StartTime())...)
	b = append(b, `","end":"`...)
	b = append(b, FormatTimeSeconds(r.EndTime())...)
	b = append(b, `","interface":`...)
	b = w.q(b, r.InterfaceID)
	b = append(b, `,"action":"`...)
	b = append(b, r.Action.String()...)
	b = append(b, `","proto":"`...)
	b = append(b, flows.ProtoName(r.Proto)...)
	b = append(b, `","src":"`...)
	b = res.Packet.Src.AppendTo(b)
	b = append(b, `","dst":"`...)
	b = res.Packet.Dst.AppendTo(b)
	b = append(b, '"')
	if r.HasPorts() {
		b = append(b, `,"sport":`...)
		b = strconv.AppendUint(b, uint64(r.SrcPort), 10)
		b = append(b, `,"dport":`...)
		b = strconv.AppendUint(b, uint64(r.DstPort), 10)
	}
	b = append(b, `,"packets":`...)
	b = strconv.AppendInt(b, r.Packets, 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, r.Bytes, 10)
	if fr.Conversation > 0 {
		b = append(b, `,"conversation":`...)
		b = strconv.AppendInt(b, int64(fr.Conversation), 10)
		b = append(b, `,"leg":"`...)
		b = append(b, fr.Leg...)
		b = append(b, '"')
		if fr.Weak {
			b = append(b, `,"weak_roles":true`...)
		}
	}
	b = append(b, `,"verdict":"`...)
	b = append(b, res.Verdict...)
	b = append(b, '"')
	if res.Judgement.Reason != "" {
		b = append(b, `,"reason":"`...)
		b = append(b, res.Judgement.Reason...)
		b = append(b, '"')
	}
	if res.Attribution != "" {
		b = append(b, `,"attribution":"`...)
		b = append(b, res.Attribution...)
		b = append(b, '"')
	}
	b = append(b, `,"placement":"`...)
	b = append(b, res.Placement...)
	b = append(b, '"')
	if res.Uncertain {
		b = append(b, `,"uncertain":true`...)
	}
	b = w.appendChecksJSON(b, &res.Judgement)
	if res.Deciding >= 0 {
		b = append(b, `,"decided_by":`...)
		b = strconv.AppendInt(b, int64(res.Deciding), 10)
	}
	b = append(b, "}\n"...)
	w.buf = b
	return b
}

// appendChecksJSON appends `,"checks":[...]` as --packets lines write it.
func (w *PacketWriter) appendChecksJSON(b []byte, j *replay.Judgement) []byte {
	b = append(b, `,"checks":[`...)
	for i := 0; i < j.NCheck; i++ {
		c := &j.Checks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"acl":`...)
		b = w.q(b, c.ACL)
		b = append(b, `,"subnet":"`...)
		b = c.Subnet.AppendTo(b)
		b = append(b, `","direction":"`...)
		b = append(b, c.Direction.String()...)
		b = append(b, `","rule":`...)
		b = strconv.AppendInt(b, int64(c.Rule), 10)
		b = append(b, `,"action":"`...)
		b = append(b, c.Action.String()...)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}

// FlowCheckReport is the result of `check` over flow logs with the
// placement notes of the topology.
type FlowCheckReport struct {
	*flowcheck.Report
	Notes []string
}

// notes are the placement notes, then the note on uncertain verdicts.
func (r *FlowCheckReport) notes() []string {
	if r.Totals.Uncertain == 0 {
		return r.Notes
	}
	return append(slices.Clip(r.Notes), "uncertain verdicts: flow logs carry no ICMP type, so rules naming one cannot be matched; or an interface's side could not be told (no subnet-id, flow-direction or --interfaces)")
}

// flowExamples quotes judged records.
func flowExamples(xs []flowcheck.Example) []FlowExample {
	if xs == nil {
		return nil
	}
	out := make([]FlowExample, len(xs))
	for i := range xs {
		out[i] = NewFlowExample(&xs[i].Record, &xs[i].Result)
	}
	return out
}

// FlowExample is one record quoted in a report.
type FlowExample struct {
	File      string `json:"file"`
	Line      int64  `json:"line"`
	Interface string `json:"interface"`
	Proto     string `json:"proto"`
	Src       string `json:"src"`
	Dst       string `json:"dst"`
	Verdict   string `json:"verdict"`
	Reason    string `json:"reason,omitempty"`
	ACL       string `json:"acl,omitempty"`
	Direction string `json:"direction,omitempty"`
	Rule      int    `json:"rule,omitempty"`
	Placement string `json:"placement"`
	Uncertain bool   `json:"uncertain,omitempty"`
}

// NewFlowExample quotes a judged record.
func NewFlowExample(r *flowlog.Record, res *flowcheck.Result) FlowExample {
	ex := FlowExample{File: r.File, Line: r.Line, Interface: r.InterfaceID, Proto: flows.ProtoName(r.Proto),
		Src: addrPortText(res.Packet.Src, r.SrcPort, r.HasPorts()), Dst: addrPortText(res.Packet.Dst, r.DstPort, r.HasPorts()),
		Verdict: string(res.Verdict), Reason: res.Judgement.Reason, Placement: string(res.Placement), Uncertain: res.Uncertain}
	if c := res.Check(); c != nil {
		ex.ACL, ex.Direction, ex.Rule = c.ACL, c.Direction.String(), c.Rule
	}
	return ex
}

// addrPortText prints addr:port ([v6]:port), or the address alone.
func addrPortText(a netip.Addr, port uint16, hasPort bool) string {
	if !hasPort {
		return a.String()
	}
	return netip.AddrPortFrom(a, port).String()
}

type flowHitJSON struct {
	ACL             string `json:"acl"`
	Direction       string `json:"direction"`
	Rule            int    `json:"rule"`
	Action          string `json:"action"`
	Records         int64  `json:"records"`
	Packets         int64  `json:"packets"`
	Bytes           int64  `json:"bytes"`
	Accepted        int64  `json:"accepted"`
	Rejected        int64  `json:"rejected"`
	NACLRejects     int64  `json:"nacl_rejects"`
	AcceptWouldDeny int64  `json:"accept_would_deny"`
	First           string `json:"first"`
	Last            string `json:"last"`
}

func newFlowHitJSON(h *flowcheck.Hit) flowHitJSON {
	return flowHitJSON{ACL: h.ACL, Direction: h.Direction.String(), Rule: h.Rule, Action: h.Action.String(), Records: h.Records,
		Packets: h.Packets, Bytes: h.Bytes, Accepted: h.Accepted, Rejected: h.Rejected, NACLRejects: h.AttributedNACL,
		AcceptWouldDeny: h.AcceptWouldDeny, First: FormatTimeSeconds(timeOf(h.First)), Last: FormatTimeSeconds(timeOf(h.Last))}
}

// WriteFlowHitsJSONL writes one JSON object per rule hit.
func WriteFlowHitsJSONL(w io.Writer, hits []flowcheck.Hit) error {
	jl := newJSONLines(w)
	for i := range hits {
		if err := jl.write(newFlowHitJSON(&hits[i])); err != nil {
			return err
		}
	}
	return nil
}

// WriteFlowCheckJSON writes the report as one JSON document: files,
// summary, totals, hits, examples and problems.
func WriteFlowCheckJSON(w io.Writer, r *FlowCheckReport) error {
	type fileJSON struct {
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Gzip     bool   `json:"gzip,omitempty"`
		Format   string `json:"format"`
		Version  int    `json:"version"`
		Records  int64  `json:"records"`
		NoData   int64  `json:"nodata"`
		SkipData int64  `json:"skipdata"`
		Bad      int64  `json:"bad"`
		Complete bool   `json:"complete"`
	}
	doc := struct {
		Complete    bool             `json:"complete"`
		Files       []fileJSON       `json:"files"`
		Summary     map[string]int64 `json:"summary"`
		Placement   map[string]int64 `json:"placement"`
		Hits        []flowHitJSON    `json:"hits"`
		Explained   []FlowExample    `json:"nacl_rejects"`
		Unexplained []FlowExample    `json:"not_nacl_rejects"`
		WouldDeny   []FlowExample    `json:"accept_would_deny"`
		Problems    []string         `json:"problems"`
		Notes       []string         `json:"notes"`
	}{Complete: r.Summary.Complete(), Hits: []flowHitJSON{}, Problems: []string{}, Notes: r.notes(),
		Explained: flowExamples(r.Explained), Unexplained: flowExamples(r.Unexplained), WouldDeny: flowExamples(r.WouldDeny)}
	for _, f := range r.Summary.Files {
		doc.Files = append(doc.Files, fileJSON{f.Name, f.Kind, f.Gzip, f.Format, f.Version, f.Records, f.NoData, f.SkipData, f.Bad, f.Complete})
	}
	t := &r.Totals
	doc.Summary = map[string]int64{"records": r.Summary.Records, "nodata": r.Summary.NoData, "skipdata": r.Summary.SkipData, "bad": r.Summary.Bad,
		"conversations": int64(r.Conversations), "allow": t.Allow, "deny": t.Deny, "exempt": t.Exempt, "not_filtered": t.NotFiltered,
		"nacl_rejects": t.NACL, "not_nacl_rejects": t.NotNACL, "accept_would_deny": t.AcceptWouldDeny, "uncertain": t.Uncertain}
	doc.Placement = map[string]int64{}
	for k, v := range t.ByPlacement {
		doc.Placement[string(k)] = v
	}
	for i := range r.Hits {
		doc.Hits = append(doc.Hits, newFlowHitJSON(&r.Hits[i]))
	}
	for i := range r.Problems {
		doc.Problems = append(doc.Problems, r.Problems[i].Error())
	}
	if doc.Notes == nil {
		doc.Notes = []string{}
	}
	return WriteJSON(w, doc)
}

// WriteFlowCheckText writes the report for people: the answer first (how
// many REJECTs the NACL explains, how many it does not, ACCEPTs it would
// deny), then the per-rule hits, examples, the input summary and notes.
func WriteFlowCheckText(w io.Writer, r *FlowCheckReport, colour bool) error {
	t := &r.Totals
	var b []byte
	b = fmt.Appendf(b, "%d flow-log records: %d REJECT(s) the NACL explains, %d REJECT(s) it does not (security group or another control), %d ACCEPT(s) the ACL would deny.\n",
		t.Records, t.NACL, t.NotNACL, t.AcceptWouldDeny)
	b = fmt.Appendf(b, "NACL verdicts at the logging interface: %d allow, %d deny, %d exempt, %d not filtered", t.Allow, t.Deny, t.Exempt, t.NotFiltered)
	if t.Uncertain > 0 {
		b = fmt.Appendf(b, " (%d uncertain)", t.Uncertain)
	}
	b = append(b, ".\n"...)
	if _, err := w.Write(b); err != nil {
		return err
	}
	if len(r.Hits) > 0 {
		fmt.Fprintln(w, "\nRule hits (records decided at the logging interface):")
		tt := newTextTable("ACL", "DIR", "RULE", "ACTION", "RECORDS", "ACCEPTED", "REJECTED", "NACL-REJECTS", "PACKETS", "BYTES", "FIRST", "LAST").alignRight(2, 4, 5, 6, 7, 8, 9)
		for i := range r.Hits {
			h := &r.Hits[i]
			tt.add(h.ACL, dirWord(h.Direction), strconv.Itoa(h.Rule), h.Action.String(), itoa(h.Records), itoa(h.Accepted), itoa(h.Rejected),
				itoa(h.AttributedNACL), itoa(h.Packets), itoa(h.Bytes), FormatTimeSeconds(timeOf(h.First)), FormatTimeSeconds(timeOf(h.Last)))
		}
		if err := tt.write(w, colour); err != nil {
			return err
		}
	}
	for _, sec := range []struct {
		title string
		ex    []FlowExample
	}{
		{"REJECTs the NACL explains (first ones)", flowExamples(r.Explained)},
		{"REJECTs the NACL does not explain: a security group, VPC Block Public Access or a packet after the close (first ones)", flowExamples(r.Unexplained)},
		{"ACCEPTs the ACL would deny (first ones)", flowExamples(r.WouldDeny)},
	} {
		if len(sec.ex) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", sec.title)
		tt := newTextTable("FILE:LINE", "INTERFACE", "PROTO", "SRC", "DST", "VERDICT", "RULE", "PLACED BY")
		for _, e := range sec.ex {
			rule := "-"
			if e.ACL != "" {
				rule = e.ACL + " " + e.Direction + " " + strconv.Itoa(e.Rule)
			}
			verdict := e.Verdict
			if e.Reason != "" {
				verdict += " (" + e.Reason + ")"
			}
			if e.Uncertain {
				verdict += "?"
			}
			tt.add(e.File+":"+strconv.FormatInt(e.Line, 10), e.Interface, e.Proto, e.Src, e.Dst, verdict, rule, e.Placement)
		}
		if err := tt.write(w, colour); err != nil {
			return err
		}
	}
	s := &r.Summary
	fmt.Fprintf(w, "\nRead %d file(s): %d records, %d NODATA, %d SKIPDATA, %d unreadable; %d conversations.\n", len(s.Files), s.Records, s.NoData, s.SkipData, s.Bad, r.Conversations)
	if !s.Complete() {
		fmt.Fprintln(w, "INCOMPLETE: some input could not be read to its end (see the problems on stderr).")
	}
	for _, n := range r.notes() {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// timeOf converts Unix seconds to a UTC time.
func timeOf(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// FlowHitsCSVHeader is the header of the per-rule hits CSV.
var FlowHitsCSVHeader = []string{"acl", "direction", "rule", "action", "records", "accepted", "rejected", "nacl_rejects", "accept_would_deny", "packets", "bytes", "first", "last"}

// WriteFlowHitsCSV writes the per-rule hits as CSV (see FlowHitsCSVHeader).
func WriteFlowHitsCSV(w io.Writer, hits []flowcheck.Hit) error {
	rows := make([][]string, 0, len(hits))
	for i := range hits {
		h := newFlowHitJSON(&hits[i])
		rows = append(rows, []string{h.ACL, h.Direction, strconv.Itoa(h.Rule), h.Action, itoa(h.Records), itoa(h.Accepted), itoa(h.Rejected),
			itoa(h.NACLRejects), itoa(h.AcceptWouldDeny), itoa(h.Packets), itoa(h.Bytes), h.First, h.Last})
	}
	return writeCSV(w, FlowHitsCSVHeader, rows)
}
