package render

import (
	"encoding/csv"
	"io"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Check is the output of flowverify check: the report of a replay against
// a topology, and the text table measured while it was summarized (nil
// when it was not; see CheckTable).
type Check struct {
	Options  *Options
	Report   *replay.Report
	Topology *replay.Topology
	Table    *CheckTable
}

// Write prints the report in format (text, json, jsonl or csv) to w; with
// packets, pass2 streams every judged packet to its emit function for the
// per-packet listing. Write clears o.Report so that, once the report is
// written, the second pass can reuse its memory.
func (o *Check) Write(w *Output, format string, packets bool, pass2 func(emit func(*capture.Packet, replay.PacketResult) error) error) error {
	ro := o.Options
	pw := NewPacketWriter(ro)
	rep := o.Report
	o.Report = nil
	switch format {
	case "html":
		return ro.WriteCheckHTML(w, rep, o.Topology)
	case "json":
		if !packets {
			return ro.WriteCheckJSON(w, rep, o.Topology, nil)
		}
		// Stream the packets as a last member of the document.
		return ro.WriteCheckJSON(w, rep, o.Topology, func(io.Writer) error {
			w.WriteString("  \"packets\": [")
			first := true
			err := pass2(func(p *capture.Packet, r replay.PacketResult) error {
				if !first {
					w.WriteByte(',')
				}
				first = false
				w.WriteString("\n    ")
				line := pw.JSON(p, &r)
				_, err := w.Write(line[:len(line)-1])
				return err
			})
			if err != nil {
				return err
			}
			if !first {
				w.WriteString("\n  ")
			}
			_, err = w.WriteString("]")
			return err
		})
	case "jsonl":
		var err error
		if packets {
			err = pass2(func(p *capture.Packet, r replay.PacketResult) error {
				_, err := w.Write(pw.JSON(p, &r))
				return err
			})
		} else {
			err = ro.eachListedOrdered(rep, w.term != nil, func(ow *Options, cr *replay.ConvResult, b []byte) []byte {
				return append(ow.appendCheckConvJSON(b, cr), '\n')
			}, func(b []byte, safe bool) error { return writeListed(w, b, safe) })
		}
		if err != nil {
			return err
		}
		return ro.WriteIncompleteJSONL(w)
	case "csv":
		if packets {
			cw := csv.NewWriter(w)
			if err := cw.Write(PacketCSVHeader); err != nil {
				return err
			}
			err := pass2(func(p *capture.Packet, r replay.PacketResult) error { return cw.Write(pw.CSV(p, &r)) })
			cw.Flush()
			if err != nil {
				return err
			}
			return cw.Error()
		}
		return ro.WriteCheckCSV(w, rep)
	}
	if err := ro.WriteCheckText(w, rep, o.Topology, o.Table); err != nil {
		return err
	}
	if !packets {
		return nil
	}
	w.WriteString("\nPACKETS\n")
	return pass2(func(p *capture.Packet, r replay.PacketResult) error {
		_, err := w.Write(pw.Text(p, &r))
		return err
	})
}
