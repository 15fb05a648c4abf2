package render

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/pcaps"
)

// checkConvJSONEqual compares appendCheckConvJSON with encoding/json
// (SetEscapeHTML(false), as --format jsonl writes) on cr.
func checkConvJSONEqual(t *testing.T, o *Options, cr *replay.ConvResult) {
	t.Helper()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o.CheckConvJSON(cr)); err != nil {
		t.Fatal(err)
	}
	if got := append(o.appendCheckConvJSON(nil, cr), '\n'); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("conversation %d:\n got %s\nwant %s", cr.Conv.ID, got, want.Bytes())
	}
	// The json document's form: indented as json.Indent indents it.
	var wantIndent bytes.Buffer
	if err := json.Indent(&wantIndent, bytes.TrimSuffix(want.Bytes(), []byte("\n")), "    ", "  "); err != nil {
		t.Fatal(err)
	}
	if got := o.appendCheckConvJSONIndented(nil, cr); !bytes.Equal(got, wantIndent.Bytes()) {
		t.Fatalf("conversation %d indented:\n got %s\nwant %s", cr.Conv.ID, got, wantIndent.Bytes())
	}
}

// TestCheckConvJSONFast: the fast encoder of check's JSON conversations
// writes what encoding/json writes, on every sample (microsecond and
// nanosecond times) and on a conversation whose strings need escaping.
func TestCheckConvJSONFast(t *testing.T) {
	n := 0
	for _, s := range pcaps.Samples {
		j := sampleJudge(t, s)
		convs := judgedConvs(t, j, s.File)
		for _, nano := range []bool{false, true} {
			o := &Options{Files: []string{"a<b>&\"c\".pcap"}, Nano: nano}
			for _, cr := range convs {
				checkConvJSONEqual(t, o, cr)
				n++
			}
		}
		for _, cr := range convs {
			if len(cr.Request.Checks) == 0 {
				continue
			}
			odd := *cr
			odd.Status = "weird \"status\" <&> \u2028 \x01 é"
			odd.Request.Reason = "tab\there"
			odd.Request.Checks = append([]replay.Check(nil), cr.Request.Checks...)
			odd.Request.Checks[0].ACL = "acl-<0>\\\u00e9"
			odd.Request.Checks[0].SubnetID = "subnet \"x\""
			odd.Request.Checks[0].Uncertain = true
			odd.Response.Verdict = ""
			odd.Response.FirstDenied = time.Date(12000, 1, 1, 0, 0, 0, 5, time.UTC)
			odd.Fixes = []int{3, 1}
			// A class without a rule (rule and acl omitted), then one
			// whose rule's ACL needs escaping.
			odd.Class = replay.Classification{Class: "weird <class>", Cause: replay.CauseExplicitDeny}
			checkConvJSONEqual(t, &Options{}, &odd)
			odd.Class.Cause, odd.Class.Check = replay.CauseHandshake, &odd.Request.Checks[0]
			checkConvJSONEqual(t, &Options{}, &odd)
			n += 2
			break
		}
	}
	if n == 0 {
		t.Fatal("no conversation compared")
	}
}

// BenchmarkCheckConvJSON compares the fast encoder with encoding/json.
func BenchmarkCheckConvJSON(b *testing.B) {
	t := &testing.T{}
	s := pcaps.Samples[0]
	convs := judgedConvs(t, sampleJudge(t, s), s.File)
	o := &Options{Files: []string{"capture.pcap"}}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			for _, cr := range convs {
				buf = o.appendCheckConvJSON(buf[:0], cr)
			}
		}
	})
	b.Run("fast-indented", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			for _, cr := range convs {
				buf = o.appendCheckConvJSONIndented(buf[:0], cr)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			for _, cr := range convs {
				buf.Reset()
				enc.Encode(o.CheckConvJSON(cr))
			}
		}
	})
}

// judgedConvs replays a sample against j and returns every conversation's
// result, copied out of the streaming report.
func judgedConvs(t *testing.T, j *replay.Judge, file string) []*replay.ConvResult {
	var convs []*replay.ConvResult
	if err := replay.Summarize(j, record(t, file).Classify()).EachConversation(func(cr *replay.ConvResult) error {
		c, cc := *cr, *cr.Conv
		c.Conv = &cc
		c.Denials = append([]replay.Denial(nil), cr.Denials...)
		c.Fixes = append([]int(nil), cr.Fixes...)
		convs = append(convs, &c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return convs
}

// appendCount writes what strconv.AppendUint writes, around its one-byte
// fast path and beyond.
func TestAppendCount(t *testing.T) {
	for _, n := range []uint64{0, 1, 9, 10, 11, 99, 100, 12345, 1<<64 - 1} {
		if got, want := string(appendCount([]byte("x"), n)), string(strconv.AppendUint([]byte("x"), n, 10)); got != want {
			t.Errorf("appendCount(%d) = %q, want %q", n, got, want)
		}
	}
}
