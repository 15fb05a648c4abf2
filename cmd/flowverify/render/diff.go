package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Diff renders a replay.Diff (flowverify diff).
type Diff struct {
	Options          *Options
	Diff             *replay.Diff
	OldName, NewName string
	// Notes are printed before the new report's notes.
	Notes []string
}

// explanation is the sentence of a newly denied leg ("" for none).
func (v *Diff) explanation(c *replay.Change) string {
	if c.Denial == nil {
		return ""
	}
	if v.Options.phrases == nil {
		v.Options.phrases = phraseCache{}
	}
	return sentence(c.Conv, c.Denial, v.Options.phrases)
}

// WriteJSON prints the diff as one indented JSON document.
func (v *Diff) WriteJSON(w io.Writer) error { return WriteJSON(w, v.document()) }

// WriteCSV prints the changes as CSV.
func (v *Diff) WriteCSV(w io.Writer) error { return writeCSV(w, diffCSVHeader, v.rows()) }

type diffChangeJSON struct {
	Conversation int          `json:"conversation"`
	Proto        string       `json:"proto"`
	Client       EndpointJSON `json:"client"`
	Server       EndpointJSON `json:"server"`
	Leg          string       `json:"leg"`
	Change       string       `json:"change"`
	Packets      uint64       `json:"packets"`
	First        string       `json:"first"`
	FirstFrame   FrameJSON    `json:"first_frame"`
	OldVerdict   string       `json:"old_verdict"`
	NewVerdict   string       `json:"new_verdict"`
	OldChecks    []CheckJSON  `json:"old_checks"`
	NewChecks    []CheckJSON  `json:"new_checks"`
	Explanation  string       `json:"explanation,omitempty"`
}

type diffSummaryJSON struct {
	Conversations       int    `json:"conversations"`
	Evaluated           uint64 `json:"evaluated"`
	NewlyDenied         int    `json:"conversations_newly_denied"`
	NewlyAllowed        int    `json:"conversations_newly_allowed"`
	PacketsNewlyDenied  uint64 `json:"packets_newly_denied"`
	PacketsNewlyAllowed uint64 `json:"packets_newly_allowed"`
	DeniedOld           uint64 `json:"denied_old"`
	DeniedNew           uint64 `json:"denied_new"`
}

type diffDocument struct {
	Old      string           `json:"old"`
	New      string           `json:"new"`
	Complete bool             `json:"complete"`
	Files    []FileJSON       `json:"files"`
	Summary  diffSummaryJSON  `json:"summary"`
	ByRule   []diffRuleJSON   `json:"by_rule"`
	Changes  []diffChangeJSON `json:"changes"`
	Notes    []string         `json:"notes"`
}

// diffRuleJSON is the changes one rule explains (see replay.ChangeRule).
type diffRuleJSON struct {
	Change        string `json:"change"`
	ACL           string `json:"acl"`
	Direction     string `json:"direction"`
	Rule          int    `json:"rule"`
	RuleText      string `json:"rule_text"`
	Conversations int    `json:"conversations"`
	Legs          int    `json:"legs"`
	Packets       uint64 `json:"packets"`
}

// byRule converts the diff's changes grouped by rule.
func (v *Diff) byRule() []diffRuleJSON {
	out := []diffRuleJSON{}
	for _, g := range v.Diff.ByRule() {
		c := replay.Check{Entry: g.Entry, ACLRef: g.ACLRef}
		out = append(out, diffRuleJSON{Change: string(g.Kind), ACL: g.ACL, Direction: g.Direction.String(), Rule: g.Rule,
			RuleText: DescribeRule(&c), Conversations: g.Conversations, Legs: g.Legs, Packets: g.Packets})
	}
	return out
}

// changes returns the changes the report lists (those Options.Select.Match keeps).
func (v *Diff) changes() []*replay.Change {
	out := make([]*replay.Change, 0, len(v.Diff.Changes))
	for i := range v.Diff.Changes {
		c := &v.Diff.Changes[i]
		if m := v.Options.Select.Match; m == nil || m(c.Conv, "") {
			out = append(out, c)
		}
	}
	return out
}

// WriteJSONL prints one JSON object per change.
func (v *Diff) WriteJSONL(w io.Writer) error {
	jl := newJSONLines(w)
	for _, c := range v.changes() {
		if err := jl.write(v.changeJSON(c)); err != nil {
			return err
		}
	}
	return v.Options.WriteIncompleteJSONL(w)
}

func (v *Diff) changeJSON(c *replay.Change) diffChangeJSON {
	cj := NewConvJSONEndpoints(c.Conv)
	return diffChangeJSON{Conversation: c.Conv.ID, Proto: flows.ProtoName(c.Conv.Proto),
		Client: cj[0], Server: cj[1], Leg: string(c.Role), Change: string(c.Kind), Packets: c.Packets, First: v.Options.FormatTime(c.First),
		FirstFrame: FrameJSON{File: v.file(c.FirstFrame.File), Frame: c.FirstFrame.Frame},
		OldVerdict: string(c.OldVerdict), NewVerdict: string(c.NewVerdict),
		OldChecks: ChecksJSON(c.Old), NewChecks: ChecksJSON(c.New), Explanation: v.explanation(c)}
}

func (v *Diff) summary() diffSummaryJSON {
	d := v.Diff
	return diffSummaryJSON{Conversations: d.New.Conversations, Evaluated: d.New.Evaluated,
		NewlyDenied: d.NewlyDenied, NewlyAllowed: d.NewlyAllowed, PacketsNewlyDenied: d.PacketsNewlyDenied,
		PacketsNewlyAllowed: d.PacketsNewlyAllowed, DeniedOld: d.Old.Denied, DeniedNew: d.New.Denied}
}

func (v *Diff) document() diffDocument {
	doc := diffDocument{Old: v.OldName, New: v.NewName, Complete: v.Options.complete(), Files: v.Options.filesJSON(), Summary: v.summary(),
		ByRule: v.byRule(), Changes: []diffChangeJSON{}, Notes: v.allNotes()}
	for _, c := range v.changes() {
		doc.Changes = append(doc.Changes, v.changeJSON(c))
	}
	return doc
}

func (v *Diff) allNotes() []string {
	out := append([]string{}, v.Notes...)
	return append(out, reportNotes(&v.Diff.New)...)
}

func (v *Diff) file(i int) string {
	if i >= 0 && i < len(v.Options.Files) {
		return v.Options.Files[i]
	}
	return ""
}

var diffCSVHeader = []string{"conversation", "proto", "client", "client_port", "server", "server_port", "leg", "change", "packets",
	"first", "first_file", "first_frame", "old_verdict", "old_checks", "new_verdict", "new_checks", "explanation"}

func (v *Diff) rows() [][]string {
	rows := make([][]string, 0, len(v.Diff.Changes))
	for _, c := range v.changes() {
		cp, sp := "", ""
		if c.Conv.HasPorts() {
			cp, sp = strconv.Itoa(int(c.Conv.Client.Port)), strconv.Itoa(int(c.Conv.Server.Port))
		}
		rows = append(rows, []string{strconv.Itoa(c.Conv.ID), flows.ProtoName(c.Conv.Proto), c.Conv.Client.Addr.String(), cp,
			c.Conv.Server.Addr.String(), sp, string(c.Role), string(c.Kind), strconv.FormatUint(c.Packets, 10), v.Options.FormatTime(c.First),
			v.file(c.FirstFrame.File), strconv.FormatInt(c.FirstFrame.Frame, 10), string(c.OldVerdict), ChecksText(c.Old, true),
			string(c.NewVerdict), ChecksText(c.New, true), v.explanation(c)})
	}
	return rows
}

// WriteText prints the diff for people: the totals, what changed by
// rule, then each changed leg (those Options.Select keeps, at most
// Options.Select.Limit).
func (v *Diff) WriteText(w io.Writer) error {
	var b strings.Builder
	v.Options.writeIncompleteText(&b)
	s := v.summary()
	fmt.Fprintf(&b, "Diff: %s -> %s over %d conversations (%d IP packets evaluated)\n", v.OldName, v.NewName, s.Conversations, s.Evaluated)
	fmt.Fprintf(&b, "Newly denied: %d conversations (%d packets); newly allowed: %d conversations (%d packets)\n",
		s.NewlyDenied, s.PacketsNewlyDenied, s.NewlyAllowed, s.PacketsNewlyAllowed)
	fmt.Fprintf(&b, "Denied packets: %d before, %d after\n", s.DeniedOld, s.DeniedNew)
	if groups := v.byRule(); len(groups) > 0 {
		b.WriteString("\nWHAT CHANGED (by the rule that explains it: the new ACL's deny, or the old ACL's deny that no longer applies)\n")
		t := newTextTable("CHANGE", "RULE", "MATCHES", "CONVS", "LEGS", "PACKETS").alignRight(3, 4, 5)
		for _, g := range groups {
			d := "in"
			if g.Direction == "outbound" {
				d = "out"
			}
			t.add(g.Change, g.ACL+" "+d+"#"+strconv.Itoa(g.Rule), g.RuleText, strconv.Itoa(g.Conversations), strconv.Itoa(g.Legs), strconv.FormatUint(g.Packets, 10))
		}
		_ = t.write(&b, false)
	}
	sel := &v.Options.Select
	listed := v.changes()
	if sel.Match != nil {
		fmt.Fprintf(&b, "\nChanges listed: %d of %d, matching %s\n", len(listed), len(v.Diff.Changes), sel.Describe)
	}
	shown := 0
	for _, kind := range []replay.ChangeKind{replay.NewlyDenied, replay.NewlyAllowed} {
		first := true
		for _, c := range listed {
			if c.Kind != kind {
				continue
			}
			if sel.Limit > 0 && shown >= sel.Limit {
				break
			}
			shown++
			if first {
				fmt.Fprintf(&b, "\n%s\n", strings.ToUpper(strings.ReplaceAll(string(kind), "-", " ")))
				first = false
			}
			ports := c.Conv.HasPorts()
			fmt.Fprintf(&b, "#%d %s %s -> %s, %s leg: %d packets, first at %s (%s frame %d)\n", c.Conv.ID, flows.ProtoName(c.Conv.Proto),
				endpoint(c.Conv.Client, ports), endpoint(c.Conv.Server, ports),
				c.Role, c.Packets, v.Options.FormatTime(c.First), v.file(c.FirstFrame.File), c.FirstFrame.Frame)
			fmt.Fprintf(&b, "  old: %s %s\n  new: %s %s\n", c.OldVerdict, ChecksText(c.Old, true), c.NewVerdict, ChecksText(c.New, true))
			if e := v.explanation(c); e != "" {
				fmt.Fprintf(&b, "  %s\n", e)
			}
		}
	}
	if shown < len(listed) {
		fmt.Fprintf(&b, "... %d more changed leg(s) not shown (--limit N, --format json|jsonl|csv)\n", len(listed)-shown)
	}
	if n := v.allNotes(); len(n) > 0 {
		b.WriteString("\nNOTES\n")
		for _, s := range n {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
