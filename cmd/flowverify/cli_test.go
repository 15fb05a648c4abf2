package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/cmd/flowverify/internal/golden"
)

// samples is the directory of the bundled captures and NACL files.
const samples = "../../pcaps/"

// sample returns the path of a bundled capture or NACL file.
func sample(name string) string { return filepath.Join(samples, name) }

// runCLI runs flowverify with args, stdin as standard input (nil: empty),
// and returns stdout, stderr and the exit code. It is the one CLI runner
// of the command tests.
func runCLI(t testing.TB, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(&runEnv{stdin: bytes.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return out.String(), errb.String(), code
}

// checkGolden compares got with testdata/DIR/NAME (go test -update
// rewrites it). The golden files were read by a person once.
func checkGolden(t testing.TB, dir, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", dir, name), []byte(got))
}

// failWriter fails every write, as a full disk does (/dev/full).
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// A command whose output cannot be written exits 2 and says why, on
// every path (explain's not-filtered answer, help, --version included).
func TestWriteErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "udp 10.0.1.10:50000 > 10.0.0.2:53"},
		{"explain", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", "tcp 198.51.100.20:80 > 10.0.1.10:22"},
		{"lint", "--nacl", samples + "webserver.nacl"},
		{"flows", samples + "webserver.pcap"},
		{"check", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", samples + "webserver.pcap"},
		{"help"},
		{"--version"},
	} {
		var errb bytes.Buffer
		code := run(&runEnv{stdin: bytes.NewReader(nil), stdout: failWriter{}, stderr: &errb}, args)
		if code != exitError || !strings.Contains(errb.String(), "no space left on device") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

// synth -o and --report write files and report a failing one.
func TestSynthWritesFiles(t *testing.T) {
	dir := t.TempDir()
	acl, rep := filepath.Join(dir, "acl.txt"), filepath.Join(dir, "report.json")
	_, errs, code := runCLI(t, nil, "synth", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "-o", acl, "--report", rep, "--report-format", "json", samples+"webserver.pcap")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, p := range []string{acl, rep} {
		if b, err := os.ReadFile(p); err != nil || len(b) == 0 {
			t.Errorf("%s: %v, %d bytes", p, err, len(b))
		}
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		_, errs, code = runCLI(t, nil, "synth", "--subnet", "10.0.1.0/24", "-o", "/dev/full", samples+"webserver.pcap")
		if code != exitError || !strings.Contains(errs, "no space left on device") {
			t.Errorf("-o /dev/full: exit %d, %s", code, errs)
		}
	}
}
