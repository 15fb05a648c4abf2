package render

import (
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/synth"
	"strconv"
)

// SynthDecisionJSON is the peer decision of one service.
type SynthDecisionJSON struct {
	Direction string   `json:"direction"`
	Family    string   `json:"family"`
	Protocol  string   `json:"protocol"`
	Port      uint16   `json:"port"`
	Intent    string   `json:"intent"`
	Peers     int      `json:"peers"`
	PeersMore bool     `json:"peers_truncated,omitempty"`
	Convs     int      `json:"conversations"`
	Prefixes  []string `json:"prefixes"`
	Reason    string   `json:"reason"`
	OverBits  float64  `json:"over_permission_bits"`
}

// SynthCurvePointJSON is one point of the rules-vs-over-permission curve.
type SynthCurvePointJSON struct {
	Direction string  `json:"direction"`
	Family    string  `json:"family"`
	Rules     int     `json:"rules_including_default"`
	AddedBits float64 `json:"added_bits"`
	Merge     string  `json:"merge,omitempty"`
}

// SynthUnseenJSON is the replay of data the synthesis did not learn from.
type SynthUnseenJSON struct {
	Label             string                  `json:"data"`
	OK                bool                    `json:"ok"`
	Incomplete        bool                    `json:"incomplete,omitempty"`
	Estimate          bool                    `json:"estimate,omitempty"`
	Summary           string                  `json:"summary"`
	Working           int                     `json:"working_conversations"`
	Denied            []SynthUnseenDenialJSON `json:"denied"`
	Restricted        []SynthUnseenDenialJSON `json:"kept_out_restricted_port"`
	Failed            int                     `json:"never_worked_conversations"`
	FailedAllowed     []string                `json:"never_worked_let_through"`
	FailedServedPort  int                     `json:"never_worked_on_served_port"`
	FailedViaResponse []string                `json:"never_worked_via_response_range"`
	Exempt            int                     `json:"no_rule_needed"`
}

// SynthUnseenDenialJSON is a working conversation of unseen data the ACL denies.
type SynthUnseenDenialJSON struct {
	ID        int    `json:"conversation"`
	Label     string `json:"label"`
	Leg       string `json:"leg"`
	Direction string `json:"direction"`
	Rule      int    `json:"rule_number"`
	Reason    string `json:"reason"`
	Packets   uint64 `json:"packets"`
	// First is the first denied packet, {"file","frame"}.
	First FrameJSON `json:"first_frame"`
}

// intentJSON fills the report's decisions, curve and unseen replays.
func synthIntentJSON(j *SynthJSON, r *synth.Result) {
	j.Decisions, j.Curve, j.Unseen = []SynthDecisionJSON{}, []SynthCurvePointJSON{}, []SynthUnseenJSON{}
	for _, d := range r.Decisions {
		jd := SynthDecisionJSON{Direction: d.Direction.String(), Family: family(d.IPv6), Protocol: flows.ProtoName(d.Proto), Port: d.Port,
			Intent: string(d.Intent), Peers: d.Peers, PeersMore: d.PeersMore, Convs: d.Convs, Reason: SynthDecisionReason(&d), OverBits: d.OverBits, Prefixes: []string{}}
		for _, p := range d.Prefixes {
			jd.Prefixes = append(jd.Prefixes, p.String())
		}
		j.Decisions = append(j.Decisions, jd)
	}
	for _, p := range r.Curve {
		j.Curve = append(j.Curve, SynthCurvePointJSON{Direction: p.Direction.String(), Family: family(p.IPv6), Rules: p.Rules, AddedBits: p.AddedBits, Merge: synthCurveMerge(r, &p)})
	}
	for i := range r.Unseen {
		u := &r.Unseen[i]
		ju := SynthUnseenJSON{Label: unseenLabel(u), OK: u.OK(), Incomplete: u.Incomplete, Estimate: u.Estimate, Summary: SynthUnseenSummary(u), Working: u.Working, Failed: u.Failed,
			FailedAllowed:    texts(u.FailedAllowed, synthFailedAllowed),
			FailedServedPort: u.FailedServedPort, FailedViaResponse: texts(u.FailedViaResponse, synthFailedViaResponse), Exempt: u.Exempt}
		ju.Denied, ju.Restricted = synthDenialsJSON(u.Denied, u.Files), synthDenialsJSON(u.Restricted, u.Files)
		j.Unseen = append(j.Unseen, ju)
	}
}

// synthDenialsJSON converts denied conversations of unseen data (never nil).
func synthDenialsJSON(ds []synth.UnseenDenial, files []string) []SynthUnseenDenialJSON {
	out := make([]SynthUnseenDenialJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, SynthUnseenDenialJSON{ID: d.Conv.ID, Label: synthConvLabel(&d.Conv), Leg: synthLeg(d.Response), Direction: d.Direction.String(), Rule: d.Rule,
			Reason: string(d.Reason), Packets: d.Packets, First: FrameJSON{File: fileAt(files, d.First.File), Frame: d.First.Frame}})
	}
	return out
}

// fileAt names file i of files, or "#i" when the caller gave no name.
func fileAt(files []string, i int) string {
	if i >= 0 && i < len(files) {
		return files[i]
	}
	return "#" + strconv.Itoa(i)
}
