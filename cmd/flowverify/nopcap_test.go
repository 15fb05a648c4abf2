//go:build !pcap

package main

import (
	"strings"
	"testing"
)

// TestFilterAndLiveNeedPcapBuild checks the message of the pure-Go build.
func TestFilterAndLiveNeedPcapBuild(t *testing.T) {
	if _, errs, code := runCLI(t, nil, "flows", "--filter", "tcp", sample("webserver.pcap")); code != exitError || !strings.Contains(errs, "-tags pcap") {
		t.Errorf("--filter: exit %d, %q", code, errs)
	}
	if _, errs, code := runCLI(t, nil, "flows", "--live", "lo"); code != exitError || !strings.Contains(errs, "-tags pcap") {
		t.Errorf("--live: exit %d, %q", code, errs)
	}
}
