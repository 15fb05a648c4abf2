package flows

import (
	"net/netip"
	"testing"
	"unsafe"
)

// recSize is the size of the compact record.
func recSize() uintptr { return unsafe.Sizeof(rec{}) }

func TestRecordSize(t *testing.T) {
	if s := recSize(); s > 144 {
		t.Errorf("rec is %d bytes, want <= 144", s)
	}
	if s := unsafe.Sizeof(decision{}); s > 40 {
		t.Errorf("decision is %d bytes, want <= 40", s)
	}
	if s := unsafe.Sizeof(key{}); s != 40 {
		t.Errorf("key is %d bytes, want 40", s)
	}
}

func TestAddrWords(t *testing.T) {
	if !netipLayoutOK {
		t.Log("netip.Addr layout differs: addrWords falls back to As16")
	}
	for _, s := range []string{"10.1.2.3", "192.168.255.1", "2001:db8::1", "::1", "::ffff:10.0.0.1", "ff02::1:ff00:1"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		if got := addrWords(a).bytes16(); got != b {
			t.Errorf("%s: %x, want %x", s, got, b)
		}
	}
}
