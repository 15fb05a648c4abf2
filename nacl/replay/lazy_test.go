package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

// renderAll renders a report in every conversation format.
func renderAll(t *testing.T, r *Report, topo *Topology) string {
	t.Helper()
	o := &RenderOptions{Files: []string{"capture.pcap"}}
	var b bytes.Buffer
	if err := o.WriteText(&b, r, topo); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteReportJSON(&b, r, topo, nil); err != nil {
		t.Fatal(err)
	}
	for _, row := range o.ConvCSVRows(r) {
		fmt.Fprintln(&b, row)
	}
	return b.String()
}

// TestSummarizeMatchesBuildReport checks on every sample that the
// streaming report (Classify, Summarize, conversations rebuilt on demand)
// renders byte for byte what the materialised one does, that
// WriteReportJSON writes what encoding ReportJSON does, and that Compare
// agrees on both.
func TestSummarizeMatchesBuildReport(t *testing.T) {
	for _, s := range pcaps.Samples {
		t.Run(s.File, func(t *testing.T) {
			j := sampleJudge(t, s)
			full := BuildReport(j, recordSample(t, s.File))
			rec := NewRecorder(flows.DefaultConfig(), Window{})
			readAll(t, s.File, func(p *capture.Packet) { rec.Add(p) })
			lazyRec := rec.Classify()
			lazy := Summarize(j, lazyRec)
			topo := j.Topology()
			if got, want := renderAll(t, lazy, topo), renderAll(t, full, topo); got != want {
				t.Errorf("streaming report differs:\n%s\nwant:\n%s", got, want)
			}
			var enc bytes.Buffer
			e := json.NewEncoder(&enc)
			e.SetIndent("", "  ")
			e.SetEscapeHTML(false)
			o := &RenderOptions{Files: []string{"capture.pcap"}}
			if err := e.Encode(o.ReportJSON(full, topo)); err != nil {
				t.Fatal(err)
			}
			var streamed bytes.Buffer
			if err := o.WriteReportJSON(&streamed, full, topo, nil); err != nil {
				t.Fatal(err)
			}
			if streamed.String() != enc.String() {
				t.Errorf("WriteReportJSON differs from ReportJSON:\n%s\nwant:\n%s", streamed.String(), enc.String())
			}
			// A stricter NACL: deny everything but SSH, so that legs change.
			strict := &nacl.ACL{ID: "acl-strict", Entries: []nacl.Entry{ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 22, 22),
				ent(t, "out", 100, nacl.Allow, 6, "0.0.0.0/0", 1024, 65535)}}
			sj := mustJudge(t, simple(t, strict, "10.0.1.0/24"))
			fd, err := Compare(full, BuildReport(sj, recordSample(t, s.File)))
			if err != nil {
				t.Fatal(err)
			}
			ld, err := Compare(lazy, Summarize(sj, lazyRec))
			if err != nil {
				t.Fatal(err)
			}
			if len(fd.Changes) != len(ld.Changes) || fd.NewlyDenied != ld.NewlyDenied || fd.NewlyAllowed != ld.NewlyAllowed ||
				fd.PacketsNewlyDenied != ld.PacketsNewlyDenied || fd.PacketsNewlyAllowed != ld.PacketsNewlyAllowed {
				t.Fatalf("diffs differ: %d/%d changes", len(ld.Changes), len(fd.Changes))
			}
			t.Logf("%d changes", len(fd.Changes))
			for i := range fd.Changes {
				a, b := fd.Changes[i], ld.Changes[i]
				if a.Conv.ID != b.Conv.ID || a.Role != b.Role || a.Kind != b.Kind || a.Packets != b.Packets || a.FirstFrame != b.FirstFrame ||
					a.Explanation != b.Explanation || ChecksText(a.New, true) != ChecksText(b.New, true) || a.Conv.Client != b.Conv.Client {
					t.Errorf("change %d: %+v, want %+v", i, b, a)
				}
			}
		})
	}
}

// TestPacketWriterTimeCache checks that the cached seconds of
// PacketWriter.appendTime format exactly like RenderOptions.appendTime.
func TestPacketWriterTimeCache(t *testing.T) {
	o := &RenderOptions{FileNano: []bool{false, true}}
	w := NewPacketWriter(o)
	base := time.Date(2026, 5, 1, 12, 0, 59, 999_999_999, time.FixedZone("x", 3600))
	for i, d := range []time.Duration{0, time.Nanosecond, time.Microsecond, 999 * time.Millisecond, time.Second, -time.Hour, 0, 24 * time.Hour * 365 * 200} {
		for file := range 2 {
			p := &capture.Packet{File: file, Time: base.Add(d)}
			got, want := string(w.appendTime(nil, p)), string(o.appendTime(nil, p))
			if got != want {
				t.Errorf("case %d file %d: %s, want %s", i, file, got, want)
			}
		}
	}
}
