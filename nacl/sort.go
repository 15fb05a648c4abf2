package nacl

import (
	"cmp"
	"slices"
)

// SortedEntries returns pointers to the entries of direction dir in
// evaluation order: ascending rule number, input order among equal
// numbers (both IP families interleaved, as the console lists them).
func SortedEntries(acl *ACL, dir Direction) []*Entry {
	var out []*Entry
	for i := range acl.Entries {
		if acl.Entries[i].Direction == dir {
			out = append(out, &acl.Entries[i])
		}
	}
	slices.SortStableFunc(out, func(a, b *Entry) int { return cmp.Compare(a.RuleNumber, b.RuleNumber) })
	return out
}

// HasIPv6 reports whether any entry of the ACL has an IPv6 CIDR.
func (a *ACL) HasIPv6() bool {
	return slices.ContainsFunc(a.Entries, func(e Entry) bool { return e.IsIPv6() })
}

// SortEntries orders the entries in place as the text format lists them:
// inbound before outbound, each by ascending rule number (stable). Useful
// for comparing ACLs read from different formats.
func (a *ACL) SortEntries() {
	slices.SortStableFunc(a.Entries, func(x, y Entry) int {
		if c := cmp.Compare(x.Direction, y.Direction); c != 0 {
			return c
		}
		return cmp.Compare(x.RuleNumber, y.RuleNumber)
	})
}
