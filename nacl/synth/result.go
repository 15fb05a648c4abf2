package synth

import (
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// Exclusion categories (Excluded.Category).
const (
	ExclExempt      = "exempt"       // traffic NACLs never filter (Reason names it)
	ExclSameSubnet  = "same-subnet"  // both ends inside one subnet
	ExclNotCrossing = "not-crossing" // neither end in a given subnet
	ExclFailed      = "failed"       // never worked: scan or failed attempt
	ExclConflict    = "conflict"     // denied by a kept deny rule
)

// Excluded is a conversation that produced no rule.
type Excluded struct {
	Conv     *flows.Conversation
	Category string
	// Reason is a short explanation ("rejected: SYN answered by RST",
	// "amazon-dns", "denied by kept rule inbound 90").
	Reason string
}

// Merge is one lossy budget merge: two rules replaced by one that allows
// AddedBits more address x service space (log2 of the added units + 1).
type Merge struct {
	Direction nacl.Direction
	IPv6      bool
	A, B, To  string
	// Added is the newly admitted space in address x service units.
	Added     float64
	AddedBits float64
}

// Rule describes one generated entry for the report.
type Rule struct {
	Entry nacl.Entry
	// Kind is one of the Kind* constants.
	Kind string
	// Profile is the ephemeral profile of a response rule ("linux", ...).
	Profile string
	// Conversations counts the conversation legs (and ICMP packet shapes)
	// the rule serves; Example is the lowest peer address among them.
	Conversations int
	Example       netip.Addr
	First, Last   time.Time
	// Allowed and Intended are in address x service units (package doc);
	// OverBits is log2(1 + Allowed - Intended).
	Allowed, Intended float64
	OverBits          float64
}

// Count is the number of rules of one direction and IP family, including
// the default deny rule, against the budget.
type Count struct {
	Direction nacl.Direction
	IPv6      bool
	Rules     int
	Budget    int
}

// ClientRange is the response range chosen for one client group (one
// client address and protocol).
type ClientRange struct {
	Client  netip.Addr
	Proto   uint8
	Lo, Hi  uint16
	Convs   int
	Profile string
	Range   nacl.PortRange
	// Outside lists observed client ports the range does not cover; they
	// get explicit rules.
	Outside []uint16
}

// Conflict is an observed conversation a kept deny rule would drop.
type Conflict struct {
	Conv      *flows.Conversation
	Direction nacl.Direction
	Rule      int
}

// Result is the outcome of Synthesize.
type Result struct {
	// ACL is the generated ACL; every entry carries a Comment.
	ACL *nacl.ACL
	// Rules describes ACL.Entries, in the same order.
	Rules []Rule
	// Used counts the conversations that produced rules.
	Used     int
	Excluded []Excluded
	// Merges lists the lossy budget merges, in the order made; Lossless
	// counts free merges (adjacent ports, sibling prefixes, containment).
	Merges   []Merge
	Lossless int
	Counts   []Count
	// OverPermission sums the rules' allowed-minus-intended space;
	// OverBits is log2(1 + OverPermission).
	OverPermission float64
	OverBits       float64
	Clients        []ClientRange
	Conflicts      []Conflict
	Warnings       []string
	// Notes are informational lines (e.g. an ambiguous profile choice).
	Notes []string
	// First and Last bound the observed conversations in time.
	First, Last time.Time
	opts        Options
	excluded    map[int]string
}

// IsExcluded reports whether conversation id produced no rule because it
// failed or conflicts with a kept deny (its packets may be denied).
func (r *Result) IsExcluded(id int) bool {
	c, ok := r.excluded[id]
	return ok && (c == ExclFailed || c == ExclConflict)
}
