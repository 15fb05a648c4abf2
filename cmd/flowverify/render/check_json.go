package render

import (
	"bytes"
	"io"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Options say how to print times and file names.
type Options struct {
	// Files are the input names by file index.
	Files []string
	// Nano prints nanosecond timestamps (else microseconds).
	Nano bool
	// FileNano, when set, gives the precision per file for per-packet
	// times (a packet's time has its own file's precision).
	FileNano []bool
	// Colour enables ANSI colours in text output.
	Colour bool
	// Width wraps the sentences and notes of text output at word
	// boundaries to this many columns (0: no wrapping).
	Width int
	// Notes are the command's notes (where the NACLs were placed, ...),
	// printed before the report's own caveats.
	Notes []string
	// Select chooses the conversations a check report lists.
	Select ConvSelect
	// Incomplete names the inputs that could not be read to their end
	// (with the reason); reports say they are incomplete.
	Incomplete []IncompleteFile
	// Inputs describe the input files for the JSON "files" objects (when
	// nil they are made from Files and Incomplete).
	Inputs []capture.FileInfo
	// phrases caches the check phrases of sentences.
	phrases phraseCache
	// checks caches the JSON of each distinct check (appendCheckJSON).
	checks checkCache
	// fileJSON caches the JSON strings of the file names (appendFileJSON).
	fileJSON [][]byte
	// indented is the layout of the json document's conversations (one
	// per goroutine, see eachListedOrdered).
	indented *convLayout
	// workers, when positive, sets how many goroutines render the listed
	// conversations (default: one per core, see eachListedOrdered).
	workers int
}

// sentences returns Sentences(cr), remembering the check phrases.
func (o *Options) sentences(cr *replay.ConvResult) []string {
	if o.phrases == nil {
		o.phrases = phraseCache{}
	}
	return sentences(cr, o.phrases)
}

// FormatTime formats t with the report's precision (see FormatTime); "" for zero.
func (o *Options) FormatTime(t time.Time) string { return FormatTime(t, o.Nano) }

// fileNano reports whether times of file are printed with nanoseconds:
// a packet's time has its own file's precision.
func (o *Options) fileNano(file int) bool {
	if file >= 0 && file < len(o.FileNano) {
		return o.FileNano[file]
	}
	return o.Nano
}

func (o *Options) file(i int) string {
	if i >= 0 && i < len(o.Files) {
		return o.Files[i]
	}
	return ""
}

// CheckJSON is one NACL check in JSON output. Fields are stable.
type CheckJSON struct {
	ACL       string `json:"acl"`
	Subnet    string `json:"subnet"`
	SubnetID  string `json:"subnet_id,omitempty"`
	Direction string `json:"direction"`
	Rule      int    `json:"rule"`
	Action    string `json:"action"`
	RuleText  string `json:"rule_text,omitempty"`
	Uncertain bool   `json:"uncertain,omitempty"`
}

// NewCheckJSON converts a check.
func NewCheckJSON(c *replay.Check) CheckJSON {
	j := CheckJSON{ACL: c.ACL, Subnet: c.Subnet.String(), Direction: c.Direction.String(), Rule: c.Rule,
		Action: c.Action.String(), RuleText: DescribeRule(c), Uncertain: c.Uncertain}
	if c.SubnetID != c.Subnet.String() {
		j.SubnetID = c.SubnetID
	}
	return j
}

// ChecksJSON converts checks, never returning nil.
func ChecksJSON(cs []replay.Check) []CheckJSON {
	out := make([]CheckJSON, 0, len(cs))
	for i := range cs {
		out = append(out, NewCheckJSON(&cs[i]))
	}
	return out
}

// EndpointJSON is {"addr": "...", "port": N}; port absent without ports.
type EndpointJSON struct {
	Addr string  `json:"addr"`
	Port *uint16 `json:"port,omitempty"`
}

func endpointJSON(e flows.Endpoint, ports bool) EndpointJSON {
	j := EndpointJSON{Addr: e.Addr.String()}
	if ports {
		p := e.Port
		j.Port = &p
	}
	return j
}

// FrameJSON points at a record.
type FrameJSON struct {
	File  string `json:"file"`
	Frame int64  `json:"frame"`
}

// LegJSON is one leg in JSON output.
type LegJSON struct {
	From             EndpointJSON `json:"from"`
	To               EndpointJSON `json:"to"`
	Verdict          string       `json:"verdict"`
	Reason           string       `json:"reason,omitempty"`
	Checks           []CheckJSON  `json:"checks"`
	Packets          uint64       `json:"packets"`
	Allowed          uint64       `json:"allowed"`
	Denied           uint64       `json:"denied"`
	Exempt           uint64       `json:"exempt"`
	NotFiltered      uint64       `json:"not_filtered"`
	Uncertain        uint64       `json:"uncertain"`
	ICMPErrors       uint64       `json:"icmp_errors"`
	First            string       `json:"first,omitempty"`
	FirstFrame       *FrameJSON   `json:"first_frame,omitempty"`
	FirstDenied      string       `json:"first_denied,omitempty"`
	FirstDeniedFrame *FrameJSON   `json:"first_denied_frame,omitempty"`
}

func (o *Options) legJSON(l *replay.Leg, ports bool) LegJSON {
	j := LegJSON{From: endpointJSON(l.From, ports), To: endpointJSON(l.To, ports), Verdict: string(l.Verdict), Reason: l.Reason,
		Checks: ChecksJSON(l.Checks), Packets: l.Packets, Allowed: l.Allowed, Denied: l.Denied, Exempt: l.Exempt,
		NotFiltered: l.NotFiltered, Uncertain: l.Uncertain, ICMPErrors: l.ICMPErrors, First: o.FormatTime(l.First),
		FirstDenied: o.FormatTime(l.FirstDenied)}
	if j.Verdict == "" {
		j.Verdict = "none"
	}
	if l.Packets > 0 {
		j.FirstFrame = &FrameJSON{o.file(l.FirstFrame.File), l.FirstFrame.Frame}
	}
	if l.Denied > 0 {
		j.FirstDeniedFrame = &FrameJSON{o.file(l.FirstDeniedFrame.File), l.FirstDeniedFrame.Frame}
	}
	return j
}

// CheckConvJSON is one conversation in check output.
type CheckConvJSON struct {
	ID           int          `json:"id"`
	Proto        string       `json:"proto"`
	Client       EndpointJSON `json:"client"`
	Server       EndpointJSON `json:"server"`
	State        string       `json:"state"`
	Evidence     string       `json:"evidence"`
	Confidence   string       `json:"confidence"`
	Status       string       `json:"status"`
	Request      LegJSON      `json:"request"`
	Response     LegJSON      `json:"response"`
	Explanations []string     `json:"explanations"`
	Fixes        []int        `json:"fixes"`
	// Class is set for conversations with a denied packet.
	Class *ClassJSON `json:"class,omitempty"`
}

// CheckConvJSON converts one conversation result.
func (o *Options) CheckConvJSON(cr *replay.ConvResult) CheckConvJSON {
	c := cr.Conv
	ports := c.HasPorts()
	j := CheckConvJSON{ID: c.ID, Proto: flows.ProtoName(c.Proto), Client: endpointJSON(c.Client, ports), Server: endpointJSON(c.Server, ports),
		State: string(c.State), Evidence: string(c.Evidence), Confidence: string(c.Confidence), Status: string(cr.Status),
		Request: o.legJSON(&cr.Request, ports), Response: o.legJSON(&cr.Response, ports),
		Explanations: o.sentences(cr), Fixes: cr.Fixes, Class: o.classJSON(cr.Class, cr.Conv)}
	if j.Explanations == nil {
		j.Explanations = []string{}
	}
	if j.Fixes == nil {
		j.Fixes = []int{}
	}
	return j
}

// FixJSON is one suggested rule.
type FixJSON struct {
	ACL           string `json:"acl"`
	SubnetID      string `json:"subnet"`
	Direction     string `json:"direction"`
	BlockingRule  int    `json:"blocking_rule"`
	Leg           string `json:"leg"`
	Rule          string `json:"rule"`
	RuleNumber    int    `json:"rule_number"`
	Profile       string `json:"profile,omitempty"`
	Conversations []int  `json:"conversations"`
	Note          string `json:"note,omitempty"`
}

// FixJSON converts a fix.
func NewFixJSON(f *replay.Fix) FixJSON {
	return FixJSON{ACL: f.ACL, SubnetID: f.SubnetID, Direction: f.Direction.String(), BlockingRule: f.Blocking, Leg: string(f.Role),
		Rule: f.Line, RuleNumber: f.Entry.RuleNumber, Profile: f.Profile, Conversations: f.Conversations, Note: FixNotes(f)}
}

// CheckSummaryJSON is the summary in JSON output.
type CheckSummaryJSON struct {
	Records               uint64            `json:"records"`
	IPPackets             uint64            `json:"ip_packets"`
	NonIP                 uint64            `json:"non_ip"`
	Undecodable           uint64            `json:"undecodable"`
	OutsideWindow         uint64            `json:"outside_window"`
	Evaluated             uint64            `json:"evaluated"`
	Allowed               uint64            `json:"allowed"`
	Denied                uint64            `json:"denied"`
	Exempt                uint64            `json:"exempt"`
	NotFiltered           uint64            `json:"not_filtered"`
	Uncertain             uint64            `json:"uncertain"`
	Unattributed          uint64            `json:"unattributed"`
	ExemptBy              map[string]uint64 `json:"exempt_by"`
	NotFilteredBy         map[string]uint64 `json:"not_filtered_by"`
	Conversations         int               `json:"conversations"`
	ConversationsAffected int               `json:"conversations_affected"`
	Start                 string            `json:"start,omitempty"`
	End                   string            `json:"end,omitempty"`
	Since                 string            `json:"since,omitempty"`
	Until                 string            `json:"until,omitempty"`
}

// CheckSummaryJSON converts the summary.
func (o *Options) CheckSummaryJSON(s *replay.Summary) CheckSummaryJSON {
	return CheckSummaryJSON{Records: s.Records, IPPackets: s.IP, NonIP: s.NonIP, Undecodable: s.Undecodable, OutsideWindow: s.OutsideWindow,
		Evaluated: s.Evaluated, Allowed: s.Allowed, Denied: s.Denied, Exempt: s.Exempt, NotFiltered: s.NotFiltered,
		Uncertain: s.Uncertain, Unattributed: s.Unattributed, ExemptBy: s.ExemptBy, NotFilteredBy: s.NotFilteredBy,
		Conversations: s.Conversations, ConversationsAffected: s.Affected, Start: o.FormatTime(s.Start), End: o.FormatTime(s.End),
		Since: o.FormatTime(s.Since), Until: o.FormatTime(s.Until)}
}

// SubnetJSON describes one modelled subnet.
type SubnetJSON struct {
	ID    string   `json:"id"`
	CIDRs []string `json:"cidrs"`
	ACL   string   `json:"acl"`
}

// TopologyJSON describes the modelled topology.
type TopologyJSON struct {
	Subnets  []SubnetJSON `json:"subnets"`
	VPCCIDRs []string     `json:"vpc_cidrs"`
}

// NewTopologyJSON converts a topology.
func NewTopologyJSON(t *replay.Topology) TopologyJSON {
	j := TopologyJSON{Subnets: []SubnetJSON{}, VPCCIDRs: []string{}}
	for _, s := range t.Subnets {
		sj := SubnetJSON{ID: s.ID, ACL: s.ACL.ID}
		for _, p := range s.CIDRs {
			sj.CIDRs = append(sj.CIDRs, p.String())
		}
		j.Subnets = append(j.Subnets, sj)
	}
	for _, p := range t.VPCCIDRs {
		j.VPCCIDRs = append(j.VPCCIDRs, p.String())
	}
	return j
}

// CheckReportJSON is the whole check report as one document (without packets).
type CheckReportJSON struct {
	// Complete is false when an input could not be read to its end: the
	// report covers only what was read.
	Complete      bool             `json:"complete"`
	Files         []FileJSON       `json:"files"`
	Topology      TopologyJSON     `json:"topology"`
	Summary       CheckSummaryJSON `json:"summary"`
	Conversations []CheckConvJSON  `json:"conversations"`
	Fixes         []FixJSON        `json:"fixes"`
	FixesJSON
	// Broke is the denied traffic by deciding rule, then by service.
	Broke []BrokeJSON `json:"broke"`
	// Rules are the per-rule hits of every rule of every ACL and direction.
	Rules []RuleHitJSON `json:"rules"`
	Notes []string      `json:"notes"`
}

// jsonDoc writes an indented JSON document (as WriteJSON indents it) a
// member at a time, so that long arrays can be streamed between members.
type jsonDoc struct {
	w io.Writer
	// term, when not nil, is the TermWriter under w (w is an Output over
	// it): listing chunks found safe skip its scan (see writeListed).
	term *TermWriter
	buf  bytes.Buffer
}

func newJSONDoc(w io.Writer) *jsonDoc { return &jsonDoc{w: w} }

// value appends v indented as a member value at depth 1 (prefix "  ")
// or an array element at depth 2 (prefix "    ").
func (d *jsonDoc) value(v any, prefix string) error {
	b, err := appendEncodedIndented(d.buf.AvailableBuffer(), v, prefix)
	d.buf.Write(b)
	return err
}

// member appends the member name: v at depth 1 and its comma.
func (d *jsonDoc) member(name string, v any) error {
	d.buf.WriteString("  \"" + name + "\": ")
	if err := d.value(v, "  "); err != nil {
		return err
	}
	d.buf.WriteString(",\n")
	return nil
}

// flush writes what was appended.
func (d *jsonDoc) flush() error {
	_, err := d.w.Write(d.buf.Bytes())
	d.buf.Reset()
	return err
}

// array streams the member name, an array whose elements elements
// passes to emit, each rendered by the caller at depth 2 as ",\n    "
// and the element (the first element's comma is left out).
func (d *jsonDoc) array(name string, elements func(emit func([]byte) error) error) error {
	return d.arrayChecked(name, func(emit func([]byte, bool) error) error {
		return elements(func(b []byte) error { return emit(b, false) })
	})
}

// arrayChecked is array for elements passed with whether their bytes
// were found terminal-safe (see writeListed).
func (d *jsonDoc) arrayChecked(name string, elements func(emit func(b []byte, safe bool) error) error) error {
	d.buf.WriteString("  \"" + name + "\": [")
	if err := d.flush(); err != nil {
		return err
	}
	first := true
	err := elements(func(b []byte, safe bool) error {
		if first && len(b) > 0 {
			first, b = false, b[1:]
		}
		return writeListed(d.w, b, safe)
	})
	if err != nil {
		return err
	}
	if !first {
		d.buf.WriteString("\n  ")
	}
	d.buf.WriteString("],\n")
	return nil
}

// dirWord is "in" or "out".
func dirWord(d nacl.Direction) string {
	if d == nacl.Egress {
		return "out"
	}
	return "in"
}

// NewConvJSONEndpoints returns the client and server of c in JSON form.
func NewConvJSONEndpoints(c *flows.Conversation) [2]EndpointJSON {
	return [2]EndpointJSON{endpointJSON(c.Client, c.HasPorts()), endpointJSON(c.Server, c.HasPorts())}
}

// WriteCheckJSON writes the report as the indented JSON document of
// CheckReportJSON, byte for byte, but encodes the conversations one at a time
// (EachConversation) instead of holding them all. When tail is not nil it
// is called after the last member (after ",\n") to write further members,
// such as a streamed "packets" array, before the closing brace.
func (o *Options) WriteCheckJSON(w io.Writer, r *replay.Report, t *replay.Topology, tail func(io.Writer) error) error {
	head := CheckReportJSON{Complete: o.complete(), Files: o.filesJSON(), Topology: NewTopologyJSON(t), Summary: o.CheckSummaryJSON(&r.Summary), Notes: o.checkNotes(r)}
	if head.Notes == nil {
		head.Notes = []string{}
	}
	fixes := make([]FixJSON, 0, len(r.Fixes))
	for i := range r.Fixes {
		fixes = append(fixes, NewFixJSON(&r.Fixes[i]))
	}
	d := newJSONDoc(w)
	d.term = termOf(w)
	d.buf.WriteString("{\n")
	if err := d.member("complete", head.Complete); err != nil {
		return err
	}
	if err := d.member("files", head.Files); err != nil {
		return err
	}
	if err := d.member("topology", head.Topology); err != nil {
		return err
	}
	if err := d.member("summary", head.Summary); err != nil {
		return err
	}
	// Every conversation is rendered as ",\n    " and its indented object.
	err := d.arrayChecked("conversations", func(emit func([]byte, bool) error) error {
		return o.eachListedOrdered(r, d.term != nil, func(ow *Options, cr *replay.ConvResult, b []byte) []byte {
			return ow.appendCheckConvJSONIndented(append(b, ",\n    "...), cr)
		}, emit)
	})
	if err != nil {
		return err
	}
	if err := d.member("fixes", fixes); err != nil {
		return err
	}
	fj := o.fixesJSON(r)
	for _, m := range []struct {
		name string
		v    any
	}{{"headlines", fj.Headlines}, {"classes", fj.Classes}, {"fix_all", fj.FixAll}, {"change_sets", fj.ChangeSets}, {"proof", fj.Proof}, {"unfixed", fj.Unfixed}, {"broke", o.BrokeJSON(r)}, {"rules", o.RulesJSON(r)}} {
		if err := d.member(m.name, m.v); err != nil {
			return err
		}
	}
	d.buf.WriteString("  \"notes\": ")
	if err := d.value(head.Notes, "  "); err != nil {
		return err
	}
	if tail != nil {
		d.buf.WriteString(",\n")
		if err := d.flush(); err != nil {
			return err
		}
		if err := tail(w); err != nil {
			return err
		}
	}
	d.buf.WriteString("\n}\n")
	return d.flush()
}
