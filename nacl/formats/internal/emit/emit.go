// Package emit holds what the NACL writers share.
package emit

import (
	"bufio"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/nacl"
)

// EachACL writes the ACLs with writeACL, a blank line between two, through
// one buffered writer, and flushes it.
func EachACL(w io.Writer, acls []*nacl.ACL, writeACL func(*bufio.Writer, *nacl.ACL)) error {
	bw := bufio.NewWriter(w)
	for i, a := range acls {
		if i > 0 {
			bw.WriteString("\n")
		}
		writeACL(bw, a)
	}
	return bw.Flush()
}

// OneLine makes a comment fit on one line.
func OneLine(s string) string {
	return strings.TrimSpace(strings.NewReplacer("\r", " ", "\n", " ").Replace(s))
}

// SortedEntries returns copies of the user entries, ingress first, each
// direction by rule number (IPv4 before IPv6 under one number), without
// the implicit default rules. This is the order the IaC writers use; it
// differs from nacl.SortedEntries, which keeps input order among equal
// numbers and works one direction at a time.
func SortedEntries(in []nacl.Entry) []nacl.Entry {
	out := make([]nacl.Entry, 0, len(in))
	for _, e := range in {
		if !nacl.IsDefaultRuleNumber(e.RuleNumber) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Direction != b.Direction {
			return a.Direction < b.Direction
		}
		if a.RuleNumber != b.RuleNumber {
			return a.RuleNumber < b.RuleNumber
		}
		return !a.CIDR.Addr().Is6() && b.CIDR.Addr().Is6()
	})
	return out
}

var literalIDRE = regexp.MustCompile(`^[a-z]+-[0-9a-zA-Z]+$`)

// IsLiteralID reports whether s looks like an AWS ID with the prefix
// (vpc-0abc, subnet-0abc, acl-0abc) rather than a reference or other text.
func IsLiteralID(s, prefix string) bool {
	return strings.HasPrefix(s, prefix) && literalIDRE.MatchString(s)
}

// ICMPTypeCode returns the entry's ICMP type and code as written: a code
// is meaningless under "any type", so it is -1 there too.
func ICMPTypeCode(e *nacl.Entry) (int, int) {
	t, c := e.ICMPType, e.ICMPCode
	if t == -1 {
		c = -1
	}
	return t, c
}
