package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/pcaps"
)

// diffChangeJSON is one change as the reference encodes it (encoding/json).
type diffChangeJSON struct {
	Conversation int          `json:"conversation"`
	Proto        string       `json:"proto"`
	Client       EndpointJSON `json:"client"`
	Server       EndpointJSON `json:"server"`
	Leg          string       `json:"leg"`
	Change       string       `json:"change"`
	Packets      uint64       `json:"packets"`
	First        string       `json:"first"`
	FirstFrame   FrameJSON    `json:"first_frame"`
	OldVerdict   string       `json:"old_verdict"`
	NewVerdict   string       `json:"new_verdict"`
	OldChecks    []CheckJSON  `json:"old_checks"`
	NewChecks    []CheckJSON  `json:"new_checks"`
	Explanation  string       `json:"explanation,omitempty"`
}

// diffDocument is the reference of the json document.
type diffDocument struct {
	Old      string           `json:"old"`
	New      string           `json:"new"`
	Complete bool             `json:"complete"`
	Files    []FileJSON       `json:"files"`
	Summary  diffSummaryJSON  `json:"summary"`
	ByRule   []diffRuleJSON   `json:"by_rule"`
	Changes  []diffChangeJSON `json:"changes"`
	Notes    []string         `json:"notes"`
}

// changeJSON is the reference form of one change.
func (v *Diff) changeJSON(c *replay.Change) diffChangeJSON {
	cj := NewConvJSONEndpoints(c.Conv)
	return diffChangeJSON{Conversation: c.Conv.ID, Proto: flows.ProtoName(c.Conv.Proto),
		Client: cj[0], Server: cj[1], Leg: string(c.Role), Change: string(c.Kind), Packets: c.Packets, First: v.Options.FormatTime(c.First),
		FirstFrame: FrameJSON{File: v.Options.file(c.FirstFrame.File), Frame: c.FirstFrame.Frame},
		OldVerdict: string(c.OldVerdict), NewVerdict: string(c.NewVerdict),
		OldChecks: ChecksJSON(c.Old), NewChecks: ChecksJSON(c.New), Explanation: v.explanation(c)}
}

// document is the reference of the json document, built whole.
func (v *Diff) document() diffDocument {
	doc := diffDocument{Old: v.OldName, New: v.NewName, Complete: v.Options.complete(), Files: v.Options.filesJSON(), Summary: v.summary(),
		ByRule: v.byRule(), Changes: []diffChangeJSON{}, Notes: v.allNotes()}
	for _, c := range v.changes() {
		doc.Changes = append(doc.Changes, v.changeJSON(c))
	}
	return doc
}

// TestDiffJSONFast: the diff's json document and jsonl lines are, byte
// for byte, what encoding/json writes for the reference shapes, on every
// sample diffed against an allow-all and a strict NACL both ways round
// (microsecond and nanosecond times, a file name that needs escaping).
func TestDiffJSONFast(t *testing.T) {
	cidrs := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("2001:db8:10:1::/64")}
	simple := func(acl *nacl.ACL) *replay.Topology {
		tp, err := replay.SimpleTopology(acl, cidrs, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")})
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	entry := func(dir nacl.Direction, proto int, cidr string, from, to uint16) nacl.Entry {
		return nacl.Entry{RuleNumber: 100, Direction: dir, Action: nacl.Allow, Protocol: proto, CIDR: netip.MustParsePrefix(cidr),
			Ports: nacl.PortRange{From: from, To: to}, ICMPType: -1, ICMPCode: -1}
	}
	allowAll := simple(&nacl.ACL{ID: "acl-all", Entries: []nacl.Entry{entry(nacl.Ingress, -1, "0.0.0.0/0", 0, 0), entry(nacl.Egress, -1, "0.0.0.0/0", 0, 0)}})
	strict := simple(&nacl.ACL{ID: "acl-strict", Entries: []nacl.Entry{entry(nacl.Ingress, 6, "0.0.0.0/0", 22, 22), entry(nacl.Egress, 6, "0.0.0.0/0", 1024, 65535)}})
	changes, explained, empty := 0, 0, 0
	for _, s := range pcaps.Samples {
		rec := record(t, s.File).Classify()
		sample := sampleJudge(t, s).Topology()
		for _, p := range [][2]*replay.Topology{{sample, allowAll}, {allowAll, sample}, {sample, strict}, {strict, sample}, {sample, sample}} {
			d, err := replay.CompareTopologies(p[0], p[1], rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, nano := range []bool{false, true} {
				v := &Diff{Options: &Options{Files: []string{"a<b>&\"c\".pcap"}, Nano: nano}, Diff: d, OldName: "old \"x\".nacl", NewName: "new.nacl"}
				var want, got bytes.Buffer
				if err := WriteJSON(&want, v.document()); err != nil {
					t.Fatal(err)
				}
				if err := v.WriteJSON(&got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("%s: json document:\n got %s\nwant %s", s.File, got.Bytes(), want.Bytes())
				}
				want.Reset()
				got.Reset()
				jl := json.NewEncoder(&want)
				jl.SetEscapeHTML(false)
				for _, c := range v.changes() {
					if err := jl.Encode(v.changeJSON(c)); err != nil {
						t.Fatal(err)
					}
					changes++
					if v.explanation(c) != "" {
						explained++
					}
				}
				if err := v.WriteJSONL(&got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("%s: jsonl:\n got %s\nwant %s", s.File, got.Bytes(), want.Bytes())
				}
				if len(d.Changes) == 0 {
					empty++
				}
			}
		}
	}
	if changes == 0 || explained == 0 || empty == 0 {
		t.Errorf("%d changes compared, %d with an explanation, %d empty diffs: every case should occur", changes, explained, empty)
	}
}
