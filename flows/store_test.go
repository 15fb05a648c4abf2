package flows

import (
	"testing"
	"unsafe"
)

// TestStoreKeepsChunkOnItsWay: when a dropped chunk (spare) serves a new
// chunk while a slab prepared ahead is still on its way, the one on its
// way is kept for the next chunks, not replaced by a second one made
// ahead (it was made, its pages touched, and thrown away every time a
// streaming table reused a chunk); once it serves, its chunks are cut
// from it, and the next slab is prepared only when it runs out.
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
		t.Errorf("the slab prepared ahead was not used, or no next one was prepared")
	}
}

// TestStoreSlabs: a large store cuts its chunks from slabs of an eighth
// of its size (up to maxSlabChunks chunks), prepares the next slab only
// when the current one runs out, and every chunk is 1<<chunkBits records
// of its own (appending to one never writes into the next).
func TestStoreSlabs(t *testing.T) {
	s := &store{}
	const chunks = 300
	for range chunks << chunkBits {
		i, r := s.add()
		r.icmpErr = uint32(i)
	}
	if len(s.chunks) != chunks {
		t.Fatalf("%d chunks, want %d", len(s.chunks), chunks)
	}
	// (The first chunk grows by appending from 16 records.)
	for c := 1; c < chunks; c++ {
		if len(s.chunks[c]) != 1<<chunkBits || cap(s.chunks[c]) != 1<<chunkBits {
			t.Fatalf("chunk %d: len %d cap %d, want %d", c, len(s.chunks[c]), cap(s.chunks[c]), 1<<chunkBits)
		}
	}
	for i := range chunks << chunkBits {
		if got := s.at(i).icmpErr; got != uint32(i) {
			t.Fatalf("record %d holds %d: chunks overlap", i, got)
		}
	}
	// Slabs: chunks that share one lie back to back; count the slabs.
	slabs := 1
	for c := 2; c < chunks; c++ {
		prev := s.chunks[c-1][:cap(s.chunks[c-1])]
		if uintptr(unsafe.Pointer(&prev[len(prev)-1]))+unsafe.Sizeof(rec{}) != uintptr(unsafe.Pointer(&s.chunks[c][0])) {
			slabs++
		}
	}
	// 1-chunk slabs up to 16 chunks, then n/8: far fewer slabs than chunks.
	if slabs > 60 {
		t.Errorf("%d slabs for %d chunks: chunks are not cut from slabs", slabs, chunks)
	}
	if left := len(s.slab) >> chunkBits; left >= slabChunks(chunks) {
		t.Errorf("%d chunks left in the slab, more than a slab (%d)", left, slabChunks(chunks))
	}
	if got := slabChunks(1 << 20); got != maxSlabChunks {
		t.Errorf("slabChunks(2^20) = %d, want %d", got, maxSlabChunks)
	}
}
