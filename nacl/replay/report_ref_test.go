package replay

import "github.com/flowverify/flowverify/flows"

// BuildReport is the materialised reference of Summarize: it judges every
// recorded key the same way but keeps every conversation's result, with
// its denials and fixes, in Conversations (about 5 KB each). The tests
// compare the streaming report with it.
func BuildReport(j *Judge, rec *Recording) *Report {
	r := newReport(rec)
	fx := newFixer(j)
	cb := &convBuilder{j: j, rec: rec}
	for id := 1; id <= rec.NumConversations(); id++ {
		if !rec.hasKeys(id) {
			continue
		}
		var conv *flows.Conversation
		if rec.Conversations != nil {
			conv = rec.Conversations[id-1]
		} else {
			conv = new(flows.Conversation)
			rec.Conversation(id, conv)
		}
		cr := &ConvResult{Conv: conv}
		cb.fill(id, cr, false)
		r.countConv(cr, fx)
		r.Conversations = append(r.Conversations, cr)
	}
	r.finish(j, rec, fx)
	for _, cr := range r.Conversations {
		cr.Denials = appendDenials(nil, cr)
		cr.Fixes = fx.indexes(cr)
	}
	return r
}

// Finish classifies the conversations and returns the recording with
// every conversation materialised in Conversations (about 500 bytes
// each). The recorder must not be used afterwards. Large captures should
// use Classify. It is the tests' materialised reference.
func (r *Recorder) Finish() *Recording {
	cls := r.table.Classify()
	rec := r.recording(cls.Summary())
	rec.Conversations = cls.All()
	return rec
}
