//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lineCounter is a stdout that counts the lines written so far.
type lineCounter struct {
	mu    sync.Mutex
	lines int
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.lines += bytes.Count(p, []byte{'\n'})
	c.mu.Unlock()
	return len(p), nil
}

func (c *lineCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines
}

// rawTCP appends a pcap record (LINKTYPE_RAW) of an IPv4 TCP segment.
func rawTCP(b []byte, at time.Duration, src, dst [4]byte, sport, dport uint16, flags uint8) []byte {
	ts := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(at)
	pkt := make([]byte, 40)
	pkt[0], pkt[8], pkt[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(pkt[2:], 40)
	copy(pkt[12:], src[:])
	copy(pkt[16:], dst[:])
	binary.BigEndian.PutUint16(pkt[20:], sport)
	binary.BigEndian.PutUint16(pkt[22:], dport)
	pkt[32], pkt[33] = 0x50, flags
	binary.BigEndian.PutUint16(pkt[34:], 65535)
	b = binary.LittleEndian.AppendUint32(b, uint32(ts.Unix()))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts.Nanosecond()/1000))
	b = binary.LittleEndian.AppendUint32(b, 40)
	b = binary.LittleEndian.AppendUint32(b, 40)
	return append(b, pkt...)
}

// TestFlowsStreamsLiveInput: a long capture of short connections read
// from a pipe (as --live reads an interface: 36,000 connections in 60 s)
// is reported as it goes: conversations that ended are printed while
// the input is still open, instead of every conversation being kept until
// the end (memory grew linearly). The table's size staying flat is
// measured in flows (TestStreamMemoryFlat).
func TestFlowsStreamsLiveInput(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "live.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	const n = 36_000
	gap := 60 * time.Second / n
	conn := func(b []byte, c int) []byte {
		at := time.Duration(c) * gap
		cl, sv := [4]byte{10, 1, byte(c >> 8), byte(c)}, [4]byte{10, 0, 0, 80}
		cp := uint16(40000 + c%20000)
		b = rawTCP(b, at, cl, sv, cp, 443, 0x02)
		b = rawTCP(b, at+time.Millisecond, sv, cl, 443, cp, 0x12)
		b = rawTCP(b, at+2*time.Millisecond, cl, sv, cp, 443, 0x10)
		b = rawTCP(b, at+10*time.Millisecond, cl, sv, cp, 443, 0x11)
		b = rawTCP(b, at+11*time.Millisecond, sv, cl, 443, cp, 0x11)
		return rawTCP(b, at+12*time.Millisecond, cl, sv, cp, 443, 0x10)
	}
	out := &lineCounter{}
	seenOpen := make(chan int, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		hdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0}
		f.Write(hdr)
		var b []byte
		for c := range n {
			b = conn(b, c)
			if len(b) > 1<<16 {
				f.Write(b)
				b = b[:0]
			}
			if c == 5*n/6 {
				// 50 s of traffic written: the connections that ended
				// more than the 5 s linger ago must be out already.
				f.Write(b)
				b = b[:0]
				deadline := time.Now().Add(30 * time.Second)
				for out.count() < n/2 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				seenOpen <- out.count()
			}
		}
		f.Write(b)
	}()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(&runEnv{stdin: bytes.NewReader(nil), stdout: out, stderr: &errb}, []string{"flows", "--format", "jsonl", fifo})
	}()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("flows did not return")
	}
	if got := <-seenOpen; got < n/2 {
		t.Errorf("%d conversations printed while the input was still open after 50 s of traffic, want at least %d (they ended)", got, n/2)
	}
	if got := out.count(); got != n {
		t.Errorf("%d conversations printed in all, want %d", got, n)
	}
}
