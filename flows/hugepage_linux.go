//go:build linux

package flows

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// hugePageSize is the size of a transparent huge page on this machine
// (2 MiB on x86-64), or 0 when the kernel does not say.
var hugePageSize = sync.OnceValue(func() int {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 || n&(n-1) != 0 {
		return 0
	}
	return n
})

// adviseHuge asks Linux to back the huge-page-aligned part of s's memory
// with transparent huge pages (madvise MADV_HUGEPAGE), when s spans at
// least two of them. It must be called before s's pages are first
// written. Debian and most distributions enable transparent huge pages
// only where they are asked for ("madvise"), and the Go runtime does not
// ask: a table of millions of conversations then takes a page fault
// every 4 KiB, each several microseconds in some VMs, where huge pages
// take one every 2 MiB (bench/bench.sh's SYN flood). It is advice: an
// error leaves s on small pages, and the memory stays the Go heap's.
func adviseHuge[T any](s []T) {
	hp := hugePageSize()
	size := len(s) * int(unsafe.Sizeof(*new(T)))
	if hp == 0 || size < 2*hp {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size)
	p := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) & uintptr(hp-1))
	start := 0
	if p != 0 {
		start = hp - p
	}
	end := start + (size-start)&^(hp-1)
	if end <= start {
		return
	}
	_ = syscall.Madvise(b[start:end], syscall.MADV_HUGEPAGE)
}
