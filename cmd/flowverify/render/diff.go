package render

import (
	"encoding/csv"
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

// WriteJSON prints the diff as one indented JSON document (members old,
// new, complete, files, summary, by_rule, changes and notes), the changes
// streamed one at a time by the fast encoder.
func (v *Diff) WriteJSON(w io.Writer) error {
	d := newJSONDoc(w)
	d.buf.WriteString("{\n")
	for _, m := range []struct {
		name string
		v    any
	}{{"old", v.OldName}, {"new", v.NewName}, {"complete", v.Options.complete()}, {"files", v.Options.filesJSON()},
		{"summary", v.summary()}, {"by_rule", v.byRule()}} {
		if err := d.member(m.name, m.v); err != nil {
			return err
		}
	}
	err := d.array("changes", func(emit func([]byte) error) error {
		l := newConvLayout("    ", "  ")
		var b []byte
		for _, c := range v.changes() {
			b = v.appendChangeJSON(append(b[:0], ",\n    "...), c, l)
			if err := emit(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.buf.WriteString("  \"notes\": ")
	if err := d.value(v.allNotes(), "  "); err != nil {
		return err
	}
	d.buf.WriteString("\n}\n")
	return d.flush()
}

// WriteCSV prints the changes as CSV, a row at a time.
func (v *Diff) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(diffCSVHeader); err != nil {
		return err
	}
	var row [17]string
	for _, c := range v.changes() {
		if err := cw.Write(v.row(row[:0], c)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
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
	var b []byte
	l := &compactLayout
	for _, c := range v.changes() {
		b = append(v.appendChangeJSON(b[:0], c, l), '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return v.Options.WriteIncompleteJSONL(w)
}

// appendChangeJSON appends one change's JSON object laid out by l (its
// members at depth 1): conversation, proto, client, server, leg, change,
// packets, first, first_frame, old_verdict, new_verdict, old_checks,
// new_checks and explanation (when there is one), as encoding/json
// would write them (diff_test.go compares both).
func (v *Diff) appendChangeJSON(b []byte, c *replay.Change, l *convLayout) []byte {
	o, conv := v.Options, c.Conv
	ports := conv.HasPorts()
	b = append(b, '{')
	b = l.key(b, 1, true, "conversation")
	b = strconv.AppendInt(b, int64(conv.ID), 10)
	b = l.key(b, 1, false, "proto")
	b = appendJSONString(b, flows.ProtoName(conv.Proto), false)
	b = l.key(b, 1, false, "client")
	b = l.appendLaidOutEndpoint(b, 1, conv.Client, ports)
	b = l.key(b, 1, false, "server")
	b = l.appendLaidOutEndpoint(b, 1, conv.Server, ports)
	b = l.key(b, 1, false, "leg")
	b = appendJSONString(b, string(c.Role), false)
	b = l.key(b, 1, false, "change")
	b = appendJSONString(b, string(c.Kind), false)
	b = l.key(b, 1, false, "packets")
	b = strconv.AppendUint(b, c.Packets, 10)
	b = l.key(b, 1, false, "first")
	b = appendRFC3339JSON(b, c.First, o.Nano)
	b = l.key(b, 1, false, "first_frame")
	b = append(b, '{')
	b = l.key(b, 2, true, "file")
	b = o.appendFileJSON(b, c.FirstFrame.File)
	b = l.key(b, 2, false, "frame")
	b = strconv.AppendInt(b, c.FirstFrame.Frame, 10)
	b = l.close(b, 1, false, '}')
	b = l.key(b, 1, false, "old_verdict")
	b = appendJSONString(b, string(c.OldVerdict), false)
	b = l.key(b, 1, false, "new_verdict")
	b = appendJSONString(b, string(c.NewVerdict), false)
	for _, m := range [2]struct {
		name   string
		checks []replay.Check
	}{{"old_checks", c.Old}, {"new_checks", c.New}} {
		b = l.key(b, 1, false, m.name)
		b = append(b, '[')
		for i := range m.checks {
			b = l.elem(b, 2, i == 0)
			b = o.appendLaidOutCheck(b, l, 2, &m.checks[i])
		}
		b = l.close(b, 1, len(m.checks) == 0, ']')
	}
	if e := v.explanation(c); e != "" {
		b = l.key(b, 1, false, "explanation")
		b = appendJSONString(b, e, false)
	}
	return l.close(b, 0, false, '}')
}

func (v *Diff) summary() diffSummaryJSON {
	d := v.Diff
	return diffSummaryJSON{Conversations: d.New.Conversations, Evaluated: d.New.Evaluated,
		NewlyDenied: d.NewlyDenied, NewlyAllowed: d.NewlyAllowed, PacketsNewlyDenied: d.PacketsNewlyDenied,
		PacketsNewlyAllowed: d.PacketsNewlyAllowed, DeniedOld: d.Old.Denied, DeniedNew: d.New.Denied}
}

func (v *Diff) allNotes() []string {
	out := append([]string{}, v.Notes...)
	return append(out, reportNotes(&v.Diff.New)...)
}

var diffCSVHeader = []string{"conversation", "proto", "client", "client_port", "server", "server_port", "leg", "change", "packets",
	"first", "first_file", "first_frame", "old_verdict", "old_checks", "new_verdict", "new_checks", "explanation"}

// row appends the CSV fields of change c (diffCSVHeader) to row.
func (v *Diff) row(row []string, c *replay.Change) []string {
	cp, sp := "", ""
	if c.Conv.HasPorts() {
		cp, sp = strconv.Itoa(int(c.Conv.Client.Port)), strconv.Itoa(int(c.Conv.Server.Port))
	}
	return append(row, strconv.Itoa(c.Conv.ID), flows.ProtoName(c.Conv.Proto), c.Conv.Client.Addr.String(), cp,
		c.Conv.Server.Addr.String(), sp, string(c.Role), string(c.Kind), strconv.FormatUint(c.Packets, 10), v.Options.FormatTime(c.First),
		v.Options.file(c.FirstFrame.File), strconv.FormatInt(c.FirstFrame.Frame, 10), string(c.OldVerdict), ChecksText(c.Old, true),
		string(c.NewVerdict), ChecksText(c.New, true), v.explanation(c))
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
				c.Role, c.Packets, v.Options.FormatTime(c.First), v.Options.file(c.FirstFrame.File), c.FirstFrame.Frame)
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
