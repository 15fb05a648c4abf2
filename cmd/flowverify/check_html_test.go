package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// htmlSummary reads the summary cells (id="s-...") of an HTML report.
func htmlSummary(t *testing.T, page string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, m := range regexp.MustCompile(`id="s-([a-z-]+)">([0-9]+)<`).FindAllStringSubmatch(page, -1) {
		n, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]] = n
	}
	return out
}

// checkJSONSummary returns the check JSON report's summary numbers under
// the HTML report's names.
func checkJSONSummary(t *testing.T, args []string) map[string]uint64 {
	t.Helper()
	out, _, _ := runCLI(t, nil, append(append([]string(nil), args[:len(args)-1]...), "--format", "json", args[len(args)-1])...)
	var doc struct {
		Summary map[string]any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	for html, js := range map[string]string{"records": "records", "evaluated": "evaluated", "allowed": "allowed", "denied": "denied",
		"exempt": "exempt", "not-filtered": "not_filtered", "conversations": "conversations", "affected": "conversations_affected"} {
		m[html] = uint64(doc.Summary[js].(float64))
	}
	return m
}

// The HTML report is one self-contained page whose summary numbers are
// the JSON report's; in a real headless Chromium (when installed: .ci/run
// installs Debian's chromium) it loads without console errors and a
// screenshot is taken.
func TestCheckHTML(t *testing.T) {
	args := append(append([]string(nil), webArgs...), samples+"webserver.pcap")
	page, errs, code := runCLI(t, nil, append(append([]string(nil), args[:len(args)-1]...), "--format", "html", args[len(args)-1])...)
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got, want := htmlSummary(t, page), checkJSONSummary(t, args)
	if len(got) != len(want) {
		t.Errorf("summary cells %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("summary %s: html %d, json %d", k, got[k], v)
		}
	}
	for _, s := range []string{`<svg id="timeline"`, `<svg id="rules-bars"`, "in 125 allow tcp 192.0.2.80/32 32768-65535", "deny-with-hits", `<table id="convs">`} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	// Self-contained: nothing is loaded from elsewhere.
	if regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`).MatchString(page) {
		t.Error("the page loads something from the network")
	}

	browser := ""
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(b); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no headless Chromium (chromium, chromium-browser or google-chrome) on PATH: the page was not opened in a browser; .ci/run installs Debian's chromium")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, browser, append(common, "--dump-dom", "file://"+file)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s --dump-dom: %v\n%s", browser, err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			t.Errorf("console message: %s", l)
		}
	}
	if got := htmlSummary(t, string(dom)); got["denied"] != want["denied"] || got["affected"] != want["affected"] {
		t.Errorf("rendered summary %v, want %v", got, want)
	}
	cmd = exec.CommandContext(ctx, browser, append(common, "--screenshot="+shot, "--window-size=1200,2400", "file://"+file)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s --screenshot: %v\n%s", browser, err, out)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
}
