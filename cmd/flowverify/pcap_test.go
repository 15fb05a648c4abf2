//go:build pcap

package main

import (
	"strings"
	"testing"
)

// TestFilterWithPcapBuild checks that a BPF filter selects packets while
// frame numbers keep counting every record.
func TestFilterWithPcapBuild(t *testing.T) {
	out, errs, code := runCLI(t, nil, "flows", "--format", "csv", "--filter", "tcp port 22", sample("webserver.pcap"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			lines++
		}
	}
	if lines != 2 { // header and the one SSH conversation
		t.Errorf("filtered csv has %d lines, want 2:\n%s", lines, out)
	}
}
