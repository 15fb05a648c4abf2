package render

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/lint"
	"github.com/flowverify/flowverify/nacl/replay"
)

// SARIF 2.1.0 output (--format sarif) of lint, check and diff: one run
// whose results sit on the NACL rule lines they are about (nacl.Entry.Pos),
// so that code-scanning UIs annotate the offending rule. The document is
// validated against the OASIS schema in the tests (from ../shared/schemas,
// with structural checks only when it is absent).

// sarifSchemaURI is the OASIS SARIF 2.1.0 (errata 01) schema.
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// sarifInfoURI is the tool's home, shown by code-scanning UIs.
const sarifInfoURI = "https://github.com/flowverify/flowverify"

// SARIFRun is what a SARIF document says about the run besides its
// results: the tool version and the problems met reading the input.
type SARIFRun struct {
	// Version is the flowverify version (flowverify --version).
	Version string
	// Errors and Warnings are input problems ("FILE: frame N (offset X): reason").
	Errors, Warnings []string
	// Incomplete is true when some input was not read to its end; the
	// run's executionSuccessful is then false.
	Incomplete bool
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	DefaultConfiguration sarifConfig  `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

// sarifRuleInfo describes the SARIF rules (kinds of result) flowverify
// reports: lint's finding codes and the verdicts of check and diff.
var sarifRuleInfo = map[string]struct{ level, text string }{
	string(lint.CodeEmptyMatch):    {"error", "The rule matches no packet at all."},
	string(lint.CodeUnreachable):   {"warning", "Earlier rules together take every packet the rule matches: it never applies."},
	string(lint.CodeRedundant):     {"note", "Removing the rule changes no verdict."},
	string(lint.CodePartial):       {"warning", "An earlier rule of the opposite action takes part of the rule's packets."},
	string(lint.CodeQuota):         {"warning", "More than 20 entries in one direction and address family (the default AWS quota)."},
	string(lint.CodeQuotaHard):     {"error", "More than 40 entries in one direction and address family: AWS refuses them."},
	string(lint.CodeNoReturnPath):  {"warning", "Allowed requests whose replies are denied for every client ephemeral profile."},
	string(lint.CodeNarrowEphem):   {"warning", "Replies are allowed for some client ephemeral port ranges only."},
	string(lint.CodeNoPMTUD):       {"warning", "ICMP fragmentation-needed / packet-too-big is denied inbound: path MTU discovery breaks."},
	string(lint.CodeIncomplete):    {"note", "The analysis could not be completed for this direction and family."},
	string(lint.CodeDuplicateRule): {"error", "Two entries share a rule number in one direction: AWS refuses the second."},
	string(lint.CodeIgnoredICMP):   {"note", "ICMP type/code given where AWS ignores them."},
	"denied-breakage":              {"error", "Captured traffic the NACL denies that looks like breakage (a fix is proposed)."},
	"denied-unclear":               {"warning", "Captured traffic the NACL denies whose intent is unclear."},
	"denied-intended":              {"note", "Captured traffic the NACL denies on purpose (an explicit deny, a scan, a refused connection)."},
	"denied":                       {"warning", "Captured traffic the NACL denies."},
	"newly-denied":                 {"error", "Captured traffic the old NACL allows and the new NACL denies."},
	"newly-allowed":                {"note", "Captured traffic the old NACL denies and the new NACL allows."},
}

// sarifBuilder collects results and the rules they use.
type sarifBuilder struct {
	results []sarifResult
}

func (b *sarifBuilder) add(r sarifResult) { b.results = append(b.results, r) }

// write sorts nothing (callers add results in a deterministic order),
// numbers the rules used by ID and prints the document.
func (b *sarifBuilder) write(w io.Writer, run SARIFRun) error {
	var ids []string
	for _, r := range b.results {
		if !slices.Contains(ids, r.RuleID) {
			ids = append(ids, r.RuleID)
		}
	}
	slices.Sort(ids)
	rules := make([]sarifRule, len(ids))
	for i, id := range ids {
		info, ok := sarifRuleInfo[id]
		if !ok {
			info.level, info.text = "warning", id
		}
		rules[i] = sarifRule{ID: id, ShortDescription: sarifMessage{info.text}, DefaultConfiguration: sarifConfig{info.level}}
	}
	results := b.results
	if results == nil {
		results = []sarifResult{}
	}
	for i := range results {
		results[i].RuleIndex, _ = slices.BinarySearch(ids, results[i].RuleID)
	}
	inv := sarifInvocation{ExecutionSuccessful: !run.Incomplete}
	for _, e := range run.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{"error", sarifMessage{e}})
	}
	for _, e := range run.Warnings {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{"warning", sarifMessage{e}})
	}
	doc := sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{{
		Tool:        sarifTool{Driver: sarifDriver{Name: "flowverify", Version: run.Version, InformationURI: sarifInfoURI, Rules: rules}},
		Invocations: []sarifInvocation{inv},
		Results:     results,
	}}}
	return WriteJSON(w, doc)
}

// sarifURI turns a file name as the user gave it into a URI reference:
// relative paths stay relative (code-scanning UIs resolve them against
// the repository root), absolute ones become file:// URIs. Standard
// input ("-") and unknown files have none.
func sarifURI(file string) string {
	if file == "" || file == "-" {
		return ""
	}
	p := filepath.ToSlash(file)
	if filepath.IsAbs(file) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // C:/x -> /C:/x
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
}

// sarifLocations places a result at pos (the rule's line, or only its
// file when the line is unknown), with logical as the NACL element it is
// about; the JSON/Terraform path of pos is added as a second logical name.
func sarifLocations(pos nacl.Pos, logical string) []sarifLocation {
	loc := sarifLocation{}
	if uri := sarifURI(pos.File); uri != "" {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}
		if pos.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: pos.Line, StartColumn: pos.Col}
		}
	}
	if logical != "" {
		loc.LogicalLocations = append(loc.LogicalLocations, sarifLogical{FullyQualifiedName: logical, Kind: "element"})
	}
	if pos.Path != "" {
		loc.LogicalLocations = append(loc.LogicalLocations, sarifLogical{FullyQualifiedName: pos.Path, Kind: "element"})
	}
	if loc.PhysicalLocation == nil && loc.LogicalLocations == nil {
		return nil
	}
	return []sarifLocation{loc}
}

// sarifLevel maps a lint severity to a SARIF level.
func sarifLevel(s nacl.Severity) string {
	switch s {
	case nacl.SevError:
		return "error"
	case nacl.SevWarning:
		return "warning"
	}
	return "note"
}

// ruleLogical names a rule of an ACL: "acl-0123/inbound/130".
func ruleLogical(acl string, dir nacl.Direction, rule int) string {
	s := acl + "/" + dir.String()
	if rule > 0 {
		s += "/" + lintRuleText(rule)
	}
	return s
}

// WriteSARIF prints the lint findings as a SARIF 2.1.0 document: one
// result per finding, at the rule's line (the ACL's when the finding is
// about a whole direction).
func (doc *Lint) WriteSARIF(w io.Writer, run SARIFRun) error {
	var b sarifBuilder
	for _, a := range doc.ACLs {
		for _, f := range a.Findings {
			pos := f.Pos
			if pos.File == "" && pos.Line == 0 {
				pos = a.Pos
			}
			msg := sentenceEnd(f.Message)
			if f.Fix != "" {
				msg += " Fix: " + sentenceEnd(f.Fix)
			}
			props := map[string]any{"acl": a.ID, "direction": f.Direction.String(), "family": f.Family(), "severity": string(f.Severity)}
			if f.Rule > 0 {
				props["rule"] = f.Rule
			}
			if len(f.Related) > 0 {
				props["related"] = f.Related
			}
			b.add(sarifResult{RuleID: string(f.Code), Level: sarifLevel(f.Severity), Message: sarifMessage{msg},
				Locations: sarifLocations(pos, ruleLogical(a.ID, f.Direction, f.Rule)), Properties: props})
		}
	}
	return b.write(w, run)
}

// sentenceEnd ends s with a full stop unless it ends with punctuation.
func sentenceEnd(s string) string {
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?)") {
		return s
	}
	return s + "."
}

// upperFirstRune capitalises the first letter of an ASCII word.
func upperFirstRune(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// checkPos is where the rule of a check was read from: its entry, or the
// ACL for the default rule.
func checkPos(c *replay.Check) nacl.Pos {
	if c.ACLRef == nil {
		return nacl.Pos{}
	}
	if c.Entry >= 0 && c.Entry < len(c.ACLRef.Entries) {
		return c.ACLRef.Entries[c.Entry].Pos
	}
	return c.ACLRef.Pos
}

// sarifGroup gathers the conversations one rule denies (or newly denies,
// or newly allows) into one result, so that a rule line gets one
// annotation however many conversations it concerns.
type sarifGroup struct {
	ruleID   string
	check    replay.Check
	convs    []int
	sentence string
	// why says why the example conversation got its class (check only).
	why       string
	uncertain bool
	fixes     []string
}

// sarifGroupKey identifies a group: the kind of result and the rule.
type sarifGroupKey struct {
	ruleID string
	acl    string
	subnet string
	dir    nacl.Direction
	rule   int
	entry  int
}

// sarifGroups keeps groups in the order they were first met.
type sarifGroups struct {
	order []*sarifGroup
	index map[sarifGroupKey]*sarifGroup
}

func (gs *sarifGroups) get(ruleID string, c *replay.Check) *sarifGroup {
	if gs.index == nil {
		gs.index = map[sarifGroupKey]*sarifGroup{}
	}
	k := sarifGroupKey{ruleID, c.ACL, c.SubnetID, c.Direction, c.Rule, c.Entry}
	g := gs.index[k]
	if g == nil {
		g = &sarifGroup{ruleID: ruleID, check: *c}
		gs.index[k] = g
		gs.order = append(gs.order, g)
	}
	return g
}

// addConv records conversation id in g (once).
func (g *sarifGroup) addConv(id int, sentence string, uncertain bool) {
	if n := len(g.convs); n == 0 || g.convs[n-1] != id {
		g.convs = append(g.convs, id)
	}
	if g.sentence == "" {
		g.sentence = sentence
	}
	g.uncertain = g.uncertain || uncertain
}

// sarifMaxIDs bounds the conversation IDs listed in one result.
const sarifMaxIDs = 20

// result turns a group into a SARIF result whose message starts with head.
func (g *sarifGroup) result(head string) sarifResult {
	n := len(g.convs)
	msg := head + " " + CheckPhrase(&g.check) + ": " + strconv.Itoa(n) + " conversation"
	if n != 1 {
		msg += "s"
	}
	ids := g.convs
	if len(ids) > sarifMaxIDs {
		ids = ids[:sarifMaxIDs]
	}
	idText := make([]string, len(ids))
	for i, id := range ids {
		idText[i] = "#" + strconv.Itoa(id)
	}
	msg += " (" + strings.Join(idText, ", ")
	if len(ids) < n {
		msg += fmt.Sprintf(", and %d more", n-len(ids))
	}
	msg += ")."
	if g.sentence != "" {
		msg += " For example: " + sentenceEnd(g.sentence)
		if g.why != "" {
			msg += " " + upperFirstRune(strings.TrimPrefix(g.ruleID, "denied-")) + ": " + sentenceEnd(g.why)
		}
	}
	if g.uncertain {
		msg += " Uncertain: some packets are non-first fragments whose ports are unknown."
	}
	if len(g.fixes) > 0 {
		msg += " Fix, proved by replaying the capture: " + strings.Join(g.fixes, "; ") + "."
	}
	props := map[string]any{"acl": g.check.ACL, "direction": g.check.Direction.String(), "rule": g.check.Rule, "conversations": ids}
	if g.check.SubnetID != "" {
		props["subnet"] = g.check.SubnetID
	}
	return sarifResult{RuleID: g.ruleID, Level: sarifRuleInfo[g.ruleID].level, Message: sarifMessage{msg},
		Locations: sarifLocations(checkPos(&g.check), ruleLogical(g.check.ACL, g.check.Direction, g.check.Rule)), Properties: props}
}

// WriteSARIF prints the check report as a SARIF 2.1.0 document: one
// result per denying rule and class of denial (breakage: error, unclear:
// warning, intended: note), at the rule's line, naming the conversations,
// one of them in a sentence, and the fix when its replay proof passed.
func (o *Check) WriteSARIF(w io.Writer, run SARIFRun) error {
	rep := o.Report
	o.Report = nil
	proved := rep.Proof != nil && rep.Proof.Checked && rep.Proof.Passed
	var gs sarifGroups
	pc := phraseCache{}
	err := rep.EachAffected(func(cr *replay.ConvResult) error {
		ruleID := "denied"
		if cr.Class.Class != "" {
			ruleID = "denied-" + string(cr.Class.Class)
		}
		for i := range cr.Denials {
			d := &cr.Denials[i]
			g := gs.get(ruleID, &d.Check)
			g.addConv(cr.Conv.ID, sentence(cr.Conv, d, pc), d.Uncertain())
			if g.why == "" {
				g.why = ClassDetail(cr.Class, cr.Conv)
			}
			if !proved {
				continue
			}
			for _, fi := range cr.Fixes {
				f := &rep.Fixes[fi]
				if f.ACL == d.Check.ACL && f.Direction == d.Check.Direction && f.Blocking == d.Check.Rule && !slices.Contains(g.fixes, f.Line) {
					g.fixes = append(g.fixes, f.Line)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var b sarifBuilder
	for _, g := range sarifSortGroups(gs.order) {
		slices.Sort(g.fixes)
		b.add(g.result("Denied"))
	}
	return b.write(w, run)
}

// sarifSortGroups orders groups by kind, ACL, direction and rule number.
func sarifSortGroups(gs []*sarifGroup) []*sarifGroup {
	slices.SortStableFunc(gs, func(a, b *sarifGroup) int {
		return cmp.Or(cmp.Compare(a.ruleID, b.ruleID), cmp.Compare(a.check.ACL, b.check.ACL), cmp.Compare(a.check.SubnetID, b.check.SubnetID),
			cmp.Compare(a.check.Direction, b.check.Direction), cmp.Compare(a.check.Rule, b.check.Rule))
	})
	return gs
}

// WriteSARIF prints the diff as a SARIF 2.1.0 document: one result per
// rule of the new NACL that newly denies captured traffic (error) or
// newly allows it (note), at that rule's line in the new NACL.
func (v *Diff) WriteSARIF(w io.Writer, run SARIFRun) error {
	var gs sarifGroups
	for i := range v.Diff.Changes {
		c := &v.Diff.Changes[i]
		if c.Kind == replay.NewlyDenied {
			if c.Denial != nil {
				gs.get("newly-denied", &c.Denial.Check).addConv(c.Conv.ID, v.explanation(c), c.Denial.Uncertain())
			} else if ch := decidingCheck(c.New, nacl.Deny); ch != nil {
				gs.get("newly-denied", ch).addConv(c.Conv.ID, "", false)
			}
			continue
		}
		if ch := newlyAllowingCheck(c); ch != nil {
			gs.get("newly-allowed", ch).addConv(c.Conv.ID, "", false)
		}
	}
	var b sarifBuilder
	for _, g := range sarifSortGroups(gs.order) {
		head := "Newly denied"
		if g.ruleID == "newly-allowed" {
			head = "Newly allowed"
		}
		b.add(g.result(head))
	}
	return b.write(w, run)
}

// decidingCheck returns the first check of cs with action a, nil if none.
func decidingCheck(cs []replay.Check, a nacl.Action) *replay.Check {
	for i := range cs {
		if cs[i].Action == a {
			return &cs[i]
		}
	}
	return nil
}

// newlyAllowingCheck is the new NACL's check that now allows what the old
// one denied: the check in the same place (outbound of the source, inbound
// of the destination) as the old denying one.
func newlyAllowingCheck(c *replay.Change) *replay.Check {
	for i := range c.Old {
		if c.Old[i].Action != nacl.Deny {
			continue
		}
		for j := range c.New {
			if c.New[j].Direction == c.Old[i].Direction && c.New[j].Action == nacl.Allow {
				return &c.New[j]
			}
		}
	}
	if len(c.New) > 0 {
		return &c.New[len(c.New)-1]
	}
	return nil
}
