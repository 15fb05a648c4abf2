package render

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// multiACL reports whether the topology uses more than one ACL, in which
// case compact check cells name the ACL.
func multiACL(t *replay.Topology) bool {
	if len(t.Subnets) == 0 {
		return false
	}
	for _, s := range t.Subnets[1:] {
		if s.ACL != t.Subnets[0].ACL {
			return true
		}
	}
	return false
}

// LegCell is the compact text of a leg: "allow out#110:allow",
// "deny in#130:deny", "exempt (amazon-dns)", "-" without packets.
func LegCell(l *replay.Leg, withACL bool) string {
	switch l.Verdict {
	case "":
		return "-"
	case replay.Exempt, replay.NotFiltered:
		return string(l.Verdict) + " (" + l.Reason + ")"
	}
	var buf [128]byte
	return string(appendLegCell(buf[:0], l, withACL))
}

// appendLegCell appends LegCell(l, withACL) to b.
func appendLegCell(b []byte, l *replay.Leg, withACL bool) []byte {
	switch l.Verdict {
	case "":
		return append(b, '-')
	case replay.Exempt, replay.NotFiltered:
		b = append(b, l.Verdict...)
		b = append(b, " ("...)
		b = append(b, l.Reason...)
		return append(b, ')')
	}
	b = append(b, l.Verdict...)
	if len(l.Checks) > 0 {
		b = append(b, ' ')
		b = appendChecks(b, l.Checks, withACL)
	}
	if l.Denied > 0 && l.Denied < l.Packets {
		b = append(b, " ["...)
		b = strconv.AppendUint(b, l.Denied, 10)
		b = append(b, '/')
		b = strconv.AppendUint(b, l.Packets, 10)
		b = append(b, " denied]"...)
	}
	return b
}

// convTableHeaders are the columns of the text conversation table, the
// status early; convTableOrder maps each to its index in the cells the
// rows are built with (ID, PROTO, CLIENT, SERVER, STATE, REQUEST,
// RESPONSE, STATUS), which CheckTable measures.
var (
	convTableHeaders = []string{"ID", "STATUS", "PROTO", "CLIENT", "SERVER", "STATE", "REQUEST", "RESPONSE"}
	convTableOrder   = []int{0, 7, 1, 2, 3, 4, 5, 6}
)

// CheckTable measures the text conversation table of check while
// replay.SummarizeEach judges (pass Observe), and remembers each row's
// verdict cells as two indexes into the (few) distinct cells and a status:
// WriteCheckText then prints the table in one pass, without judging
// again. 5 bytes per conversation; when there are more than 65536
// distinct cells only the widths are kept.
type CheckTable struct {
	w       [8]int
	multi   bool
	scratch []byte
	// cells are the distinct REQUEST/RESPONSE cells; rows[id] packs the
	// indexes of conversation id's two cells, status[id] its status.
	cells   []string
	cellIdx map[string]uint16
	rows    []uint32
	status  []uint8
	noRows  bool
}

// NewCheckTable returns a table for a recording of n conversations
// replayed against t.
func NewCheckTable(t *replay.Topology, n int) *CheckTable {
	return &CheckTable{multi: multiACL(t), cellIdx: map[string]uint16{}, rows: make([]uint32, n+1), status: make([]uint8, n+1)}
}

// statuses indexes CheckTable.status.
var statuses = []replay.Status{replay.StatusOK, replay.StatusRequestDenied, replay.StatusResponseDenied, replay.StatusBothDenied, replay.StatusExempt, replay.StatusNotFiltered}

// Observe measures the row of cr, whose Conv needs ID, Proto, Client,
// Server and State (what replay.SummarizeEach passes).
func (tw *CheckTable) Observe(cr *replay.ConvResult) {
	c := cr.Conv
	ports := c.HasPorts()
	b := strconv.AppendInt(tw.scratch[:0], int64(c.ID), 10)
	n := [8]int{len(b), len(flows.ProtoName(c.Proto))}
	b = appendEndpoint(b[:0], c.Client, ports)
	n[2] = len(b)
	b = appendEndpoint(b[:0], c.Server, ports)
	n[3] = len(b)
	n[4] = len(c.State)
	b = appendLegCell(b[:0], &cr.Request, tw.multi)
	n[5] = len(b)
	req := tw.cell(b)
	b = appendLegCell(b[:0], &cr.Response, tw.multi)
	n[6] = len(b)
	resp := tw.cell(b)
	n[7] = len(cr.Status)
	for i := range n {
		tw.w[i] = max(tw.w[i], n[i])
	}
	tw.scratch = b
	if !tw.noRows && c.ID < len(tw.rows) {
		tw.rows[c.ID] = uint32(req)<<16 | uint32(resp)
		tw.status[c.ID] = uint8(slices.Index(statuses, cr.Status))
	}
}

// cell returns the index of cell b, adding it when new.
func (tw *CheckTable) cell(b []byte) uint16 {
	if tw.noRows {
		return 0
	}
	if i, ok := tw.cellIdx[string(b)]; ok {
		return i
	}
	if len(tw.cells) > math.MaxUint16 {
		tw.noRows, tw.cells, tw.cellIdx, tw.rows, tw.status = true, nil, nil, nil, nil
		return 0
	}
	i := uint16(len(tw.cells))
	tw.cells = append(tw.cells, string(b))
	tw.cellIdx[string(b)] = i
	return i
}

// eachRow calls emit with the text table's row of every conversation with
// an evaluated packet that keep accepts (keep's error stops it), from the cells remembered by Observe; false when
// they were not (a materialised report, too many distinct cells, or
// another topology).
func (tw *CheckTable) eachRow(r *replay.Report, multi bool, keep func(*flows.Conversation, replay.Status) (bool, error), emit func(cells ...string) error) (bool, error) {
	if tw == nil || !r.Summarized() || tw.noRows || tw.multi != multi {
		return false, nil
	}
	return true, r.EachRoles(func(c *flows.Conversation) error {
		if c.ID >= len(tw.rows) {
			return errors.New("check table: conversation outside the measured recording")
		}
		if k, err := keep(c, statuses[tw.status[c.ID]]); !k {
			return err
		}
		v := tw.rows[c.ID]
		return emit(strconv.Itoa(c.ID), flows.ProtoName(c.Proto), endpoint(c.Client, c.HasPorts()), endpoint(c.Server, c.HasPorts()),
			string(c.State), tw.cells[v>>16], tw.cells[v&0xffff], string(statuses[tw.status[c.ID]]))
	})
}

// WriteCheckText prints the report for people, the answer first:
// headlines, totals, what broke (by deciding rule, then peer and
// service), the fixes and their proof, the per-rule hits, then the
// conversation table and each broken conversation with its explanation
// and fix, as o.Select chooses them (by default the affected
// conversations only), and notes.
//
// table, when not nil, holds the table measured while the report was
// summarized (see CheckTable).
func (o *Options) WriteCheckText(w io.Writer, r *replay.Report, t *replay.Topology, table *CheckTable) error {
	var b strings.Builder
	o.writeIncompleteText(&b)
	writeHeadlinesText(&b, r)
	s := &r.Summary
	fmt.Fprintf(&b, "Summary: %d records read, %d IP packets evaluated: %d allowed, %d denied, %d exempt, %d not filtered",
		s.Records, s.Evaluated, s.Allowed, s.Denied, s.Exempt, s.NotFiltered)
	if s.Uncertain > 0 {
		fmt.Fprintf(&b, " (%d uncertain)", s.Uncertain)
	}
	fmt.Fprintf(&b, "\n         %d of %d conversations affected\n", s.Affected, s.Conversations)
	writeClassCountsText(&b, r)
	if s.OutsideWindow > 0 || !s.Since.IsZero() || !s.Until.IsZero() {
		fmt.Fprintf(&b, "Window: %s .. %s (%d IP packets outside, not evaluated)\n", orOpen(o.FormatTime(s.Since)), orOpen(o.FormatTime(s.Until)), s.OutsideWindow)
	}
	if s.NonIP+s.Undecodable > 0 {
		fmt.Fprintf(&b, "Not IP: %d non-IP, %d undecodable records\n", s.NonIP, s.Undecodable)
	}
	if len(s.ExemptBy) > 0 {
		fmt.Fprintf(&b, "Exempt: %s\n", countsText(s.ExemptBy))
	}
	if len(s.NotFilteredBy) > 0 {
		fmt.Fprintf(&b, "Not filtered: %s\n", countsText(s.NotFilteredBy))
	}
	for _, sn := range t.Subnets {
		cidrs := make([]string, len(sn.CIDRs))
		for i, p := range sn.CIDRs {
			cidrs[i] = p.String()
		}
		id := sn.ID
		if id == strings.Join(cidrs, ",") {
			fmt.Fprintf(&b, "Subnet %s: %s\n", id, sn.ACL.Label())
		} else {
			fmt.Fprintf(&b, "Subnet %s (%s): %s\n", id, strings.Join(cidrs, ", "), sn.ACL.Label())
		}
	}
	multi := multiACL(t)
	o.writeBrokeText(&b, r)
	writeFixesText(&b, r)
	if err := o.writeRulesText(&b, r, multi); err != nil {
		return err
	}
	sel := &o.Select
	if r.Summary.Conversations > 0 && (sel.Match != nil || sel.All || s.Affected > 0) {
		b.WriteString("\n" + sel.heading("CONVERSATIONS", s.Affected, s.Conversations) + "\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		b.Reset()
		if err := o.writeConvTable(w, r, multi, table, o.aclNames(t, multi)); err != nil {
			return err
		}
	} else if r.Summary.Conversations > 0 {
		fmt.Fprintf(&b, "\nCONVERSATIONS: none of %d affected (--all lists every one)\n", s.Conversations)
	}
	denied, shown := false, 0
	err := r.EachAffected(func(cr *replay.ConvResult) error {
		if len(cr.Denials) == 0 || !sel.keep(cr.Conv, cr.Status) {
			return nil
		}
		if sel.Limit > 0 && shown >= sel.Limit {
			return errLimit
		}
		shown++
		if !denied {
			b.WriteString("\n" + sel.heading("DENIED", s.Affected, s.Conversations) + "\n")
			denied = true
		}
		o.writeBroken(&b, r, cr)
		if b.Len() >= 64<<10 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
		return nil
	})
	if errors.Is(err, errLimit) {
		b.WriteString("... more broken conversations not shown (--limit N, --all, --format json)\n")
	} else if err != nil {
		return err
	}
	if notes := o.checkNotes(r); len(notes) > 0 {
		b.WriteString("\nNOTES\n")
		for _, n := range notes {
			writeWrapped(&b, "- ", n, o.Width)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// aclNames replaces, in the verdict cells of a terminal's table (o.Width
// set, several ACLs named in the cells), each ACL ID by its Name tag when
// it has one that no other ACL of the topology shares; nil when nothing
// is replaced. Output that is not a terminal keeps the IDs.
func (o *Options) aclNames(t *replay.Topology, multi bool) *strings.Replacer {
	if o.Width == 0 || !multi {
		return nil
	}
	byName := map[string][]string{}
	for _, s := range t.Subnets {
		if s.ACL == nil || s.ACL.Name == "" || s.ACL.Name == s.ACL.ID {
			continue
		}
		if ids := byName[s.ACL.Name]; !slices.Contains(ids, s.ACL.ID) {
			byName[s.ACL.Name] = append(ids, s.ACL.ID)
		}
	}
	var pairs []string
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		if ids := byName[name]; len(ids) == 1 {
			pairs = append(pairs, ids[0]+" ", name+" ")
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	return strings.NewReplacer(pairs...)
}

// writeConvTable prints the conversation table of the conversations
// o.Select keeps, at most o.Select.Limit rows.
// names, when not nil, writes ACL names for IDs in the verdict cells.
func (o *Options) writeConvTable(w io.Writer, r *replay.Report, multi bool, table *CheckTable, names *strings.Replacer) error {
	sel := &o.Select
	var widths []int
	// The widths measured while judging cover every conversation (with
	// IDs): use them only when every conversation is listed.
	if table != nil && r.Summarized() && table.multi == multi && sel.All && sel.Match == nil && sel.Limit == 0 && names == nil {
		widths = table.w[:]
	}
	t := newStreamTable(convTableHeaders...)
	if widths != nil {
		t.measure = func(width []int) {
			for i := range width {
				width[i] = max(width[i], widths[convTableOrder[i]])
			}
		}
	}
	t.colour = func(_, col int, cell string) string {
		if col == 1 {
			return statusColour(cell)
		}
		return ""
	}
	more := false
	err := t.write(w, o.Colour, func(emitShown func(cells ...string) error) error {
		// Rows are built in the measured order and shown in the
		// table's.
		emit := func(cells ...string) error {
			shown := make([]string, len(convTableOrder))
			for i, j := range convTableOrder {
				shown[i] = cells[j]
			}
			return emitShown(shown...)
		}
		if names != nil {
			plain := emit
			emit = func(cells ...string) error {
				cells[5], cells[6] = names.Replace(cells[5]), names.Replace(cells[6])
				return plain(cells...)
			}
		}
		n := 0
		keep := func(c *flows.Conversation, st replay.Status) (bool, error) {
			if !sel.keep(c, st) {
				return false, nil
			}
			if sel.Limit > 0 && n >= sel.Limit {
				more = true
				return false, errLimit
			}
			n++
			return true, nil
		}
		ok, err := table.eachRow(r, multi, keep, emit)
		if !ok {
			err = r.EachBrief(func(cr *replay.ConvResult) error {
				c := cr.Conv
				if k, err := keep(c, cr.Status); !k {
					return err
				}
				return emit(strconv.Itoa(c.ID), flows.ProtoName(c.Proto), endpoint(c.Client, c.HasPorts()), endpoint(c.Server, c.HasPorts()),
					string(c.State), LegCell(&cr.Request, multi), LegCell(&cr.Response, multi), string(cr.Status))
			})
		}
		if errors.Is(err, errLimit) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if more {
		_, err = io.WriteString(w, "... more conversations not shown (--limit N, --all, --format json|jsonl|csv)\n")
	}
	return err
}

// writeBroken prints one broken conversation: legs, explanations, fixes.
func (o *Options) writeBroken(b *strings.Builder, r *replay.Report, cr *replay.ConvResult) {
	c := cr.Conv
	var num [20]byte
	b.WriteByte('#')
	b.Write(strconv.AppendInt(num[:0], int64(c.ID), 10))
	b.WriteByte(' ')
	b.WriteString(flows.ProtoName(c.Proto))
	b.WriteByte(' ')
	b.WriteString(endpoint(c.Client, c.HasPorts()))
	b.WriteString(" -> ")
	b.WriteString(endpoint(c.Server, c.HasPorts()))
	b.WriteString(" (" + string(cr.Status) + ", client by " + string(c.Evidence) + ", " + string(c.Confidence) + ")\n")
	for _, l := range []*replay.Leg{&cr.Request, &cr.Response} {
		b.WriteString("  ")
		b.WriteString(string(l.Role))
		for i := utf8.RuneCountInString(string(l.Role)); i < 8; i++ {
			b.WriteByte(' ')
		}
		if l.Packets == 0 {
			b.WriteString("  no packets\n")
			continue
		}
		b.WriteString("  ")
		b.Write(strconv.AppendUint(num[:0], l.Packets, 10))
		b.WriteString(" packets, ")
		b.Write(strconv.AppendUint(num[:0], l.Denied, 10))
		b.WriteString(" denied: ")
		b.WriteString(LegCell(l, true))
		if l.Denied > 0 {
			b.WriteString("; first denied " + o.FormatTime(l.FirstDenied) + " (" + o.file(l.FirstDeniedFrame.File) + " frame ")
			b.Write(strconv.AppendInt(num[:0], l.FirstDeniedFrame.Frame, 10))
			b.WriteByte(')')
		}
		b.WriteByte('\n')
	}
	for _, e := range o.sentences(cr) {
		if o.Width > 0 {
			writeWrapped(b, "  ", capitalise(e), o.Width)
			continue
		}
		b.WriteString("  ")
		if e != "" && e[0] < utf8.RuneSelf {
			b.WriteString(strings.ToUpper(e[:1]))
			b.WriteString(e[1:])
		} else {
			b.WriteString(capitalise(e))
		}
		b.WriteByte('\n')
	}
	writeClassText(b, r, cr, o.Width)
	for _, i := range cr.Fixes {
		b.WriteString("  fix (" + r.Fixes[i].ACL + "): " + r.Fixes[i].Line + "\n")
	}
}

// statusColour is the colour of a conversation status: green for ok, red
// when denied.
func statusColour(s string) string {
	switch replay.Status(s) {
	case replay.StatusOK:
		return ansiGreen
	case replay.StatusRequestDenied, replay.StatusResponseDenied, replay.StatusBothDenied:
		return ansiRed
	}
	return ""
}

func orOpen(s string) string {
	if s == "" {
		return "open"
	}
	return s
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func intsText(ids []int) string {
	parts := make([]string, 0, len(ids))
	for i, id := range ids {
		if i == 20 {
			parts = append(parts, fmt.Sprintf("... (%d in all)", len(ids)))
			break
		}
		parts = append(parts, "#"+strconv.Itoa(id))
	}
	return strings.Join(parts, ", ")
}

// countsText formats reason counts sorted by reason: "amazon-dns 12, time-sync 2".
func countsText(m map[string]uint64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// reportNotes are the caveats that apply to a replay's summary:
// uncertain verdicts, and traffic whose treatment by AWS is unconfirmed.
func reportNotes(s *replay.Summary) []string {
	var out []string
	if s.Uncertain > 0 {
		out = append(out, "verdicts of "+strconv.FormatUint((s.Uncertain), 10)+" packet(s) are uncertain: packets whose ports, ICMP type or protocol are unknown met rules that depend on them (they were judged as not matching those rules). Non-first IP fragments without ports: AWS does not document how NACLs treat them. Packets the capture cut inside a header (snaplen): the fields were on the wire but not captured; `flowverify flows` counts them among the anomalies by the header that was cut")
	}
	if n := s.NotFilteredBy[replay.ReasonNDP]; n > 0 {
		out = append(out, strconv.FormatUint((n), 10)+" IPv6 neighbour discovery packet(s) (ICMPv6 133-137) counted as not filtered: they are link-scoped and never cross a subnet boundary; whether AWS NACLs filter them is UNCONFIRMED")
	}
	if n := s.ExemptBy[replay.ReasonECSMetadata]; n > 0 {
		out = append(out, strconv.FormatUint((n), 10)+" packet(s) to/from 169.254.170.2 counted as exempt (ECS task metadata): "+ExemptNote(replay.ReasonECSMetadata))
	}
	return out
}

// checkNotes are the notes of a check report: the command's (o.Notes),
// then the report's caveats.
func (o *Options) checkNotes(r *replay.Report) []string {
	return append(append([]string(nil), o.Notes...), reportNotes(&r.Summary)...)
}
