package lint

import (
	"cmp"
	"encoding/json"
	"slices"

	"github.com/flowverify/flowverify/nacl"
)

// Code is a stable identifier of a kind of finding.
type Code string

// Finding codes. They are part of the JSON output and never change meaning.
const (
	CodeEmptyMatch    Code = "empty-match"      // the entry matches no packet at all
	CodeUnreachable   Code = "unreachable-rule" // earlier rules together take every packet it matches
	CodeRedundant     Code = "redundant-rule"   // removing it changes no verdict
	CodePartial       Code = "partial-override" // an earlier rule of the opposite action takes part of it
	CodeQuota         Code = "quota-exceeded"   // more than 20 entries (with the default) in a direction and family
	CodeQuotaHard     Code = "quota-hard-limit" // more than 40: AWS refuses them
	CodeNoReturnPath  Code = "no-return-path"   // allowed requests whose replies are denied for every client profile
	CodeNarrowEphem   Code = "narrow-ephemeral" // replies allowed for some client ephemeral ranges only
	CodeNoPMTUD       Code = "no-pmtud"         // ICMP fragmentation-needed / packet-too-big denied inbound
	CodeIncomplete    Code = "analysis-incomplete"
	CodeDuplicateRule Code = "duplicate-rule-number" // two entries share a number in one direction
	CodeIgnoredICMP   Code = "ignored-icmp-fields"   // ICMP type/code given where AWS ignores them
)

// Finding is one problem found in an ACL.
type Finding struct {
	Severity  nacl.Severity
	Code      Code
	Direction nacl.Direction
	// IPv6 is true for findings about the IPv6 entries (family "IPv6").
	IPv6 bool
	// Rule is the rule the finding is about (32767/32768 for the default
	// rule), 0 when it is about the whole direction and family (quota).
	Rule int
	// Related are the other rules involved, ascending: the smallest set
	// of earlier rules hiding an unreachable rule, the rules deciding a
	// redundant rule's packets, the overriding rules, the service rules
	// whose replies are concerned.
	Related []int
	// Message says what is wrong, Fix how to repair it.
	Message string
	Fix     string
	// Pos is where the rule was read from (zero when unknown).
	Pos nacl.Pos
}

// Family returns "IPv4" or "IPv6".
func (f *Finding) Family() string { return familyName(f.IPv6) }

// findingJSON is the documented JSON form of a Finding.
type findingJSON struct {
	Severity  nacl.Severity `json:"severity"`
	Code      Code          `json:"code"`
	Direction string        `json:"direction"`
	Family    string        `json:"family"`
	Rule      int           `json:"rule"`
	Related   []int         `json:"related"`
	Message   string        `json:"message"`
	Fix       string        `json:"fix"`
	Position  string        `json:"position,omitempty"`
}

// MarshalJSON writes {"severity","code","direction":"inbound|outbound",
// "family":"IPv4|IPv6","rule","related":[...],"message","fix","position"}.
func (f Finding) MarshalJSON() ([]byte, error) {
	rel := f.Related
	if rel == nil {
		rel = []int{}
	}
	return json.Marshal(findingJSON{
		Severity: f.Severity, Code: f.Code, Direction: f.Direction.String(), Family: f.Family(),
		Rule: f.Rule, Related: rel, Message: f.Message, Fix: f.Fix, Position: f.Pos.String(),
	})
}

// sortFindings orders findings by direction (inbound first), family (IPv4
// first), rule number, code, then message.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Direction, b.Direction),
			compareBool(a.IPv6, b.IPv6),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// HasErrors reports whether any finding has error severity.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == nacl.SevError {
			return true
		}
	}
	return false
}

// Count returns the number of findings of each severity.
func Count(fs []Finding) map[nacl.Severity]int {
	m := map[nacl.Severity]int{nacl.SevError: 0, nacl.SevWarning: 0, nacl.SevInfo: 0}
	for _, f := range fs {
		m[f.Severity]++
	}
	return m
}
