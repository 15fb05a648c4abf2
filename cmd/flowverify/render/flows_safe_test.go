package render

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// TestRowPlainCoversEveryString: a batch of json, jsonl or csv rows is
// marked safe without being read only when it is. Every string of a
// conversation (found by reflection, so that a string field added later
// is covered too), the address zones and the file name are set in turn to
// ones a terminal would obey; each time, either the batch is not marked
// safe or its bytes hold nothing TermWriter would escape.
func TestRowPlainCoversEveryString(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	base := flows.Conversation{ID: 7, Proto: 6, Version: 4,
		Client: flows.Endpoint{Addr: netip.MustParseAddr("198.51.100.7"), Port: 40000},
		Server: flows.Endpoint{Addr: netip.MustParseAddr("10.0.1.10"), Port: 443},
		State:  flows.State("closed-fin"), Evidence: flows.Evidence("syn"), Confidence: flows.Confidence("certain"),
		ClientProfiles: []string{"linux", "aws-managed"}, HandshakeSeen: true,
		ToServer: flows.DirStats{Packets: 3, Bytes: 180, First: t0, Last: t0.Add(time.Second)},
		ToClient: flows.DirStats{Packets: 2, Bytes: 120, First: t0.Add(time.Millisecond), Last: t0.Add(time.Second)}}
	files := []capture.FileInfo{{Name: "a.pcap"}}
	format := func(c flows.Conversation, files []capture.FileInfo, format string) *flowsBatch {
		b := &flowsBatch{convs: []flows.Conversation{c}, f: newFlowsFormat(files, false)}
		b.format(format, true)
		return b
	}
	for _, f := range []string{"jsonl", "json", "csv"} {
		if b := format(base, files, f); !b.safe {
			t.Fatalf("%s: a plain row is not marked safe:\n%s", f, b.out)
		}
	}
	bad := []string{"\x1b]0;owned\x07", "a\u202eb", "\x7f", "\xc2\x9b2J", "\xff"}
	caught := 0
	check := func(what string, c flows.Conversation, files []capture.FileInfo) {
		for _, f := range []string{"jsonl", "json", "csv"} {
			b := format(c, files, f)
			unsafe := safePrefix(b.out) != len(b.out)
			if b.safe && unsafe {
				t.Errorf("%s, %s: marked safe but holds bytes to escape:\n%q", what, f, b.out)
			}
			if unsafe {
				caught++
			}
		}
	}
	// Every string in the conversation, by reflection.
	var walk func(path string, v reflect.Value, set func())
	n := 0
	walk = func(path string, v reflect.Value, set func()) {
		switch v.Kind() {
		case reflect.String:
			if !v.CanSet() {
				return
			}
			for _, s := range bad {
				old := v.String()
				v.SetString(s)
				set()
				v.SetString(old)
			}
			n++
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(path+"."+v.Type().Field(i).Name, v.Field(i), set)
				}
			}
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.String && v.CanSet() {
				old := v.Interface()
				for _, s := range bad {
					v.Set(reflect.ValueOf([]string{"linux", s}).Convert(v.Type()))
					set()
				}
				v.Set(reflect.ValueOf(old))
				n++
			}
		}
	}
	c := base
	cv := reflect.ValueOf(&c).Elem()
	walk("Conversation", cv, func() { check("string field", c, files) })
	if n < 4 {
		t.Fatalf("found %d string fields in flows.Conversation, want at least 4 (state, evidence, confidence, profiles)", n)
	}
	// Address zones and file names.
	for _, s := range bad {
		z := base
		z.Client.Addr = netip.MustParseAddr("fe80::1").WithZone(s)
		check("client zone", z, files)
		z = base
		z.Server.Addr = netip.MustParseAddr("fe80::1").WithZone(s)
		check("server zone", z, files)
		check("file name", base, []capture.FileInfo{{Name: s}})
	}
	if caught == 0 {
		t.Fatal("no bad string reached the output: the test proves nothing")
	}
}
