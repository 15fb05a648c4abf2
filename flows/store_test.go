package flows

import "testing"

// TestStoreKeepsChunkOnItsWay: when a dropped chunk (spare) serves a new
// chunk while one prepared ahead is still on its way, the one on its way
// is kept for the next chunk, not replaced by a second one made ahead (it
// was made, its pages touched, and thrown away every time a streaming
// table reused a chunk).
func TestStoreKeepsChunkOnItsWay(t *testing.T) {
	s := &store{side: map[int]*rec{}, done: [][]uint64{}}
	addChunk := func() {
		for range 1 << chunkBits {
			i, _ := s.add()
			s.setDone(i)
		}
	}
	// The first chunk grows from 16 records; then prefetchFrom full ones.
	for len(s.chunks) < prefetchFrom+1 {
		addChunk()
	}
	if s.ahead == nil {
		t.Fatal("no chunk prepared ahead once the store is large")
	}
	ahead := s.ahead
	s.dropFront() // its chunk becomes the spare
	if s.spare == nil {
		t.Fatal("no spare after dropFront")
	}
	addChunk() // served by the spare
	if s.ahead != ahead {
		t.Errorf("the chunk prepared ahead was replaced by another when the spare served")
	}
	addChunk() // served by the one prepared ahead
	if s.ahead == ahead || s.ahead == nil {
		t.Errorf("the chunk prepared ahead was not used, or no next one was prepared")
	}
}
