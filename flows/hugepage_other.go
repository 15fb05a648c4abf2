//go:build !linux

package flows

// adviseHuge does nothing where transparent huge pages are not asked for
// by madvise (see the Linux version).
func adviseHuge[T any](s []T) {}
