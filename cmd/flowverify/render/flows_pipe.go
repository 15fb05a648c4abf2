package render

import (
	"encoding/binary"
	"strconv"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// The flows report formats its conversations in batches. Reading a file,
// the batches are formatted on every core (SetWorkers, a
// replay.Pipeline) while the conversation table goes on, and written in
// ID order by one goroutine:
// on a SYN flood, whose millions of conversations all end when the
// capture does, formatting was most of the run and had one core. A live
// capture or a pipe formats each conversation as it ends, on the
// table's goroutine (batches of one), so that a row prints when its
// conversation ends. Both go through flowsBatch.format: one formatter.

// flowsFormat is what a row needs besides its conversation: the files
// known when the conversation ended, their names as JSON strings, and
// the timestamp precision. It never changes once made (a new one is made
// when a file is opened), so batches formatted at once share it.
type flowsFormat struct {
	files []capture.FileInfo
	// fileJSON[i] is file i's name as a JSON string, escapeHTML off and on.
	fileJSON [][2][]byte
	nano     bool
	// namesPlain says every file name is printable ASCII (see rowPlain).
	namesPlain bool
}

// newFlowsFormat returns the format of files; nano says a nanosecond
// file was seen before (timestamps keep nanoseconds from then on).
func newFlowsFormat(files []capture.FileInfo, nano bool) *flowsFormat {
	f := &flowsFormat{files: files, nano: nano, fileJSON: make([][2][]byte, len(files)), namesPlain: true}
	for i, fi := range files {
		f.nano = f.nano || fi.Nanosecond
		f.namesPlain = f.namesPlain && plainASCII(fi.Name)
		f.fileJSON[i] = [2][]byte{appendJSONString(nil, fi.Name, false), appendJSONString(nil, fi.Name, true)}
	}
	return f
}

// appendFileJSON appends the name of file i as a JSON string, as
// appendJSONString would.
func (f *flowsFormat) appendFileJSON(b []byte, i int, escapeHTML bool) []byte {
	if i < 0 || i >= len(f.fileJSON) {
		return appendJSONString(b, "", escapeHTML)
	}
	h := 0
	if escapeHTML {
		h = 1
	}
	return append(b, f.fileJSON[i][h]...)
}

// fileName returns the name of file i ("" when unknown).
func (f *flowsFormat) fileName(i int) string {
	if i >= 0 && i < len(f.files) {
		return f.files[i].Name
	}
	return ""
}

// flowsBatchSize is how many conversations a batch holds when batches
// are formatted on other goroutines (a variable for tests).
var flowsBatchSize = 256

// flowsBatch is a run of consecutive listed conversations and, once
// formatted, what they print.
type flowsBatch struct {
	convs []flows.Conversation
	// hidden, when not nil, marks the conversations not listed (text: the
	// summary ranks them, the table does not list them).
	hidden []bool
	f      *flowsFormat
	// listed is how many conversations were listed before this batch
	// (json: the first one opens the array without a comma).
	listed int
	out    []byte
	// width: text, the widest cell of each column in this batch.
	width []int
	// safe says out holds no byte TermWriter would escape (checked by the
	// goroutine that formatted it).
	safe bool
	// Scratch space of the formatter.
	row     cellRow
	compact []byte
}

// unlisted counts the batch's conversations that are not listed.
func (b *flowsBatch) unlisted() int {
	n := 0
	for _, h := range b.hidden {
		if h {
			n++
		}
	}
	return n
}

// reset empties the batch for reuse.
func (b *flowsBatch) reset() {
	b.convs, b.hidden = b.convs[:0], b.hidden[:0]
}

// jsonRowIndenter indents the conversations of --format json, as
// json.MarshalIndent(v, "    ", "  ") does (read-only: shared).
var jsonRowIndenter = newJSONIndenter("    ", "  ")

// format formats the batch's conversations in format into out; check
// says to check out for terminal safety.
func (b *flowsBatch) format(format string, check bool) {
	out := b.out[:0]
	switch format {
	case "jsonl":
		for i := range b.convs {
			out = append(b.f.appendConvJSON(out, &b.convs[i], false), '\n')
		}
	case "csv":
		for i := range b.convs {
			out = b.f.appendConvCSV(out, &b.convs[i])
		}
	case "json":
		// As json.MarshalIndent(convJSON(c), "    ", "  "): compact
		// (HTML-escaped) encoding, then indentation.
		for i := range b.convs {
			b.compact = b.f.appendConvJSON(b.compact[:0], &b.convs[i], true)
			if b.listed+i == 0 {
				out = append(out, "\n    "...)
			} else {
				out = append(out, ",\n    "...)
			}
			out = jsonRowIndenter.append(out, b.compact)
		}
	default:
		// A row is spooled as its length (uvarint) and its cells joined
		// by NUL (no cell holds one: numbers, addresses, names).
		if b.width == nil {
			b.width = make([]int, len(flowsTextHeaders))
		}
		clear(b.width)
		for i := range b.convs {
			if b.hidden != nil && b.hidden[i] {
				continue
			}
			cells := b.row.conversation(&b.convs[i])
			n := 0
			for k, cell := range cells {
				b.width[k] = max(b.width[k], runeCount(cell))
				n += len(cell) + 1
			}
			out = binary.AppendUvarint(out, uint64(n))
			for _, cell := range cells {
				out = append(append(out, cell...), 0)
			}
		}
	}
	b.out = out
	b.safe = check && (format != "text" && b.plain() || safePrefix(out) == len(out))
}

// plain reports whether the batch's json, jsonl or csv rows are
// printable ASCII and newlines only, known without reading them: every
// string they print is (rowPlain), and the rest is what the formatters
// write themselves (names, punctuation, numbers, times, addresses).
func (b *flowsBatch) plain() bool {
	if !b.f.namesPlain {
		return false
	}
	for i := range b.convs {
		if !rowPlain(&b.convs[i]) {
			return false
		}
	}
	return true
}

// rowPlain reports whether every string a json, jsonl or csv row of c
// prints, its file name aside (flowsFormat.namesPlain), is printable
// ASCII: what TermWriter passes as it is, and what JSON and CSV write
// unchanged. The protocol name is a constant or a number; the rest are
// checked, cheaper than reading the whole row for a byte to escape.
// TestRowPlainCoversEveryString sets each string of a conversation in
// turn to one a terminal would obey.
func rowPlain(c *flows.Conversation) bool {
	if c.Client.Addr.Zone() != "" || c.Server.Addr.Zone() != "" {
		return false
	}
	if !plainASCII(string(c.State)) || !plainASCII(string(c.Evidence)) || !plainASCII(string(c.Confidence)) {
		return false
	}
	for _, p := range c.ClientProfiles {
		if !plainASCII(p) {
			return false
		}
	}
	return true
}

// appendConvCSV appends c's CSV record (FlowsCSVHeader), byte for byte
// what encoding/csv's Writer writes for it (flows_text_test.go compares
// both).
func (f *flowsFormat) appendConvCSV(b []byte, c *flows.Conversation) []byte {
	ports := c.HasPorts()
	b = strconv.AppendInt(b, int64(c.ID), 10)
	b = appendCSVField(append(b, ','), flows.ProtoName(c.Proto))
	b = appendCSVAddr(append(b, ','), c.Client)
	b = append(b, ',')
	if ports {
		b = strconv.AppendUint(b, uint64(c.Client.Port), 10)
	}
	b = appendCSVAddr(append(b, ','), c.Server)
	b = append(b, ',')
	if ports {
		b = strconv.AppendUint(b, uint64(c.Server.Port), 10)
	}
	b = append(b, ',')
	start := len(b)
	for i, p := range c.ClientProfiles {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, p...)
	}
	b = quoteCSVTail(b, start)
	for _, v := range [4]uint64{c.ToServer.Packets, c.ToServer.Bytes, c.ToClient.Packets, c.ToClient.Bytes} {
		b = strconv.AppendUint(append(b, ','), v, 10)
	}
	b = appendCSVField(append(b, ','), string(c.State))
	b = strconv.AppendBool(append(b, ','), c.HandshakeSeen)
	b = appendCSVField(append(b, ','), string(c.Evidence))
	b = appendCSVField(append(b, ','), string(c.Confidence))
	first, last := c.First(), c.Last()
	b = AppendTime(append(b, ','), first, f.nano)
	b = AppendTime(append(b, ','), last, f.nano)
	b = strconv.AppendFloat(append(b, ','), last.Sub(first).Seconds(), 'f', -1, 64)
	ff := c.FirstFrame()
	b = appendCSVField(append(b, ','), f.fileName(ff.File))
	b = strconv.AppendInt(append(b, ','), ff.Frame, 10)
	return append(b, '\n')
}
