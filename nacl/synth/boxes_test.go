package synth

import (
	"net/netip"
	"testing"
)

// TestAddrKey: an address survives its key, and keys order as
// netip.Addr.Compare orders addresses without a zone.
func TestAddrKey(t *testing.T) {
	addrs := []netip.Addr{{}}
	for _, s := range []string{"0.0.0.0", "10.0.0.1", "10.0.0.2", "9.255.255.255", "255.255.255.255",
		"::", "::1", "::ffff:10.0.0.1", "::a00:1", "2001:db8::1", "fe80::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	for _, a := range addrs {
		if got := keyOf(a).addr(); got != a {
			t.Errorf("keyOf(%v).addr() = %v", a, got)
		}
		for _, b := range addrs {
			if got, want := keyOf(a).compare(keyOf(b)), a.Compare(b); got != want {
				t.Errorf("keyOf(%v).compare(keyOf(%v)) = %d, want %d", a, b, got, want)
			}
			if (keyOf(a) == keyOf(b)) != (a == b) {
				t.Errorf("keys of %v and %v: equal %v", a, b, keyOf(a) == keyOf(b))
			}
		}
	}
}
