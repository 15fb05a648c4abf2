package flows

import (
	"testing"
	"unsafe"
)

// recSize is the size of the compact record.
func recSize() uintptr { return unsafe.Sizeof(rec{}) }

func TestRecordSize(t *testing.T) {
	if s := recSize(); s > 144 {
		t.Errorf("rec is %d bytes, want <= 144", s)
	}
	if s := unsafe.Sizeof(key{}); s != 38 {
		t.Errorf("key is %d bytes, want 38", s)
	}
}
