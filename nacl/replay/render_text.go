package replay

import (
	"math"
	"net/netip"
	"unicode/utf8"

	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
)

// multiACL reports whether the topology uses more than one ACL, in which
// case compact check cells name the ACL.
func multiACL(t *Topology) bool {
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
func LegCell(l *Leg, withACL bool) string {
	switch l.Verdict {
	case "":
		return "-"
	case Exempt, NotFiltered:
		return string(l.Verdict) + " (" + l.Reason + ")"
	}
	var buf [128]byte
	return string(appendLegCell(buf[:0], l, withACL))
}

// appendLegCell appends LegCell(l, withACL) to b.
func appendLegCell(b []byte, l *Leg, withACL bool) []byte {
	switch l.Verdict {
	case "":
		return append(b, '-')
	case Exempt, NotFiltered:
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

// convTableHeaders are the columns of the text conversation table.
var convTableHeaders = []string{"ID", "PROTO", "CLIENT", "SERVER", "STATE", "REQUEST", "RESPONSE", "STATUS"}

// tableWidths accumulates the widths of the conversation table's columns
// while Summarize judges, and remembers each row's verdict cells as two
// indexes into the (few) distinct cells and a status: WriteText then
// prints the table in one pass, without judging again. 5 bytes per
// conversation; when there are more than 65536 distinct cells only the
// widths are kept.
type tableWidths struct {
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

// statuses indexes tableWidths.status.
var statuses = []string{StatusOK, StatusRequestDenied, StatusResponseDenied, StatusBothDenied, StatusExempt, StatusNotFiltered}

// add measures the row of cr, whose Conv needs ID, Proto, Client and
// Server; state is the conversation's final state.
func (tw *tableWidths) add(cr *ConvResult, state flows.State) {
	c := cr.Conv
	ports := c.HasPorts()
	b := strconv.AppendInt(tw.scratch[:0], int64(c.ID), 10)
	n := [8]int{len(b), len(flows.ProtoName(c.Proto))}
	b = appendEndpoint(b[:0], c.Client, ports)
	n[2] = len(b)
	b = appendEndpoint(b[:0], c.Server, ports)
	n[3] = len(b)
	n[4] = len(state)
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
	if !tw.noRows {
		tw.rows[c.ID] = uint32(req)<<16 | uint32(resp)
		tw.status[c.ID] = uint8(slices.Index(statuses, cr.Status))
	}
}

// cell returns the index of cell b, adding it when new.
func (tw *tableWidths) cell(b []byte) uint16 {
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
// an evaluated packet, from the cells remembered by Summarize; false when
// they were not (a materialised report, too many distinct cells, or
// another topology than the judge's).
func (r *Report) eachRow(multi bool, o *RenderOptions, emit func(cells ...string) error) (bool, error) {
	l := r.lazy
	if l == nil || l.widths.noRows || l.widths.multi != multi {
		return false, nil
	}
	tw := &l.widths
	var c flows.Conversation
	for id := 1; id < len(tw.rows); id++ {
		if !l.rec.hasKeys(id) {
			continue
		}
		l.rec.roles(id, &c)
		v := tw.rows[id]
		err := emit(strconv.Itoa(id), flows.ProtoName(c.Proto), endpoint(c.Client, c.HasPorts()), endpoint(c.Server, c.HasPorts()),
			string(l.rec.state(id)), tw.cells[v>>16], tw.cells[v&0xffff], o.colourStatus(statuses[tw.status[id]]))
		if err != nil {
			return true, err
		}
	}
	return true, nil
}

// appendEndpoint appends endpoint(e, hasPorts) to b.
func appendEndpoint(b []byte, e flows.Endpoint, hasPorts bool) []byte {
	if !hasPorts {
		return e.Addr.AppendTo(b)
	}
	return netip.AddrPortFrom(e.Addr, e.Port).AppendTo(b)
}

// ConvCSVHeader is the header of --format csv.
var ConvCSVHeader = []string{"id", "proto", "client", "client_port", "server", "server_port", "state", "status",
	"request_verdict", "request_checks", "request_packets", "request_denied",
	"response_verdict", "response_checks", "response_packets", "response_denied",
	"first_denied", "first_denied_file", "first_denied_frame", "explanation", "fix"}

// ConvCSVRows returns one row per conversation (see ConvCSVHeader).
func (o *RenderOptions) ConvCSVRows(r *Report) [][]string {
	rows := make([][]string, 0, len(r.Conversations))
	_ = o.EachConvCSVRow(r, func(row []string) error { rows = append(rows, row); return nil })
	return rows
}

// EachConvCSVRow calls fn with the CSV row (see ConvCSVHeader) of every
// conversation in turn, without holding them all; it stops at fn's first error.
func (o *RenderOptions) EachConvCSVRow(r *Report, fn func([]string) error) error {
	return r.EachConversation(func(cr *ConvResult) error {
		c := cr.Conv
		cp, sp := "", ""
		if c.HasPorts() {
			cp, sp = strconv.Itoa(int(c.Client.Port)), strconv.Itoa(int(c.Server.Port))
		}
		var fd, ff, fr string
		for _, l := range []*Leg{&cr.Request, &cr.Response} {
			if l.Denied > 0 && (fd == "" || o.FormatTime(l.FirstDenied) < fd) {
				fd, ff, fr = o.FormatTime(l.FirstDenied), o.file(l.FirstDeniedFrame.File), strconv.FormatInt(l.FirstDeniedFrame.Frame, 10)
			}
		}
		var fixes []string
		for _, i := range cr.Fixes {
			fixes = append(fixes, r.Fixes[i].Line)
		}
		legV := func(l *Leg) string {
			if l.Verdict == "" {
				return "none"
			}
			return string(l.Verdict)
		}
		return fn([]string{strconv.Itoa(c.ID), flows.ProtoName(c.Proto), c.Client.Addr.String(), cp, c.Server.Addr.String(), sp,
			string(c.State), cr.Status,
			legV(&cr.Request), ChecksText(cr.Request.Checks, true), u64(cr.Request.Packets), u64(cr.Request.Denied),
			legV(&cr.Response), ChecksText(cr.Response.Checks, true), u64(cr.Response.Packets), u64(cr.Response.Denied),
			fd, ff, fr, strings.Join(cr.Explanations, " | "), strings.Join(fixes, " | ")})
	})
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// WriteText prints the report for people: summary, topology, the
// conversation table, each broken conversation with its explanation and
// fix, the suggested rules, and notes.
func (o *RenderOptions) WriteText(w io.Writer, r *Report, t *Topology) error {
	var b strings.Builder
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
	if r.Summary.Conversations > 0 {
		b.WriteString("\nCONVERSATIONS\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		b.Reset()
		var widths []int
		if l := r.lazy; l != nil && l.widths.multi == multi {
			widths = l.widths.w[:]
		}
		err := writeStreamTable(w, convTableHeaders, widths,
			func(emit func(cells ...string) error) error {
				if ok, err := r.eachRow(multi, o, emit); ok {
					return err
				}
				return r.eachConv(false, false, func(cr *ConvResult) error {
					c := cr.Conv
					return emit(strconv.Itoa(c.ID), flows.ProtoName(c.Proto), endpoint(c.Client, c.HasPorts()), endpoint(c.Server, c.HasPorts()),
						string(c.State), LegCell(&cr.Request, multi), LegCell(&cr.Response, multi), o.colourStatus(cr.Status))
				})
			})
		if err != nil {
			return err
		}
	}
	denied := false
	err := r.eachConv(true, true, func(cr *ConvResult) error {
		if len(cr.Explanations) == 0 {
			return nil
		}
		if !denied {
			b.WriteString("\nDENIED\n")
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
	if err != nil {
		return err
	}
	writeFixesText(&b, r)
	if len(r.Notes) > 0 {
		b.WriteString("\nNOTES\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// writeBroken prints one broken conversation: legs, explanations, fixes.
func (o *RenderOptions) writeBroken(b *strings.Builder, r *Report, cr *ConvResult) {
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
	b.WriteString(" (" + cr.Status + ", client by " + string(c.Evidence) + ", " + string(c.Confidence) + ")\n")
	for _, l := range []*Leg{&cr.Request, &cr.Response} {
		b.WriteString("  ")
		b.WriteString(l.Role)
		for i := utf8.RuneCountInString(l.Role); i < 8; i++ {
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
	for _, e := range cr.Explanations {
		b.WriteString("  ")
		if e != "" && e[0] < utf8.RuneSelf {
			b.WriteString(strings.ToUpper(e[:1]))
			b.WriteString(e[1:])
		} else {
			b.WriteString(capitalise(e))
		}
		b.WriteByte('\n')
	}
	writeClassText(b, r, cr)
	for _, i := range cr.Fixes {
		b.WriteString("  fix (" + r.Fixes[i].ACL + "): " + r.Fixes[i].Line + "\n")
	}
}

func (o *RenderOptions) colourStatus(s string) string {
	if !o.Colour {
		return s
	}
	switch s {
	case StatusOK:
		return "\x1b[32m" + s + "\x1b[0m"
	case StatusRequestDenied, StatusResponseDenied, StatusBothDenied:
		return "\x1b[31m" + s + "\x1b[0m"
	}
	return s
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

// writeStreamTable prints a minimal aligned text table (colour codes are
// not counted) whose rows are generated twice, once to measure the
// columns and once to print, so that no row is held in memory.
// When known is not nil it holds the widths of the rows' cells (without
// the headers) and rows is generated once.
func writeStreamTable(w io.Writer, headers []string, known []int, rows func(emit func(cells ...string) error) error) error {
	width := make([]int, len(headers))
	measure := func(cells ...string) error {
		for i, c := range cells {
			width[i] = max(width[i], visibleLen(c))
		}
		return nil
	}
	measure(headers...)
	if known != nil {
		for i := range width {
			width[i] = max(width[i], known[i])
		}
	} else if err := rows(measure); err != nil {
		return err
	}
	var l []byte
	line := func(cells ...string) error {
		l = l[:0]
		for i, c := range cells {
			if i > 0 {
				l = append(l, "  "...)
			}
			l = append(l, c...)
			if i < len(cells)-1 {
				for n := width[i] - visibleLen(c); n > 0; n-- {
					l = append(l, ' ')
				}
			}
		}
		for len(l) > 0 && l[len(l)-1] == ' ' {
			l = l[:len(l)-1]
		}
		l = append(l, '\n')
		_, err := w.Write(l)
		return err
	}
	if err := line(headers...); err != nil {
		return err
	}
	return rows(line)
}

func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		n++
	}
	return n
}
