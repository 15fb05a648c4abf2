package flowlog

import (
	"slices"
	"testing"
)

// TestInOrder: conversations finishing out of order are passed on in ID
// order, each once, as soon as those before it have finished.
func TestInOrder(t *testing.T) {
	var got []int
	done := InOrder(func(c *Conversation) { got = append(got, c.ID) })
	for i, id := range []int{2, 3, 1, 5, 4} {
		done(&Conversation{ID: id})
		want := [][]int{{}, {}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3, 4, 5}}[i]
		if !slices.Equal(got, want) {
			t.Fatalf("after finishing %d: passed on %v, want %v", id, got, want)
		}
	}
}
