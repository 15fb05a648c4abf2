package render

import (
	"io"
	"strings"

	"github.com/flowverify/flowverify/capture"
)

// IncompleteFile is an input that could not be read to its end.
type IncompleteFile struct {
	// Name is the file as given; Reason what stopped the reading, with
	// where (frame, offset) when known.
	Name, Reason string
}

// IncompleteFiles names the files not read to their end, with the
// reason of the fatal problem that stopped each; paths, when not nil, are
// the files' paths as opened (problems may name a file by either).
func IncompleteFiles(files []capture.FileInfo, paths []string, probs []capture.Problem) []IncompleteFile {
	var out []IncompleteFile
	for i := range files {
		f := &files[i]
		if f.Complete {
			continue
		}
		path := f.Name
		if i < len(paths) {
			path = paths[i]
		}
		reason := "not read to its end"
		for _, p := range probs {
			if p.Fatal && (p.File == f.Name || p.File == path) {
				reason = strings.TrimPrefix(p.Error(), p.File+": ")
				break
			}
		}
		out = append(out, IncompleteFile{Name: f.Name, Reason: reason})
	}
	return out
}

// complete reports whether every input was read to its end.
func (o *Options) complete() bool { return len(o.Incomplete) == 0 }

// writeIncompleteText prints the incomplete-input header, before the
// summary: the numbers that follow cover only what was read.
func (o *Options) writeIncompleteText(b *strings.Builder) {
	if o.complete() {
		return
	}
	b.WriteString("INCOMPLETE: the report covers only what could be read:\n")
	for _, f := range o.Incomplete {
		b.WriteString("  " + f.Name + ": " + f.Reason + "\n")
	}
	b.WriteByte('\n')
}

// filesJSON returns the "files" objects of a report: from Inputs, else
// from the names, marked incomplete when Incomplete names them.
func (o *Options) filesJSON() []FileJSON {
	if o.Inputs != nil {
		return filesJSON(o.Inputs)
	}
	out := make([]FileJSON, 0, len(o.Files))
	for _, n := range o.Files {
		f := FileJSON{Name: n, LinkTypes: []uint16{}, Complete: true}
		for _, i := range o.Incomplete {
			if i.Name == n {
				f.Complete = false
			}
		}
		out = append(out, f)
	}
	return out
}

// IncompleteLineJSON is the last line of a jsonl report when an input
// could not be read to its end: {"type":"incomplete","complete":false,
// "files":[...],"incomplete":[{"file","reason"}]}. Record lines never
// have a "type" member, so a reader tells it apart by that key; a jsonl
// report without it read every input to its end.
type IncompleteLineJSON struct {
	Type       string               `json:"type"`
	Complete   bool                 `json:"complete"`
	Files      []FileJSON           `json:"files"`
	Incomplete []IncompleteFileJSON `json:"incomplete"`
}

// IncompleteFileJSON names an input not read to its end and why.
type IncompleteFileJSON struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// WriteIncompleteJSONL writes the IncompleteLineJSON line to w when an
// input was not read to its end, and nothing otherwise.
func (o *Options) WriteIncompleteJSONL(w io.Writer) error {
	return writeIncompleteJSONL(w, o.filesJSON(), o.Incomplete)
}

// writeIncompleteJSONL writes the IncompleteLineJSON of files and inc to
// w, or nothing when inc is empty.
func writeIncompleteJSONL(w io.Writer, files []FileJSON, inc []IncompleteFile) error {
	if len(inc) == 0 {
		return nil
	}
	line := IncompleteLineJSON{Type: "incomplete", Files: files}
	for _, f := range inc {
		line.Incomplete = append(line.Incomplete, IncompleteFileJSON{File: f.Name, Reason: f.Reason})
	}
	return newJSONLines(w).write(line)
}
