package render

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// PacketWriter formats per-packet lines (--packets) without reflection,
// reusing one buffer: JSON lines, CSV rows and text lines.
type PacketWriter struct {
	opts   *Options
	buf    []byte
	quoted map[string][]byte
	// The formatted time up to the seconds and the '.' of the last packet:
	// consecutive packets mostly share it, and formatting a time is the
	// most expensive part of a line.
	tsSec   int64
	tsValid bool
	tsHead  []byte
}

// NewPacketWriter returns a writer using opts for file names and times.
func NewPacketWriter(opts *Options) *PacketWriter {
	return &PacketWriter{opts: opts, quoted: map[string][]byte{}}
}

// q appends s as a JSON string, caching the few distinct file and ACL names.
func (w *PacketWriter) q(b []byte, s string) []byte {
	if v, ok := w.quoted[s]; ok {
		return append(b, v...)
	}
	v, _ := json.Marshal(s)
	if len(w.quoted) < 4096 {
		w.quoted[s] = v
	}
	return append(b, v...)
}

// JSON returns one JSON object (with a trailing newline) for the packet:
// file, frame, time, proto, src, dst, sport/dport (when the protocol has
// them), icmp_type/icmp_code (ICMP), conversation, leg, verdict, reason
// (exempt/not-filtered), uncertain and uncertain_reason (when uncertain:
// which field was unknown and why) and checks. The slice is
// reused by the next call.
func (w *PacketWriter) JSON(p *capture.Packet, r *replay.PacketResult) []byte {
	b := w.buf[:0]
	b = append(b, `{"file":`...)
	b = w.q(b, w.opts.file(p.File))
	b = append(b, `,"frame":`...)
	b = strconv.AppendInt(b, p.Frame, 10)
	b = append(b, `,"time":"`...)
	b = w.appendTime(b, p)
	b = append(b, `","proto":"`...)
	b = append(b, flows.ProtoName(p.Proto)...)
	b = append(b, `","src":"`...)
	b = p.Src.AppendTo(b)
	b = append(b, `","dst":"`...)
	b = p.Dst.AppendTo(b)
	b = append(b, '"')
	if (p.Proto == capture.ProtoTCP || p.Proto == capture.ProtoUDP) && p.HasPorts {
		b = append(b, `,"sport":`...)
		b = strconv.AppendUint(b, uint64(p.SrcPort), 10)
		b = append(b, `,"dport":`...)
		b = strconv.AppendUint(b, uint64(p.DstPort), 10)
	}
	if (p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6) && p.HasICMP {
		b = append(b, `,"icmp_type":`...)
		b = strconv.AppendUint(b, uint64(p.ICMPType), 10)
		b = append(b, `,"icmp_code":`...)
		b = strconv.AppendUint(b, uint64(p.ICMPCode), 10)
	}
	b = append(b, `,"conversation":`...)
	b = strconv.AppendInt(b, int64(r.Ref.ID), 10)
	if r.Role != "" {
		b = append(b, `,"leg":"`...)
		b = append(b, r.Role...)
		b = append(b, '"')
	}
	if r.Ref.ICMPError {
		b = append(b, `,"icmp_error":true`...)
	}
	b = append(b, `,"verdict":"`...)
	b = append(b, r.Judgement.Verdict...)
	b = append(b, '"')
	if r.Judgement.Reason != "" {
		b = append(b, `,"reason":"`...)
		b = append(b, r.Judgement.Reason...)
		b = append(b, '"')
	}
	if r.Judgement.Uncertain() {
		b = append(b, `,"uncertain":true`...)
		if why := replay.UncertainWhy(p); why != "" {
			b = append(b, `,"uncertain_reason":`...)
			b = w.q(b, why)
		}
	}
	b = w.appendChecksJSON(b, &r.Judgement)
	b = append(b, "}\n"...)
	w.buf = b
	return b
}

// PacketCSVHeader is the header of --packets --format csv.
var PacketCSVHeader = []string{"file", "frame", "time", "proto", "src", "sport", "dst", "dport", "conversation", "leg", "verdict", "reason", "checks"}

// CSV returns the packet's CSV cells (see PacketCSVHeader).
func (w *PacketWriter) CSV(p *capture.Packet, r *replay.PacketResult) []string {
	sp, dp := "", ""
	if (p.Proto == capture.ProtoTCP || p.Proto == capture.ProtoUDP) && p.HasPorts {
		sp, dp = strconv.Itoa(int(p.SrcPort)), strconv.Itoa(int(p.DstPort))
	}
	return []string{w.opts.file(p.File), strconv.FormatInt(p.Frame, 10), FormatTime(p.Time, w.opts.fileNano(p.File)), flows.ProtoName(p.Proto),
		p.Src.String(), sp, p.Dst.String(), dp, strconv.Itoa(r.Ref.ID), string(r.Role), string(r.Judgement.Verdict), r.Judgement.Reason,
		ChecksText(r.Judgement.Checks[:r.Judgement.NCheck], true)}
}

// Text returns one human line for the packet.
func (w *PacketWriter) Text(p *capture.Packet, r *replay.PacketResult) []byte {
	b := w.buf[:0]
	b = append(b, w.opts.file(p.File)...)
	b = append(b, ':')
	b = strconv.AppendInt(b, p.Frame, 10)
	b = append(b, ' ')
	b = w.appendTime(b, p)
	b = append(b, ' ')
	b = append(b, flows.ProtoName(p.Proto)...)
	b = append(b, ' ')
	ports := (p.Proto == capture.ProtoTCP || p.Proto == capture.ProtoUDP) && p.HasPorts
	b = AppendEndpoint(b, p.Src, p.SrcPort, ports)
	b = append(b, " > "...)
	b = AppendEndpoint(b, p.Dst, p.DstPort, ports)
	if r.Ref.ID > 0 {
		b = append(b, " #"...)
		b = strconv.AppendInt(b, int64(r.Ref.ID), 10)
		b = append(b, ' ')
		b = append(b, r.Role...)
	}
	b = append(b, ' ')
	b = append(b, r.Judgement.Verdict...)
	if r.Judgement.Reason != "" {
		b = append(b, " ("...)
		b = append(b, r.Judgement.Reason...)
		b = append(b, ')')
	}
	if r.Judgement.NCheck > 0 {
		b = append(b, ' ')
		b = append(b, ChecksText(r.Judgement.Checks[:r.Judgement.NCheck], true)...)
	}
	b = append(b, '\n')
	w.buf = b
	return b
}

// ChecksText formats checks compactly: "in#130" for one check (the
// verdict says its action) or, with several, "out#100:allow, in#130:deny";
// withACL prefixes each with its ACL id ("acl-a out#100:allow").
func ChecksText(cs []replay.Check, withACL bool) string {
	if len(cs) == 0 {
		return ""
	}
	var buf [96]byte
	return string(appendChecks(buf[:0], cs, withACL))
}

// appendChecks appends ChecksText(cs, withACL) to b.
func appendChecks(b []byte, cs []replay.Check, withACL bool) []byte {
	for i := range cs {
		c := &cs[i]
		if i > 0 {
			b = append(b, ", "...)
		}
		if withACL {
			b = append(b, c.ACL...)
			b = append(b, ' ')
		}
		b = append(b, dirWord(c.Direction)...)
		b = append(b, '#')
		b = strconv.AppendInt(b, int64(c.Rule), 10)
		if len(cs) > 1 {
			b = append(b, ':')
			b = append(b, c.Action.String()...)
		}
		if c.Uncertain {
			b = append(b, '?')
		}
	}
	return b
}

// appendTime appends the packet's time in UTC with its file's precision,
// as Options.appendTime does, reusing the formatted seconds of the
// previous packet when they are the same.
func (w *PacketWriter) appendTime(b []byte, p *capture.Packet) []byte {
	nano := w.opts.fileNano(p.File)
	t := p.Time.UTC()
	sec := t.Unix()
	if !w.tsValid || sec != w.tsSec || t.Year() < 0 || t.Year() > 9999 {
		w.tsHead = t.Truncate(time.Second).AppendFormat(w.tsHead[:0], "2006-01-02T15:04:05.")
		w.tsSec, w.tsValid = sec, t.Year() >= 0 && t.Year() <= 9999
	}
	b = append(b, w.tsHead...)
	return appendFraction(b, t.Nanosecond(), nano)
}
