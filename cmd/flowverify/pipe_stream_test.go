package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that a test reads while run writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFlowsFromOpenPipeStreams: `tcpdump -U -w - | flowverify flows
// --format jsonl -` prints a conversation's row once it has ended, while
// the pipe is still open, not when the writer closes it (the reading used
// to wait for a 64 KiB chunk, then for a batch of 256 packets, and the
// rows for 64 KiB of them); once the pipe is closed, the output is what
// the file gives.
func TestFlowsFromOpenPipeStreams(t *testing.T) {
	data, err := os.ReadFile(sample("webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// Short timeouts, so that conversations end seconds before the last
	// packet (in capture time) and are printed before the input ends.
	args := []string{"flows", "--format", "jsonl", "--udp-idle", "1s", "--icmp-idle", "1s", "--tcp-linger", "100ms"}
	want, _, code := runCLI(t, nil, append(args, sample("webserver.pcap"))...)
	if code != exitOK || strings.Count(want, "\n") < 2 {
		t.Fatalf("from the file: exit %d, %q", code, want)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := fmt.Sprintf("/dev/fd/%d", r.Fd())
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no /dev/fd here: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(&runEnv{stdin: bytes.NewReader(nil), stdout: &out, stderr: &errb}, append(args, path))
	}()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "\n"); {
		if time.Now().After(deadline) {
			w.Close()
			<-done
			t.Fatalf("no row within 20 s while the pipe stayed open (the first conversation ended long before the last packet); got %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.Close()
	select {
	case code = <-done:
	case <-time.After(time.Minute):
		t.Fatal("flows did not end when the pipe was closed")
	}
	// The rows name the input as given: /dev/fd/N, not the sample's path.
	if got := strings.ReplaceAll(out.String(), path, sample("webserver.pcap")); code != exitOK || got != want {
		t.Errorf("exit %d; from the pipe:\n%s\nfrom the file:\n%s\nstderr: %s", code, out.String(), want, errb.String())
	}
}
