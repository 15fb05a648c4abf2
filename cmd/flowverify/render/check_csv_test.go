package render

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/pcaps"
)

// eachCheckCSVRowRef is the reference of WriteCheckCSV's records: the
// fields of every listed conversation as strings, for encoding/csv.
func (o *Options) eachCheckCSVRowRef(r *replay.Report, fn func([]string) error) error {
	return o.eachListed(r, func(cr *replay.ConvResult) error { return fn(o.checkCSVRowRef(r, cr)) })
}

// checkCSVRowRef returns the fields of one conversation's record.
func (o *Options) checkCSVRowRef(r *replay.Report, cr *replay.ConvResult) []string {
	c := cr.Conv
	cp, sp := "", ""
	if c.HasPorts() {
		cp, sp = strconv.Itoa(int(c.Client.Port)), strconv.Itoa(int(c.Server.Port))
	}
	var fd, ff, fr string
	for _, l := range []*replay.Leg{&cr.Request, &cr.Response} {
		if l.Denied > 0 && (fd == "" || o.FormatTime(l.FirstDenied) < fd) {
			fd, ff, fr = o.FormatTime(l.FirstDenied), o.file(l.FirstDeniedFrame.File), strconv.FormatInt(l.FirstDeniedFrame.Frame, 10)
		}
	}
	var fixes []string
	for _, i := range cr.Fixes {
		fixes = append(fixes, r.Fixes[i].Line)
	}
	legV := func(l *replay.Leg) string {
		if l.Verdict == "" {
			return "none"
		}
		return string(l.Verdict)
	}
	return []string{strconv.Itoa(c.ID), flows.ProtoName(c.Proto), c.Client.Addr.String(), cp, c.Server.Addr.String(), sp,
		string(c.State), string(cr.Status),
		legV(&cr.Request), ChecksText(cr.Request.Checks, true), u64(cr.Request.Packets), u64(cr.Request.Denied),
		legV(&cr.Response), ChecksText(cr.Response.Checks, true), u64(cr.Response.Packets), u64(cr.Response.Denied),
		fd, ff, fr, strings.Join(o.sentences(cr), " | "), strings.Join(fixes, " | "), string(cr.Class.Class), string(cr.Class.Cause)}
}

// csvRef is what encoding/csv writes for the records.
func csvRef(t *testing.T, records ...[]string) string {
	t.Helper()
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	if err := cw.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCSVField: the field quoting is encoding/csv's, on every kind of
// field that must or must not be quoted.
func TestCSVField(t *testing.T) {
	fields := []string{"", "plain", "a,b", `say "hi"`, "line\nbreak", "cr\rhere", `\.`, `\.x`, " lead", "\tlead", "\u00a0nbsp", "\u2028ls",
		"trail ", "é", "x\u00a0", `"`, ",", strings.Repeat("long, \"quoted\" ", 40), "in 100 allow tcp 1024-65535 0.0.0.0/0"}
	for _, f := range fields {
		got := string(appendCSVField(nil, f)) + "\n"
		if want := csvRef(t, []string{f}); got != want {
			t.Errorf("field %q: got %q, want %q", f, got, want)
		}
	}
	// Several fields: the comma between them.
	var b []byte
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, f)
	}
	if got, want := string(b)+"\n", csvRef(t, fields); got != want {
		t.Errorf("record: got %q, want %q", got, want)
	}
}

// TestCheckCSVFast: WriteCheckCSV writes what encoding/csv writes for the
// reference records, on every sample (microsecond and nanosecond times,
// a file name that must be quoted) and on conversations whose strings
// need quoting.
func TestCheckCSVFast(t *testing.T) {
	n := 0
	for _, s := range pcaps.Samples {
		j := sampleJudge(t, s)
		convs := judgedConvs(t, j, s.File)
		r := &replay.Report{Fixes: []replay.Fix{{Line: "in 100 allow tcp 1024-65535 0.0.0.0/0"}, {Line: `out 90 allow "x", y`}}}
		for _, nano := range []bool{false, true} {
			o := &Options{Files: []string{"a, \"b\".pcap"}, Nano: nano}
			for _, cr := range convs {
				if len(cr.Fixes) > 0 {
					cr.Fixes = []int{0, 1}
				}
				checkCSVEqual(t, o, r, cr)
				n++
			}
		}
		for _, cr := range convs {
			odd := *cr
			odd.Status = "weird, \"status\""
			odd.Request.Checks = append([]replay.Check(nil), cr.Request.Checks...)
			if len(odd.Request.Checks) > 0 {
				odd.Request.Checks[0].ACL = " acl,\"x\""
				odd.Request.Checks[0].Uncertain = true
			}
			odd.Request.Denied, odd.Request.FirstDenied = 1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			odd.Response.Denied, odd.Response.FirstDenied = 2, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			odd.Response.FirstDeniedFrame = flows.FrameRef{File: 0, Frame: 42}
			odd.Response.Verdict = ""
			odd.Class = replay.Classification{Class: "unclear", Cause: "a\nb"}
			odd.Fixes = []int{1, 0}
			checkCSVEqual(t, &Options{Files: []string{"x.pcap"}}, r, &odd)
			// An empty time is replaced by the other leg's, as the reference does.
			odd.Request.FirstDenied = time.Time{}
			checkCSVEqual(t, &Options{Files: []string{"x.pcap"}}, r, &odd)
			n++
			break
		}
	}
	if n == 0 {
		t.Fatal("no conversation compared")
	}
}

// checkCSVEqual compares one conversation's fast record with encoding/csv.
func checkCSVEqual(t *testing.T, o *Options, r *replay.Report, cr *replay.ConvResult) {
	t.Helper()
	want := csvRef(t, o.checkCSVRowRef(r, cr))
	if got := string(o.appendCheckCSVRecord(nil, r, cr)); got != want {
		t.Fatalf("conversation %d:\n got %q\nwant %q", cr.Conv.ID, got, want)
	}
}
