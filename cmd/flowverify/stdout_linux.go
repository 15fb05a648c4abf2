package main

import (
	"os"
	"syscall"
)

// stdoutWasClosed reports whether the process started with standard
// output closed (`>&-`): the Go runtime then opens /dev/null read-write
// in its place, so writes would succeed and the output vanish. A shell's
// `>/dev/null` opens it write-only and is not reported.
func stdoutWasClosed(f *os.File) bool {
	var st, null syscall.Stat_t
	if syscall.Fstat(int(f.Fd()), &st) != nil || syscall.Stat(os.DevNull, &null) != nil {
		return false
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != null.Rdev {
		return false
	}
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFL, 0)
	return errno == 0 && flags&syscall.O_ACCMODE == syscall.O_RDWR
}
