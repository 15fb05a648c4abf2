package text

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/emit"
)

// Write writes the ACLs in the native format: per ACL an "acl" line, then
// the inbound entries and the outbound entries, each by rule number, in
// aligned columns, with Entry.Comment as a trailing "# comment". The
// implicit default rules are not written.
func Write(w io.Writer, acls []*nacl.ACL) error {
	return emit.EachACL(w, acls, writeACL)
}

// writeACL writes one ACL.
func writeACL(w *bufio.Writer, a *nacl.ACL) {
	hdr := "acl " + quote(a.ID)
	if a.Name != "" {
		hdr += " name " + quote(a.Name)
	}
	if a.VPCID != "" {
		hdr += " vpc " + quote(a.VPCID)
	}
	if len(a.Subnets) > 0 {
		hdr += " subnets " + quote(strings.Join(a.Subnets, ","))
	}
	if a.IsDefault {
		hdr += " default"
	}
	w.WriteString(hdr + "\n")
	rows := make([][6]string, 0, len(a.Entries))
	comments := make([]string, 0, len(a.Entries))
	for _, e := range nacl.SortedEntries(a, nacl.Ingress) {
		rows = append(rows, row(e))
		comments = append(comments, e.Comment)
	}
	for _, e := range nacl.SortedEntries(a, nacl.Egress) {
		rows = append(rows, row(e))
		comments = append(comments, e.Comment)
	}
	var width [6]int
	for _, r := range rows {
		for j, c := range r {
			width[j] = max(width[j], len(c))
		}
	}
	for i, r := range rows {
		var b strings.Builder
		for j, c := range r {
			if j > 0 {
				b.WriteByte(' ')
			}
			if j == 1 {
				fmt.Fprintf(&b, "%*s", width[j], c) // rule numbers right-aligned
			} else {
				fmt.Fprintf(&b, "%-*s", width[j], c)
			}
		}
		line := strings.TrimRight(b.String(), " ")
		if c := emit.OneLine(comments[i]); c != "" {
			line = fmt.Sprintf("%-*s  # %s", lineWidth(width), line, c)
		}
		w.WriteString(line + "\n")
	}
}

// lineWidth is the width of a full row.
func lineWidth(width [6]int) int {
	n := 5
	for _, x := range width {
		n += x
	}
	return n
}

// row formats an entry's six columns.
func row(e *nacl.Entry) [6]string {
	dir := "in"
	if e.Direction == nacl.Egress {
		dir = "out"
	}
	extra := string(appendMatch(nil, e))
	return [6]string{dir, fmt.Sprint(e.RuleNumber), e.Action.String(), nacl.ProtocolName(e.Protocol), e.CIDR.String(), extra}
}
