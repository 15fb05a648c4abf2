package flows

import "math/bits"

// index maps a key to the index of its most recent record, by open
// addressing with linear probing. Each 8-byte slot holds the top 32 bits
// of the key's hash (the tag) and the record index + 1 (0 is empty). Keys
// live in the records: a record is only read when the tags match, and the
// table grows from the tags alone. A reused key points at its newest
// record; entries are deleted only when a streaming table finishes the
// record an entry points at (remove).
type index struct {
	slots []uint64
	used  int
	// shift turns a tag into a slot position: tag >> shift (32 - log2(len)).
	shift uint
	seed  uint64
}

// maxSlotsLog bounds the table at 2^32 slots (positions come from the 32-bit tag).
const maxSlotsLog = 32

// find returns the record index for k, or -1.
func (x *index) find(s *store, k *key) int {
	if len(x.slots) == 0 {
		return -1
	}
	return x.findTag(s, k, x.tag(k))
}

// tag is the top 32 bits of k's hash, never zero (its lowest bit is
// set), so that no entry is 0 (empty) whatever record index it holds.
func (x *index) tag(k *key) uint32 { return uint32(k.hash(x.seed)>>32) | 1 }

// findTag is find with k's tag already computed.
func (x *index) findTag(s *store, k *key, tag uint32) int {
	if len(x.slots) == 0 {
		return -1
	}
	mask := uint64(len(x.slots) - 1)
	for i := uint64(tag) >> x.shift; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return -1
		}
		if uint32(v>>32) == tag {
			if i := s.full(uint32(v) - 1); s.at(i).k.eq(k) {
				return i
			}
		}
	}
}

// setTag points k, whose tag is tag, at record idx, inserting k when it is new.
func (x *index) setTag(s *store, k *key, tag uint32, idx int) {
	if (x.used+1)*10 > len(x.slots)*7 {
		x.grow()
	}
	entry := uint64(tag)<<32 | uint64(uint32(idx+1))
	mask := uint64(len(x.slots) - 1)
	for i := uint64(tag) >> x.shift; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			x.slots[i] = entry
			x.used++
			return
		}
		if uint32(v>>32) == tag && s.at(s.full(uint32(v)-1)).k.eq(k) {
			x.slots[i] = entry
			return
		}
	}
}

// grow doubles the slot array (64 slots at first) and reinserts every
// entry by its tag, without reading the records.
func (x *index) grow() {
	old := x.slots
	n := max(64, 2*len(old))
	logn := bits.Len(uint(n)) - 1
	if logn > maxSlotsLog {
		panic("flows: conversation index full") // unreachable: maxConversations is below the bound
	}
	x.slots = make([]uint64, n)
	adviseHuge(x.slots) // 8M slots for a flood's 5M conversations: 64 MiB
	x.shift = uint(32 - logn)
	mask := uint64(n - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := (v >> 32) >> x.shift
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = v
	}
}

// each calls fn with the newest record index of every distinct key (of
// a table that is not streaming: indices below 2^32).
func (x *index) each(fn func(idx int)) {
	for _, v := range x.slots {
		if v != 0 {
			fn(int(uint32(v) - 1))
		}
	}
}

// remove deletes the entry that points at record idx, whose key has tag
// tag, if there is one (linear probing with backward-shift deletion:
// later entries of the probe run move back, so lookups never stop early).
func (x *index) remove(tag uint32, idx int) {
	if len(x.slots) == 0 {
		return
	}
	mask := uint64(len(x.slots) - 1)
	want := uint32(idx + 1)
	i := uint64(tag) >> x.shift
	for {
		v := x.slots[i]
		if v == 0 {
			return
		}
		if uint32(v>>32) == tag && uint32(v) == want {
			break
		}
		i = (i + 1) & mask
	}
	x.used--
	for j := i; ; {
		x.slots[i] = 0
		for {
			j = (j + 1) & mask
			v := x.slots[j]
			if v == 0 {
				return
			}
			// The entry at j may move to the hole at i unless its home
			// position lies cyclically in (i, j].
			home := (v >> 32) >> x.shift
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				x.slots[i] = v
				i = j
				break
			}
		}
	}
}
