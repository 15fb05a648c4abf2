package render

import (
	"strings"
)

// IncompleteFile is an input that could not be read to its end.
type IncompleteFile struct {
	// Name is the file as given; Reason what stopped the reading, with
	// where (frame, offset) when known.
	Name, Reason string
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
