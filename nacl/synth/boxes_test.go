package synth

import (
	"net/netip"
	"testing"
)

// TestCompareAddr: compareAddr orders as netip.Addr.Compare, across and
// within families.
func TestCompareAddr(t *testing.T) {
	addrs := []string{"0.0.0.0", "10.0.0.1", "10.0.0.2", "9.255.255.255", "255.255.255.255", "198.51.100.7",
		"::", "::1", "::ffff:10.0.0.1", "2001:db8::1", "fe80::1%eth0", "fe80::1", "fe80::1%eth1"}
	for _, x := range addrs {
		for _, y := range addrs {
			a, b := netip.MustParseAddr(x), netip.MustParseAddr(y)
			if got, want := compareAddr(a, b), a.Compare(b); got != want {
				t.Errorf("compareAddr(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
}
