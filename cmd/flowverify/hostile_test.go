//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// runCLIOrHang runs flowverify like runCLI but fails the test instead of
// hanging forever when the command never returns (a reopened FIFO).
func runCLIOrHang(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	type result struct {
		out, errs string
		code      int
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(&runEnv{stdin: bytes.NewReader(nil), stdout: &out, stderr: &errb}, args)
		done <- result{out.String(), errb.String(), code}
	}()
	select {
	case r := <-done:
		return r.out, r.errs, r.code
	case <-time.After(2 * time.Minute):
		t.Fatalf("%v did not return: it waits on an input it cannot read twice", args)
		return "", "", 0
	}
}

// feed writes data into the pipe or FIFO at path (opened for writing
// once, as `cat x.pcap >fifo` does) and closes it.
func feed(t *testing.T, path string, data []byte) {
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		f.Write(data)
		f.Close()
	}()
}

// sampleFIFO returns a named pipe that webserver.pcap is written into once
// (as `cat webserver.pcap >fifo` would).
func sampleFIFO(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(sample("webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "capture.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	feed(t, fifo, data)
	return fifo
}

// TestCheckPacketsFromFIFO: `check --packets` on a named pipe spools it
// (the second pass used to reopen it and hang forever).
func TestCheckPacketsFromFIFO(t *testing.T) {
	fifo := sampleFIFO(t)
	out, errs, code := runCLIOrHang(t, "check", "--nacl", sample("webserver.nacl"), "--subnet", "10.0.1.0/24", "--packets", "--format", "jsonl", fifo)
	if code != exitFindings || strings.Count(out, "\n") != 192 {
		t.Errorf("exit %d, %d packet lines (want 1 and 192); stderr %s", code, strings.Count(out, "\n"), errs)
	}
	if !strings.Contains(out, `"file":`+fmt.Sprintf("%q", fifo)) {
		t.Errorf("packets should name the FIFO as given, not the spool file")
	}
}

// TestCheckPacketsFromProcessSubstitution: `check --packets <(cat x.pcap)`
// reads a pipe behind /dev/fd/N; the second pass used to reopen it, read
// nothing and print an empty listing with no warning.
func TestCheckPacketsFromProcessSubstitution(t *testing.T) {
	data, err := os.ReadFile(sample("webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		w.Write(data)
		w.Close()
	}()
	path := fmt.Sprintf("/dev/fd/%d", r.Fd())
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no /dev/fd here: %v", err)
	}
	out, errs, code := runCLIOrHang(t, "check", "--nacl", sample("webserver.nacl"), "--subnet", "10.0.1.0/24", "--packets", "--format", "jsonl", path)
	if code != exitFindings || strings.Count(out, "\n") != 192 {
		t.Errorf("exit %d, %d packet lines (want 1 and 192); stderr %s", code, strings.Count(out, "\n"), errs)
	}
}

// TestStopSignalsEndLive: SIGTERM and SIGHUP end a live capture as
// SIGINT does (the stream is closed, so the report is still written) and
// the exit status says which signal interrupted it (they used to kill
// the process: exit 143/129, no report).
func TestStopSignalsEndLive(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		s, err := capture.Open([]string{sample("webserver.pcap")}, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		liveStopped.Store(0)
		stopOnInterrupt(s, true)
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); liveStopped.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		var p capture.Packet
		if err := s.Next(&p); err == nil {
			t.Errorf("%v: the stream is still open", sig)
		}
		var errb bytes.Buffer
		code := interruptedExit(&runEnv{stderr: &errb}, "check", exitFindings)
		if code != 128+int(sig) || !strings.Contains(errb.String(), "live capture ended by "+signalName(sig)) {
			t.Errorf("%v: exit %d, stderr %q; want %d", sig, code, errb.String(), 128+int(sig))
		}
		if code := interruptedExit(&runEnv{stderr: &errb}, "check", exitOK); code != exitOK {
			t.Errorf("%v: a second command's exit %d: the signal must be reported once", sig, code)
		}
	}
}

// TestStdoutWasClosed: a standard output the runtime replaced by
// /dev/null read-write (it started closed) is told from a redirection to
// /dev/null or a file.
func TestStdoutWasClosed(t *testing.T) {
	open := func(path string, flag int) *os.File {
		f, err := os.OpenFile(path, flag, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	if !stdoutWasClosed(open(os.DevNull, os.O_RDWR)) {
		t.Error("/dev/null read-write (a closed stdout) not detected")
	}
	if stdoutWasClosed(open(os.DevNull, os.O_WRONLY)) {
		t.Error(">/dev/null taken for a closed stdout")
	}
	if stdoutWasClosed(open(filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)) {
		t.Error("a regular file taken for a closed stdout")
	}
	var errb bytes.Buffer
	code := run(&runEnv{stdin: bytes.NewReader(nil), stdout: closedWriter{}, stderr: &errb}, []string{"lint", "--nacl", sample("webserver.nacl")})
	if code != exitError || !strings.Contains(errb.String(), "standard output is closed") {
		t.Errorf("lint with a closed stdout: exit %d, stderr %q", code, errb.String())
	}
}

// evilNACL writes an AWS JSON NACL whose ID, Name tag and file name hold
// terminal control sequences (retitle, erase screen, 8-bit CSI, bidi
// override), with a deny rule for synth --keep-denies.
func evilNACL(t *testing.T) string {
	t.Helper()
	doc := `{"NetworkAcls":[{"NetworkAclId":"acl-1\u001b]0;pwned\u0007","Tags":[{"Key":"Name","Value":"web\u001b[2J\u009b31m\u202eevil\u0000"}],"Entries":[
{"RuleNumber":90,"Protocol":"6","RuleAction":"deny","Egress":false,"CidrBlock":"203.0.113.0/24","PortRange":{"From":22,"To":22}},
{"RuleNumber":100,"Protocol":"-1","RuleAction":"allow","Egress":false,"CidrBlock":"0.0.0.0/0"},
{"RuleNumber":200,"Protocol":"6","RuleAction":"allow","Egress":false,"CidrBlock":"0.0.0.0/0","PortRange":{"From":22,"To":22}},
{"RuleNumber":100,"Protocol":"-1","RuleAction":"allow","Egress":true,"CidrBlock":"0.0.0.0/0"}]}]}`
	path := filepath.Join(t.TempDir(), "nacl\x1b[1A\x07.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Skipf("this file system refuses the name: %v", err)
	}
	return path
}

// TestEveryCommandEscapesInputStrings: ESC, BEL, NUL, C1 and bidi
// characters from an ACL ID, Name tag or file name reach no output or
// message raw, in text and JSON, in every command that reads a NACL
// (they used to be printed as they were).
func TestEveryCommandEscapesInputStrings(t *testing.T) {
	nacl := evilNACL(t)
	pcap := sample("webserver.pcap")
	for _, args := range [][]string{
		{"lint", "--nacl", nacl},
		{"lint", "--nacl", nacl, "--format", "json"},
		{"explain", "--nacl", nacl, "--subnet", "10.0.1.0/24", "tcp 198.51.100.20:40000 > 10.0.1.10:22"},
		{"check", "--nacl", nacl, "--subnet", "10.0.1.0/24", "--packets", pcap},
		{"check", "--nacl", nacl, "--subnet", "10.0.1.0/24", "--format", "json", pcap},
		{"diff", "--nacl", nacl, "--nacl-new", nacl, "--subnet", "10.0.1.0/24", pcap},
		{"synth", "--subnet", "10.0.1.0/24", "--keep-denies", nacl, pcap},
		{"flows", nacl}, // not a capture: the error names the file
	} {
		var out, errb bytes.Buffer
		env, flush := terminalSafeEnv(bytes.NewReader(nil), &out, &errb, false)
		code := run(env, args)
		if err := flush(); err != nil {
			t.Fatal(err)
		}
		all := out.String() + errb.String()
		if strings.ContainsAny(all, "\x1b\x07\x00\u009b\u202e") {
			t.Errorf("%v (exit %d): raw control characters in the output:\n%q", args[:1], code, all)
		}
		if !strings.Contains(all, `\u001b`) {
			t.Errorf("%v (exit %d): the escaped input strings are not shown at all:\n%s", args[:1], code, all)
		}
	}
}

// TestCheckFromFIFOWithoutPackets: the flow-log sniffing of check's
// inputs leaves pipes alone (it used to consume the start of a FIFO or
// process substitution, which then read as "not a capture").
func TestCheckFromFIFOWithoutPackets(t *testing.T) {
	fifo := sampleFIFO(t)
	_, errs, code := runCLIOrHang(t, "check", "--nacl", sample("webserver.nacl"), "--subnet", "10.0.1.0/24", "--format", "json", fifo)
	if code != exitFindings {
		t.Errorf("exit %d, want 1 (denied packets); stderr %s", code, errs)
	}
	if !mustSpool(fifo) || mustSpool(t.TempDir()) || mustSpool(sample("webserver.pcap")) {
		t.Error("mustSpool: a FIFO must be spooled, a directory or a regular file not")
	}
}

// TestCheckPacketsFileChangedBetweenPasses: a capture cut short between
// the two passes (still being written, rotated) is an error naming it,
// not a shorter listing under the first pass's report.
func TestCheckPacketsFileChangedBetweenPasses(t *testing.T) {
	data, err := os.ReadFile(sample("webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "growing.pcap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	betweenPasses = func([]string) { os.Truncate(path, int64(len(data)/2)) }
	defer func() { betweenPasses = nil }()
	_, errs, code := runCLI(t, nil, "check", "--nacl", sample("webserver.nacl"), "--subnet", "10.0.1.0/24", "--packets", "--format", "jsonl", path)
	if code != exitError || !strings.Contains(errs, "growing.pcap changed between the two passes") {
		t.Errorf("exit %d, stderr %q; want 2 and the file named", code, errs)
	}
}
