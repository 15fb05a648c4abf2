package replay

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
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
	s := string(l.Verdict)
	if c := ChecksText(l.Checks, withACL); c != "" {
		s += " " + c
	}
	if l.Denied > 0 && l.Denied < l.Packets {
		s += fmt.Sprintf(" [%d/%d denied]", l.Denied, l.Packets)
	}
	return s
}

// ConvCSVHeader is the header of --format csv.
var ConvCSVHeader = []string{"id", "proto", "client", "client_port", "server", "server_port", "state", "status",
	"request_verdict", "request_checks", "request_packets", "request_denied",
	"response_verdict", "response_checks", "response_packets", "response_denied",
	"first_denied", "first_denied_file", "first_denied_frame", "explanation", "fix"}

// ConvCSVRows returns one row per conversation (see ConvCSVHeader).
func (o *RenderOptions) ConvCSVRows(r *Report) [][]string {
	rows := make([][]string, 0, len(r.Conversations))
	for _, cr := range r.Conversations {
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
		rows = append(rows, []string{strconv.Itoa(c.ID), ProtoName(c.Proto), c.Client.Addr.String(), cp, c.Server.Addr.String(), sp,
			string(c.State), cr.Status,
			legV(&cr.Request), ChecksText(cr.Request.Checks, true), u64(cr.Request.Packets), u64(cr.Request.Denied),
			legV(&cr.Response), ChecksText(cr.Response.Checks, true), u64(cr.Response.Packets), u64(cr.Response.Denied),
			fd, ff, fr, strings.Join(cr.Explanations, " | "), strings.Join(fixes, " | ")})
	}
	return rows
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// WriteText prints the report for people: summary, topology, the
// conversation table, each broken conversation with its explanation and
// fix, the suggested rules, and notes.
func (o *RenderOptions) WriteText(w io.Writer, r *Report, t *Topology) error {
	var b strings.Builder
	s := &r.Summary
	fmt.Fprintf(&b, "Summary: %d records read, %d IP packets evaluated: %d allowed, %d denied, %d exempt, %d not filtered",
		s.Records, s.Evaluated, s.Allowed, s.Denied, s.Exempt, s.NotFiltered)
	if s.Uncertain > 0 {
		fmt.Fprintf(&b, " (%d uncertain)", s.Uncertain)
	}
	fmt.Fprintf(&b, "\n         %d of %d conversations affected\n", s.Affected, s.Conversations)
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
	if len(r.Conversations) > 0 {
		b.WriteString("\nCONVERSATIONS\n")
		tw := newTable("ID", "PROTO", "CLIENT", "SERVER", "STATE", "REQUEST", "RESPONSE", "STATUS")
		for _, cr := range r.Conversations {
			c := cr.Conv
			tw.add(strconv.Itoa(c.ID), ProtoName(c.Proto), endpoint(c.Client, c.HasPorts()), endpoint(c.Server, c.HasPorts()),
				string(c.State), LegCell(&cr.Request, multi), LegCell(&cr.Response, multi), o.colourStatus(cr.Status))
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		b.Reset()
		if err := tw.write(w); err != nil {
			return err
		}
	}
	var broken []*ConvResult
	for _, cr := range r.Conversations {
		if len(cr.Explanations) > 0 {
			broken = append(broken, cr)
		}
	}
	if len(broken) > 0 {
		b.WriteString("\nDENIED\n")
	}
	for _, cr := range broken {
		c := cr.Conv
		fmt.Fprintf(&b, "#%d %s %s -> %s (%s, client by %s, %s)\n", c.ID, ProtoName(c.Proto), endpoint(c.Client, c.HasPorts()),
			endpoint(c.Server, c.HasPorts()), cr.Status, c.Evidence, c.Confidence)
		for _, l := range []*Leg{&cr.Request, &cr.Response} {
			if l.Packets == 0 {
				fmt.Fprintf(&b, "  %-8s  no packets\n", l.Role)
				continue
			}
			fmt.Fprintf(&b, "  %-8s  %d packets, %d denied: %s", l.Role, l.Packets, l.Denied, LegCell(l, true))
			if l.Denied > 0 {
				fmt.Fprintf(&b, "; first denied %s (%s frame %d)", o.FormatTime(l.FirstDenied), o.file(l.FirstDeniedFrame.File), l.FirstDeniedFrame.Frame)
			}
			b.WriteByte('\n')
		}
		for _, e := range cr.Explanations {
			fmt.Fprintf(&b, "  %s\n", capitalise(e))
		}
		for _, i := range cr.Fixes {
			fmt.Fprintf(&b, "  fix (%s): %s\n", r.Fixes[i].ACL, r.Fixes[i].Line)
		}
	}
	if len(r.Fixes) > 0 {
		b.WriteString("\nSUGGESTED RULES (native text format)\n")
		for i := range r.Fixes {
			f := &r.Fixes[i]
			fmt.Fprintf(&b, "%s  # %s %s, %s leg, before rule %d; conversations %s\n", f.Line, f.ACL, f.SubnetID, f.Role, f.Blocking, intsText(f.Conversations))
			if f.Note != "" {
				fmt.Fprintf(&b, "#   %s\n", f.Note)
			}
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNOTES\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
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

// table is a minimal aligned text table (colour codes are not counted).
type table struct {
	rows [][]string
}

func newTable(headers ...string) *table { return &table{rows: [][]string{headers}} }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

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

func (t *table) write(w io.Writer) error {
	width := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], visibleLen(c))
		}
	}
	var l strings.Builder
	for _, r := range t.rows {
		l.Reset()
		for i, c := range r {
			if i > 0 {
				l.WriteString("  ")
			}
			l.WriteString(c)
			if i < len(r)-1 {
				l.WriteString(strings.Repeat(" ", width[i]-visibleLen(c)))
			}
		}
		if _, err := io.WriteString(w, strings.TrimRight(l.String(), " ")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
