package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/pcaps"
)

// sampleJudge returns a judge for a sample capture's NACL files.
func sampleJudge(t *testing.T, s pcaps.Sample) *replay.Judge {
	t.Helper()
	vpc := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}
	var aclPath, subnetsPath string
	for _, f := range s.ACLFiles {
		if strings.Contains(f, "subnets") {
			subnetsPath = pcaps.Path(f)
		} else {
			aclPath = pcaps.Path(f)
		}
	}
	file, err := aclfile.Read(aclPath, aclfile.FormatAuto)
	if err != nil {
		t.Fatalf("%s: %v", aclPath, err)
	}
	var topo *replay.Topology
	if subnetsPath != "" {
		infos, err := replay.ReadSubnets(subnetsPath)
		if err != nil {
			t.Fatal(err)
		}
		if topo, _, err = replay.VPCTopology(file.ACLs, infos, vpc); err != nil {
			t.Fatal(err)
		}
	} else {
		acl, err := file.Select("")
		if err != nil {
			t.Fatal(err)
		}
		cidrs := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("2001:db8:10:1::/64")}
		if topo, err = replay.SimpleTopology(acl, cidrs, vpc); err != nil {
			t.Fatal(err)
		}
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// record reads a sample into a recorder.
func record(t *testing.T, name string) *replay.Recorder {
	t.Helper()
	s, err := capture.Open([]string{pcaps.Path(name)}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := replay.NewRecorder(flows.DefaultConfig(), replay.Window{})
	var p capture.Packet
	for s.Next(&p) == nil {
		rec.Add(&p)
	}
	return rec
}

// renderAll renders a check report in every conversation format.
func renderAll(t *testing.T, r *replay.Report, topo *replay.Topology, table *CheckTable) string {
	t.Helper()
	o := &Options{Files: []string{"capture.pcap"}, Select: ConvSelect{All: true}}
	var b bytes.Buffer
	if err := o.WriteCheckText(&b, r, topo, table); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteCheckJSON(&b, r, topo, nil); err != nil {
		t.Fatal(err)
	}
	for _, row := range o.CheckCSVRows(r) {
		fmt.Fprintln(&b, row)
	}
	return b.String()
}

// TestCheckTableMeasuredWhileJudging checks on every sample that the
// report whose text table was measured while judging (SummarizeEach with
// CheckTable.Observe, the rows printed from the remembered cells) prints
// byte for byte what the same report prints when its rows are generated
// twice (measured, then printed), and that WriteCheckJSON writes what encoding
// CheckReportJSON does. (nacl/replay checks that the streaming report
// holds what its materialised reference does.)
func TestCheckTableMeasuredWhileJudging(t *testing.T) {
	for _, s := range pcaps.Samples {
		t.Run(s.File, func(t *testing.T) {
			j := sampleJudge(t, s)
			topo := j.Topology()
			rec := record(t, s.File).Classify()
			full := replay.Summarize(j, rec)
			table := NewCheckTable(topo, rec.NumConversations())
			lazy := replay.SummarizeEach(j, rec, table.Observe)
			want := renderAll(t, full, topo, nil)
			if !strings.Contains(want, "conversations\nID ") {
				t.Fatalf("no conversation table:\n%s", want)
			}
			if got := renderAll(t, lazy, topo, table); got != want {
				t.Errorf("table measured while judging differs:\n%s\nwant:\n%s", got, want)
			}
			var enc bytes.Buffer
			e := json.NewEncoder(&enc)
			e.SetIndent("", "  ")
			e.SetEscapeHTML(false)
			o := &Options{Files: []string{"capture.pcap"}}
			if err := e.Encode(o.CheckReportJSON(full, topo)); err != nil {
				t.Fatal(err)
			}
			var streamed bytes.Buffer
			if err := o.WriteCheckJSON(&streamed, full, topo, nil); err != nil {
				t.Fatal(err)
			}
			if streamed.String() != enc.String() {
				t.Errorf("WriteCheckJSON differs from CheckReportJSON:\n%s\nwant:\n%s", streamed.String(), enc.String())
			}
		})
	}
}

// The materialised references of the streaming writers.

// CheckReportJSON converts the report (the reference of WriteCheckJSON).
func (o *Options) CheckReportJSON(r *replay.Report, t *replay.Topology) CheckReportJSON {
	j := CheckReportJSON{Complete: o.complete(), Files: o.filesJSON(), Topology: NewTopologyJSON(t), Summary: o.CheckSummaryJSON(&r.Summary),
		Conversations: []CheckConvJSON{}, Fixes: []FixJSON{}, FixesJSON: o.fixesJSON(r), Broke: o.BrokeJSON(r), Rules: o.RulesJSON(r), Notes: o.checkNotes(r)}
	if j.Notes == nil {
		j.Notes = []string{}
	}
	_ = o.eachListed(r, func(cr *replay.ConvResult) error {
		j.Conversations = append(j.Conversations, o.CheckConvJSON(cr))
		return nil
	})
	for i := range r.Fixes {
		j.Fixes = append(j.Fixes, NewFixJSON(&r.Fixes[i]))
	}
	return j
}

// CheckCSVRows returns one row per conversation (see CheckCSVHeader).
func (o *Options) CheckCSVRows(r *replay.Report) [][]string {
	rows := make([][]string, 0, len(r.Conversations))
	_ = o.eachCheckCSVRowRef(r, func(row []string) error { rows = append(rows, row); return nil })
	return rows
}

// Past 65536 distinct verdict cells the table keeps only its widths and
// prints the rows by rebuilding them: the output must not change.
func TestCheckTableTooManyCells(t *testing.T) {
	s, _ := pcaps.Find("webserver.pcap")
	j := sampleJudge(t, s)
	topo := j.Topology()
	rec := record(t, s.File).Classify()
	table := NewCheckTable(topo, rec.NumConversations())
	rep := replay.SummarizeEach(j, rec, table.Observe)
	var want bytes.Buffer
	if err := (&Options{}).WriteCheckText(&want, rep, topo, table); err != nil {
		t.Fatal(err)
	}
	for i := 0; !table.noRows; i++ {
		table.cell([]byte(fmt.Sprint("cell ", i)))
	}
	var got bytes.Buffer
	if err := (&Options{}).WriteCheckText(&got, rep, topo, table); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() || table.rows != nil {
		t.Errorf("without remembered rows:\n%s\nwant:\n%s", got.String(), want.String())
	}
}
