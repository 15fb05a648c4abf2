package flows

import "github.com/flowverify/flowverify/capture"

// ClassifyStream reads s to its end (or first error, which s reports)
// into a conversation table and classifies it. Packets come in batches
// decoded ahead by the stream's goroutine; AddAll overlaps the table's
// memory accesses over several of them. Conversations are then built one
// at a time (Classified.Conversations), so memory stays at the table's
// compact size.
func ClassifyStream(s *capture.Stream, cfg Config) *Classified {
	t := NewTable(cfg)
	for {
		ps, err := s.NextBatch(256)
		if err != nil {
			return t.Classify()
		}
		t.AddAll(ps)
	}
}
