package synth

import (
	"cmp"
	"slices"

	"github.com/flowverify/flowverify/flows"
)

// Synthesize runs the algorithm of SynthesizeRecording over conversations
// held in a slice (from flow logs, or built by a caller), with every
// exclusion in Result.Excluded; the tests also use it as the materialised
// reference of SynthesizeRecording. The input order does not matter: the result is the
// same for any permutation of convs.
func Synthesize(convs []*flows.Conversation, opts Options) (*Result, error) {
	sorted := make([]*flows.Conversation, 0, len(convs))
	for _, c := range convs {
		if c != nil {
			sorted = append(sorted, c)
		}
	}
	slices.SortFunc(sorted, compareConvs)
	return synthesize(sliceSource(sorted), opts, false, false)
}

// compareConvs orders conversations by ID, then by content, so that any
// permutation of the input gives the same result.
func compareConvs(a, b *flows.Conversation) int {
	if a == nil || b == nil {
		return cmp.Compare(boolInt(a == nil), boolInt(b == nil))
	}
	if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := a.Client.Addr.Compare(b.Client.Addr); c != 0 {
		return c
	}
	if c := a.Server.Addr.Compare(b.Server.Addr); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Client.Port, b.Client.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Server.Port, b.Server.Port); c != 0 {
		return c
	}
	return a.First().Compare(b.First())
}
