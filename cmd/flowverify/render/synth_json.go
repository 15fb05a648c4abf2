package render

import (
	"strconv"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/formats/text"
	"github.com/flowverify/flowverify/nacl/synth"
)

// SynthJSON is the machine-readable report (--report-format json).
type SynthJSON struct {
	Used           int                 `json:"conversations_used"`
	First          *time.Time          `json:"first_seen,omitempty"`
	Last           *time.Time          `json:"last_seen,omitempty"`
	Rules          []SynthRuleJSON     `json:"rules"`
	Counts         []SynthCountJSON    `json:"rule_counts"`
	OverBits       float64             `json:"over_permission_bits"`
	OverPermission float64             `json:"over_permission_units"`
	Clients        []SynthClientJSON   `json:"client_ranges"`
	Excluded       []SynthExcludedJSON `json:"excluded"`
	Conflicts      []SynthExcludedJSON `json:"conflicts"`
	OutsideForced  []SynthOutsideJSON  `json:"outside_forced_range,omitempty"`
	Merges         []SynthMergeJSON    `json:"merges"`
	Lossless       int                 `json:"free_merges"`
	Notes          []string            `json:"notes"`
	Warnings       []string            `json:"warnings"`
	SelfCheck      *SynthCheckJSON     `json:"self_check,omitempty"`
	// Decisions, Curve and Unseen: see synth.Result.
	Decisions []SynthDecisionJSON   `json:"peer_decisions"`
	Curve     []SynthCurvePointJSON `json:"rules_vs_over_permission"`
	HeldOut   int                   `json:"held_out_conversations,omitempty"`
	Unseen    []SynthUnseenJSON     `json:"unseen_data"`
}

// SynthRuleJSON is one generated rule.
type SynthRuleJSON struct {
	Direction     string     `json:"direction"`
	Rule          string     `json:"rule"`
	RuleNumber    int        `json:"rule_number"`
	Kind          string     `json:"kind"`
	Profile       string     `json:"profile,omitempty"`
	Intent        string     `json:"peers_intent,omitempty"`
	Conversations int        `json:"conversations"`
	Example       string     `json:"example_peer,omitempty"`
	First         *time.Time `json:"first_seen,omitempty"`
	Last          *time.Time `json:"last_seen,omitempty"`
	OverBits      float64    `json:"over_permission_bits"`
	Comment       string     `json:"comment"`
}

// SynthMergeJSON is one lossy budget merge.
type SynthMergeJSON struct {
	Direction string  `json:"direction"`
	Family    string  `json:"family"`
	A         string  `json:"a"`
	B         string  `json:"b"`
	To        string  `json:"merged"`
	AddedBits float64 `json:"added_bits"`
}

// SynthCountJSON is the rule count of one direction and family.
type SynthCountJSON struct {
	Direction string `json:"direction"`
	Family    string `json:"family"`
	Rules     int    `json:"rules_including_default"`
	Budget    int    `json:"budget"`
}

// SynthClientJSON is a client group's response range.
type SynthClientJSON struct {
	Client  string   `json:"client"`
	Proto   string   `json:"protocol"`
	Convs   int      `json:"conversations"`
	Lo      uint16   `json:"lowest_port"`
	Hi      uint16   `json:"highest_port"`
	Profile string   `json:"profile"`
	Range   string   `json:"range,omitempty"`
	Exact   []uint16 `json:"exact_ports,omitempty"`
	// Denied are observed ports outside a forced range: no rule.
	Denied []uint16 `json:"denied_ports,omitempty"`
}

// SynthExcludedJSON is an excluded (or conflicting) conversation.
type SynthExcludedJSON struct {
	ID       int    `json:"conversation"`
	Label    string `json:"label"`
	Category string `json:"category"`
	Reason   string `json:"reason"`
}

// SynthOutsideJSON is a client group whose replies the forced ephemeral range
// denies.
type SynthOutsideJSON struct {
	Client  string   `json:"client"`
	Proto   string   `json:"protocol"`
	Ports   []uint16 `json:"ports"`
	Convs   int      `json:"conversations"`
	Profile string   `json:"profile"`
	Range   string   `json:"range"`
	Message string   `json:"message"`
}

// SynthCheckJSON is the self-check result.
type SynthCheckJSON struct {
	OK            bool   `json:"ok"`
	Summary       string `json:"summary"`
	Packets       uint64 `json:"packets"`
	Allowed       uint64 `json:"allowed"`
	Exempt        uint64 `json:"exempt"`
	NotFiltered   uint64 `json:"not_filtered"`
	Expected      uint64 `json:"denied_as_intended"`
	OutsideForced uint64 `json:"denied_outside_forced_range,omitempty"`
	Uncertain     uint64 `json:"denied_unknown_ports"`
	FailedPackets uint64 `json:"denied_bug"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// NewSynthJSON returns the report of flowverify synth as JSON-ready
// values (check may be nil).
func NewSynthJSON(r *synth.Result, check *synth.CheckResult) *SynthJSON {
	j := &SynthJSON{Used: r.Used, First: timePtr(r.First), Last: timePtr(r.Last), OverBits: r.OverBits, OverPermission: r.OverPermission,
		Merges: []SynthMergeJSON{}, Lossless: r.Lossless, Notes: SynthMessages(r.Notes), Warnings: SynthMessages(r.Warnings),
		Rules: []SynthRuleJSON{}, Counts: []SynthCountJSON{}, Clients: []SynthClientJSON{}, Excluded: []SynthExcludedJSON{}, Conflicts: []SynthExcludedJSON{}}
	for _, m := range r.Merges {
		j.Merges = append(j.Merges, SynthMergeJSON{Direction: m.Direction.String(), Family: family(m.IPv6), A: m.A, B: m.B, To: m.To, AddedBits: m.AddedBits})
	}
	for _, ru := range r.Rules {
		jr := SynthRuleJSON{Direction: ru.Entry.Direction.String(), Rule: text.Rule(&ru.Entry), RuleNumber: ru.Entry.RuleNumber, Kind: ru.Kind,
			Profile: ru.Profile, Intent: string(ru.Intent), Conversations: ru.Conversations, First: timePtr(ru.First), Last: timePtr(ru.Last), OverBits: ru.OverBits, Comment: ru.Entry.Comment}
		if ru.Example.IsValid() {
			jr.Example = ru.Example.String()
		}
		j.Rules = append(j.Rules, jr)
	}
	for _, c := range r.Counts {
		j.Counts = append(j.Counts, SynthCountJSON{Direction: c.Direction.String(), Family: family(c.IPv6), Rules: c.Rules, Budget: c.Budget})
	}
	for _, c := range r.Clients {
		jc := SynthClientJSON{Client: c.Client.String(), Proto: flows.ProtoName(c.Proto), Convs: c.Convs, Lo: c.Lo, Hi: c.Hi, Profile: c.Profile, Exact: c.Outside}
		if c.Profile != "exact" {
			jc.Range = c.Range.String()
		}
		if c.Forced {
			jc.Exact, jc.Denied = nil, c.Outside
		}
		j.Clients = append(j.Clients, jc)
	}
	r.EachExcluded(func(e *synth.Excluded) error {
		j.Excluded = append(j.Excluded, SynthExcludedJSON{ID: e.Conv.ID, Label: convLabel(e.Conv), Category: e.Category, Reason: synthExclusion(&e.ExclusionReason)})
		return nil
	})
	for _, c := range r.Conflicts {
		j.Conflicts = append(j.Conflicts, SynthExcludedJSON{ID: c.Conv.ID, Label: convLabel(c.Conv), Category: synth.ExclConflict,
			Reason: "denied by kept rule " + c.Direction.String() + " " + strconv.Itoa(c.Rule)})
	}
	for i := range r.OutsideForced {
		o := &r.OutsideForced[i]
		j.OutsideForced = append(j.OutsideForced, SynthOutsideJSON{Client: o.Client.String(), Proto: flows.ProtoName(o.Proto), Ports: o.Ports,
			Convs: o.Convs, Profile: o.Profile, Range: o.Range.String(), Message: SynthOutsideForced(o)})
	}
	synthIntentJSON(j, r)
	j.HeldOut = r.HeldOut
	if check != nil {
		j.SelfCheck = &SynthCheckJSON{OK: check.OK(), Summary: SynthCheckSummary(check), Packets: check.Packets, Allowed: check.Allowed, Exempt: check.Exempt,
			NotFiltered: check.NotFiltered, Expected: check.Expected, OutsideForced: check.OutsideForced, Uncertain: check.Uncertain, FailedPackets: check.FailedPackets}
	}
	return j
}
