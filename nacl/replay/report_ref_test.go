package replay

// BuildReport is the materialised reference of Summarize: it judges
// every recorded key the same way but keeps every conversation's result,
// with its denials and fixes, in Conversations (about 5 KB each). The
// tests compare the streaming report with it.
func BuildReport(j *Judge, rec *Recording) *Report {
	return buildReport(j, rec, true, ReportOptions{})
}

// BuildReportWith is BuildReport with options.
func BuildReportWith(j *Judge, rec *Recording, o ReportOptions) *Report {
	return buildReport(j, rec, true, o)
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
