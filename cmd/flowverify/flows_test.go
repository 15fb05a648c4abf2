package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"time"
)

func TestFlowsGoldenText(t *testing.T) {
	for _, s := range []string{"webserver.pcap", "ipv6.pcap", "any-sll2.pcap", "portscan.pcap"} {
		t.Run(s, func(t *testing.T) {
			out, errs, code := runCLI(t, nil, "flows", sample(s))
			if code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, errs)
			}
			checkGolden(t, "flows", strings.TrimSuffix(s, ".pcap")+".txt", out)
		})
	}
}

// TestFlowsJSONLFields checks the documented, stable jsonl fields and their types.
func TestFlowsJSONLFields(t *testing.T) {
	out, errs, code := runCLI(t, nil, "flows", "--format", "jsonl", sample("webserver.pcap"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	n, sawICMP, sawServer80 := 0, false, false
	for sc.Scan() {
		n++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		for _, f := range []string{"id", "proto", "client", "server", "evidence", "confidence", "client_profiles", "state", "first", "last", "first_frame", "to_server", "to_client"} {
			if _, ok := m[f]; !ok {
				t.Errorf("line %d: field %q missing", n, f)
			}
		}
		if int(m["id"].(float64)) != n {
			t.Errorf("line %d: id %v, want ids in order from 1", n, m["id"])
		}
		for _, ts := range []string{"first", "last"} {
			if _, err := time.Parse(time.RFC3339Nano, m[ts].(string)); err != nil || !strings.HasSuffix(m[ts].(string), "Z") {
				t.Errorf("line %d: %s %q is not RFC 3339 UTC", n, ts, m[ts])
			}
		}
		srv := m["server"].(map[string]any)
		_, hasPort := srv["port"]
		switch m["proto"] {
		case "icmp", "icmpv6":
			sawICMP = true
			if hasPort {
				t.Errorf("line %d: ICMP server has a port", n)
			}
		case "tcp", "udp":
			if !hasPort {
				t.Errorf("line %d: %s server without port", n, m["proto"])
			}
			if srv["port"].(float64) == 80 && srv["addr"] == "10.0.1.10" {
				sawServer80 = true
			}
		}
		for _, d := range []string{"to_server", "to_client"} {
			dm := m[d].(map[string]any)
			if _, ok := dm["packets"]; !ok {
				t.Errorf("line %d: %s.packets missing", n, d)
			}
			if _, ok := dm["bytes"]; !ok {
				t.Errorf("line %d: %s.bytes missing", n, d)
			}
		}
	}
	if n != 15 || !sawICMP || !sawServer80 {
		t.Errorf("got %d conversations (want 15), icmp %v, server 10.0.1.10:80 %v", n, sawICMP, sawServer80)
	}
}

func TestFlowsCSVAndJSONAgree(t *testing.T) {
	csvOut, _, code := runCLI(t, nil, "flows", "--format", "csv", sample("vpc-two-subnets.pcap"))
	if code != exitOK {
		t.Fatalf("csv exit %d", code)
	}
	jsonOut, _, code := runCLI(t, nil, "flows", "--format", "json", sample("vpc-two-subnets.pcap"))
	if code != exitOK {
		t.Fatalf("json exit %d", code)
	}
	var doc render.FlowsJSON
	if err := json.Unmarshal([]byte(jsonOut), &doc); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csvOut), "\n")
	if len(lines)-1 != len(doc.Conversations) || len(doc.Conversations) == 0 {
		t.Fatalf("csv has %d rows, json %d conversations", len(lines)-1, len(doc.Conversations))
	}
	if doc.Summary.Packets != 144 || doc.Summary.Conversations != len(doc.Conversations) {
		t.Errorf("summary %+v, want 144 packets", doc.Summary)
	}
	if lines[0] != strings.Join(render.FlowsCSVHeader, ",") {
		t.Errorf("csv header %q", lines[0])
	}
}

func TestFlowsTruncatedCaptureExit2(t *testing.T) {
	data, err := os.ReadFile(sample("webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)-30], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "flows", "--format", "json", cut)
	if code != exitError {
		t.Fatalf("exit %d, want %d for an incomplete capture", code, exitError)
	}
	if !strings.Contains(errs, "cut.pcap") || !strings.Contains(errs, "frame 194") {
		t.Errorf("stderr should name the file and the cut frame:\n%s", errs)
	}
	var doc render.FlowsJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report still printed as JSON: %v", err)
	}
	// The 193 complete records and the cut one (delivered as far as it goes, flagged).
	if doc.Summary.Packets != 194 || doc.Summary.Anomalies["truncated tcp header"] != 1 {
		t.Errorf("packets %d, anomalies %v: want all 194 records, the cut one as a truncated tcp header", doc.Summary.Packets, doc.Summary.Anomalies)
	}
	if len(doc.Files) != 1 || doc.Files[0].Complete {
		t.Errorf("files %+v: want the file marked incomplete", doc.Files)
	}
}

func TestFlowsUsageErrors(t *testing.T) {
	if _, errs, code := runCLI(t, nil, "flows"); code != exitError || !strings.Contains(errs, "no capture files") {
		t.Errorf("no files: exit %d, %q", code, errs)
	}
	if _, _, code := runCLI(t, nil, "flows", "--format", "xml", sample("webserver.pcap")); code != exitError {
		t.Errorf("bad format: exit %d", code)
	}
	if _, errs, code := runCLI(t, nil, "flows", "/nonexistent.pcap"); code != exitError || !strings.Contains(errs, "/nonexistent.pcap") {
		t.Errorf("missing file: exit %d, %q", code, errs)
	}
}

func TestHelpAndVersion(t *testing.T) {
	out, _, code := runCLI(t, nil, "help")
	if code != exitOK {
		t.Fatalf("help exit %d", code)
	}
	for _, c := range []string{"check", "diff", "explain", "flows", "lint", "synth"} {
		if !strings.Contains(out, "\n  "+c+" ") {
			t.Errorf("help does not list %s:\n%s", c, out)
		}
	}
	out, _, code = runCLI(t, nil, "--version")
	if code != exitOK || !strings.HasPrefix(out, "flowverify ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	if _, errs, code := runCLI(t, nil, "frobnicate"); code != exitError || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, errs)
	}
}
