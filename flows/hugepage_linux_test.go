//go:build linux

package flows

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestAdviseHuge: the huge-page-aligned part of a large slice is marked
// for transparent huge pages (VmFlags "hg" in /proc/self/smaps). (Advice
// stays with the addresses: memory the Go heap reuses after an advised
// slice is freed keeps it, so a small slice's flags say nothing.)
func TestAdviseHuge(t *testing.T) {
	hp := hugePageSize()
	if hp == 0 {
		t.Skip("the kernel does not report a transparent huge page size")
	}
	big := make([]rec, 8*hp/int(unsafe.Sizeof(rec{})))
	adviseHuge(big)
	mid := uintptr(unsafe.Pointer(&big[len(big)/2]))
	if flags, ok := vmFlags(t, mid); !ok {
		t.Fatalf("no mapping of %#x in /proc/self/smaps", mid)
	} else if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the middle of an advised slice of %d bytes is not marked for huge pages: VmFlags %q", len(big)*int(unsafe.Sizeof(rec{})), flags)
	}
	runtime.KeepAlive(big)
}

// vmFlags returns the VmFlags of the mapping of /proc/self/smaps that
// contains address p.
func vmFlags(t *testing.T, p uintptr) (string, bool) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			lo, hi, _ := strings.Cut(fields[0], "-")
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(p) >= a && uint64(p) < b
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), true
		}
	}
	return "", false
}
