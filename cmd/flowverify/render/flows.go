package render

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Flows is the report of `flowverify flows`, in every format. The
// conversations arrive one at a time as the streaming table finishes them
// (Add); JSONL and CSV print each at once, so that `flows --live --format
// jsonl` shows a connection when it ends and memory stays flat. Text and
// JSON print the summary first, so their conversation rows wait in a
// spool (memory up to 32 MiB, then an unlinked temporary file) until
// Close has the summary.
type Flows struct {
	stream *capture.Stream
	// fmt is the format of the rows (files and precision) as of the
	// latest conversation.
	fmt   *flowsFormat
	sum   flows.Summary
	probs []capture.Problem
	// match, when not nil, keeps only the conversations it accepts in the
	// listings (see SetMatch).
	match     func(*flows.Conversation) bool
	matchDesc string

	format string
	colour bool
	// w buffers the output; batches found safe skip the scan of the
	// TermWriter under it, if any (writeListed).
	w   *Output
	err error
	// n counts every conversation, listed counts those listed.
	n, listed int
	// cur is the batch being filled; pipe, when not nil, formats batches
	// on other goroutines (SetWorkers).
	cur  *flowsBatch
	pipe *replay.Pipeline[flowsBatch]
	// spool holds the rows of text and JSON until the summary is printed
	// (spoolUnsafe: some of them need TermWriter's escaping).
	spool       spool
	spoolUnsafe bool
	// text: the column widths of the listed rows, the ranking of services
	// and peers over every conversation.
	width []int
	top   flowsTopAcc
}

// SetMatch makes the report list only the conversations m accepts
// (--where, --conversation, described by desc); the summary still covers
// every one. Call it before the first Add.
func (r *Flows) SetMatch(m func(*flows.Conversation) bool, desc string) {
	r.match, r.matchDesc = m, desc
}

// NewFlows returns the report of stream s in format (text, json, jsonl
// or csv) to out; colour enables ANSI colours in text.
func NewFlows(s *capture.Stream, out io.Writer, format string, colour bool) *Flows {
	r := &Flows{stream: s, format: format, colour: colour, w: NewOutput(out, 1<<16),
		cur: &flowsBatch{convs: make([]flows.Conversation, 0, 1)}}
	r.refreshFiles()
	switch format {
	case "csv":
		_, r.err = r.w.Write(appendCSVRecord(r.w.AvailableBuffer(), FlowsCSVHeader))
	case "json", "jsonl":
	default:
		r.width = flowsTextWidths()
		r.top = newFlowsTopAcc()
	}
	return r
}

// SetWorkers has the rows formatted on workers goroutines, in batches,
// while the caller goes on adding conversations; they print in the same
// order and bytes as without. Meant for reading files: a row then prints
// a batch later than its conversation ended, so live captures and pipes
// keep the default (one goroutine, each row at once). Call it before the
// first Add.
func (r *Flows) SetWorkers(workers int) {
	if workers <= 1 || r.pipe != nil {
		return
	}
	r.pipe = replay.NewPipeline(workers, func() flowsBatch { return flowsBatch{convs: make([]flows.Conversation, 0, flowsBatchSize)} },
		func(_ int, b *flowsBatch) error { b.format(r.format, true); return nil }, r.consume, (*flowsBatch).reset)
	r.cur = r.pipe.Next()
}

// Idle writes out the rows formatted so far (jsonl and csv print each
// row when its conversation ends; text and json wait for the summary), for
// capture.Stream.SetIdle: from a pipe or a live capture, a row is out
// before the reading waits for more input, not when 64 KiB of rows have
// gathered. It does nothing with workers (SetWorkers: files) or after an
// error (Close reports it).
func (r *Flows) Idle() {
	if r.pipe != nil || r.err != nil || r.w.Buffered() == 0 {
		return
	}
	if r.format != "jsonl" && r.format != "csv" {
		return
	}
	r.err = r.w.Flush()
}

// refreshFiles reads the stream's files again: a capture's precision
// (micro- or nanoseconds) and the files of a merged read are known as
// they are opened. Timestamps print with nanoseconds from the first
// conversation of a nanosecond file on.
func (r *Flows) refreshFiles() {
	nano := false
	if r.fmt != nil {
		nano = r.fmt.nano
	}
	r.fmt = newFlowsFormat(r.stream.Files(), nano)
}

// Add reports conversation c (the emit function of
// flows.StreamConversations). It returns false once writing failed
// (Close returns the error): the caller may stop reading.
func (r *Flows) Add(c *flows.Conversation) bool {
	if r.err != nil || (r.pipe != nil && r.pipe.Failed()) {
		return false
	}
	r.n++
	if f := c.FirstFrame().File; f >= len(r.fmt.files) {
		r.send() // the rows before keep the format they had
		r.refreshFiles()
	}
	// Text ranks every conversation (consume does, off this goroutine),
	// and lists those the filter keeps.
	listed := r.match == nil || r.match(c)
	if listed {
		r.listed++
	} else if r.top.svcs == nil {
		return true
	}
	r.cur.convs = append(r.cur.convs, *c)
	if r.match != nil && r.top.svcs != nil {
		r.cur.hidden = append(r.cur.hidden, !listed)
	}
	if len(r.cur.convs) == cap(r.cur.convs) {
		r.send()
	}
	return r.err == nil
}

// send formats and writes the current batch: at once, or on the pipe.
func (r *Flows) send() {
	b := r.cur
	if len(b.convs) == 0 {
		return
	}
	b.f, b.listed = r.fmt, r.listed-len(b.convs)+b.unlisted()
	if r.pipe != nil {
		r.pipe.Submit()
		r.cur = r.pipe.Next()
		return
	}
	b.format(r.format, false)
	if err := r.consume(b); err != nil && r.err == nil {
		r.err = err
	}
	b.reset()
}

// consume writes a formatted batch: to the output (jsonl, csv) or the
// spool (json, text). With a pipe it runs on the pipe's goroutine, the
// only one then writing to the output or the spool.
func (r *Flows) consume(b *flowsBatch) error {
	switch r.format {
	case "jsonl", "csv":
		return writeListed(r.w, b.out, b.safe)
	case "json":
		r.spoolUnsafe = r.spoolUnsafe || !b.safe
	default:
		for i := range b.convs {
			r.top.add(&b.convs[i])
		}
		for i, w := range b.width {
			r.width[i] = max(r.width[i], w)
		}
	}
	return r.spool.write(b.out)
}

// Close writes the rest of the report once the capture is read: sum is
// the streaming table's summary. It returns the first error met.
func (r *Flows) Close(sum flows.Summary) error {
	defer r.spool.close()
	r.send()
	if r.pipe != nil {
		if err := r.pipe.Close(); err != nil && r.err == nil {
			r.err = err
		}
		r.pipe = nil
	}
	r.sum = sum
	r.refreshFiles()
	r.probs = r.stream.Problems()
	err := r.err
	if err == nil {
		files := r.fmt.files
		switch r.format {
		case "jsonl":
			err = writeIncompleteJSONL(r.w, filesJSON(files), IncompleteFiles(files, nil, r.probs))
		case "csv":
		case "json":
			err = r.writeJSONDocument(r.w)
		default:
			err = r.writeText(r.w, r.colour)
		}
	}
	if ferr := r.w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// DirJSON counts one direction of a conversation.
type DirJSON struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// FlowsConvJSON is one conversation in json/jsonl output. Field names are
// stable: fields may be added, never renamed.
type FlowsConvJSON struct {
	ID             int          `json:"id"`
	Proto          string       `json:"proto"`
	IPVersion      uint8        `json:"ip_version"`
	Client         EndpointJSON `json:"client"`
	Server         EndpointJSON `json:"server"`
	ServicePort    *uint16      `json:"service_port,omitempty"`
	EchoID         *uint16      `json:"echo_id,omitempty"`
	Evidence       string       `json:"evidence"`
	Confidence     string       `json:"confidence"`
	ClientProfiles []string     `json:"client_profiles"`
	State          string       `json:"state"`
	Handshake      bool         `json:"handshake"`
	First          string       `json:"first"`
	Last           string       `json:"last"`
	DurationSec    float64      `json:"duration_s"`
	// FirstFrame is the conversation's first packet, {"file","frame"}
	// as in every other document.
	FirstFrame FrameJSON `json:"first_frame"`
	ToServer   DirJSON   `json:"to_server"`
	ToClient   DirJSON   `json:"to_client"`
	ICMPErrors uint64    `json:"icmp_errors"`
	Fragments  uint64    `json:"fragments"`
}

// FlowsJSON is the whole report in --format json (conversations last,
// so that the document can be streamed).
type FlowsJSON struct {
	Files         []FileJSON       `json:"files"`
	Summary       FlowsSummaryJSON `json:"summary"`
	Conversations []FlowsConvJSON  `json:"conversations"`
	Problems      []ProblemJSON    `json:"problems"`
}

// FileJSON describes one input file of flows.
type FileJSON struct {
	Name       string   `json:"name"`
	Format     string   `json:"format"`
	Gzip       bool     `json:"gzip"`
	Nanosecond bool     `json:"nanosecond"`
	LinkTypes  []uint16 `json:"link_types"`
	Records    int64    `json:"records"`
	Complete   bool     `json:"complete"`
}

// FlowsSummaryJSON is the summary of flows: records, conversations by
// protocol, anomalies by reason.
type FlowsSummaryJSON struct {
	Packets              uint64            `json:"packets"`
	IP                   uint64            `json:"ip"`
	NonIP                uint64            `json:"non_ip"`
	Undecodable          uint64            `json:"undecodable"`
	Conversations        int               `json:"conversations"`
	ConversationsByProto map[string]int    `json:"conversations_by_proto"`
	Anomalies            map[string]uint64 `json:"anomalies"`
}

// ProblemJSON is one problem met while reading the inputs.
type ProblemJSON struct {
	File   string `json:"file"`
	Frame  int64  `json:"frame,omitempty"`
	Offset int64  `json:"offset"`
	Reason string `json:"reason"`
	Fatal  bool   `json:"fatal"`
}

// writeJSONDocument writes a FlowsJSON: the head fields, then the
// spooled conversations.
func (r *Flows) writeJSONDocument(w io.Writer) error {
	head := []struct {
		name string
		v    any
	}{{"files", filesJSON(r.fmt.files)}, {"summary", r.summaryJSON()}, {"problems", problemsJSON(r.probs)}}
	io.WriteString(w, "{\n")
	for _, h := range head {
		b, err := json.MarshalIndent(h.v, "  ", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %q: %s,\n", h.name, b)
	}
	io.WriteString(w, `  "conversations": [`)
	if err := r.copySpool(w); err != nil {
		return err
	}
	if r.listed > 0 {
		io.WriteString(w, "\n  ")
	}
	_, err := io.WriteString(w, "]\n}\n")
	return err
}

// copySpool copies the spooled rows to w, the report's writer; rows
// every one of which was found safe skip TermWriter's scan.
func (r *Flows) copySpool(w io.Writer) error {
	if r.spoolUnsafe || r.w.term == nil || w != io.Writer(r.w) {
		return r.spool.copyTo(w)
	}
	if err := r.w.Flush(); err != nil {
		return err
	}
	return r.spool.copyTo(safeWriter{r.w.term})
}

func filesJSON(files []capture.FileInfo) []FileJSON {
	out := make([]FileJSON, 0, len(files))
	for _, f := range files {
		lt := f.LinkTypes
		if lt == nil {
			lt = []uint16{}
		}
		out = append(out, FileJSON{f.Name, f.Format, f.Gzip, f.Nanosecond, lt, f.Records, f.Complete})
	}
	return out
}

func problemsJSON(probs []capture.Problem) []ProblemJSON {
	out := make([]ProblemJSON, 0, len(probs))
	for _, p := range probs {
		out = append(out, ProblemJSON{p.File, p.Frame, p.Offset, p.Reason, p.Fatal})
	}
	return out
}

func (r *Flows) summaryJSON() FlowsSummaryJSON {
	s := FlowsSummaryJSON{
		Packets: r.sum.Packets, IP: r.sum.IP, NonIP: r.sum.NonIP, Undecodable: r.sum.Undecodable,
		Conversations:        r.n,
		ConversationsByProto: r.sum.ConversationsByProto,
		Anomalies:            r.sum.Anomalies,
	}
	if s.ConversationsByProto == nil {
		s.ConversationsByProto = map[string]int{}
	}
	if s.Anomalies == nil {
		s.Anomalies = map[string]uint64{}
	}
	return s
}

// FlowsCSVHeader names the CSV columns of the conversation table.
var FlowsCSVHeader = []string{
	"id", "proto", "client", "client_port", "server", "server_port", "client_profiles",
	"to_server_packets", "to_server_bytes", "to_client_packets", "to_client_bytes",
	"state", "handshake", "evidence", "confidence", "first", "last", "duration_s", "first_file", "first_frame",
}

// flowsTextHeaders are the columns of the flows conversation table.
var flowsTextHeaders = []string{"ID", "PROTO", "CLIENT", "SERVER", "CLIENT-PROFILES", "PKTS>", "BYTES>", "PKTS<", "BYTES<",
	"STATE", "EVIDENCE", "CONF", "DURATION"}

// flowsTextWidths returns the widths of the table's headers.
func flowsTextWidths() []int {
	w := make([]int, len(flowsTextHeaders))
	for i, h := range flowsTextHeaders {
		w[i] = runeCount(h)
	}
	return w
}

func (r *Flows) writeText(w io.Writer, colour bool) error {
	t := newStreamTable(flowsTextHeaders...).alignRight(0, 5, 6, 7, 8)
	t.colour = func(_, col int, cell string) string {
		switch {
		case col == 9 && (cell == string(flows.StateRejected) || cell == string(flows.StateUnanswered)):
			return ansiYellow
		case col == 11 && cell == string(flows.Low):
			return ansiYellow
		}
		return ""
	}
	// The answer first: the summary, the top services and peers, then
	// the conversations.
	if err := r.writeSummaryText(w, colour); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if r.n > 0 {
		if err := r.writeTopText(w); err != nil {
			return err
		}
	}
	if r.match != nil {
		fmt.Fprintf(w, "Conversations matching %s (the summary counts every one)\n", r.matchDesc)
	}
	if r.n == 0 {
		return nil
	}
	// The rows were measured as they came; they are read back from the
	// spool (see Add for the row format).
	t.measure = func(width []int) { copy(width, r.width) }
	return t.writeBytes(w, colour, func(emit func(cells [][]byte) error) error {
		rd, err := r.spool.reader()
		if err != nil {
			return err
		}
		cells := make([][]byte, 0, len(flowsTextHeaders))
		var row []byte
		for {
			n, err := binary.ReadUvarint(rd)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil || n > 1<<20 {
				return fmt.Errorf("reading the spooled conversation table: bad row length (%v)", err)
			}
			row = slices.Grow(row[:0], int(n))[:n]
			if _, err := io.ReadFull(rd, row); err != nil {
				return fmt.Errorf("reading the spooled conversation table: %w", err)
			}
			cells = cells[:0]
			for rest := row; len(rest) > 0; {
				i := bytes.IndexByte(rest, 0)
				cells = append(cells, rest[:i:i])
				rest = rest[i+1:]
			}
			if err := emit(cells); err != nil {
				return err
			}
		}
	})
}

func (r *Flows) writeSummaryText(w io.Writer, colour bool) error {
	fmt.Fprintln(w, colourText("Summary", ansiBold, colour))
	for _, f := range r.fmt.files {
		state := "complete"
		if !f.Complete {
			state = colourText("INCOMPLETE", ansiRed, colour)
		}
		kind := f.Format
		if kind == "" {
			kind = "not read as a capture"
		}
		if f.Gzip {
			kind += "+gzip"
		}
		fmt.Fprintf(w, "  file %s: %s, link types %s, %d records, %s\n", f.Name, kind, linkTypesText(f.LinkTypes), f.Records, state)
	}
	s := r.sum
	fmt.Fprintf(w, "  packets read: %d (ip %d, non-ip %d, undecodable %d)\n", s.Packets, s.IP, s.NonIP, s.Undecodable)
	fmt.Fprintf(w, "  conversations: %d%s\n", r.n, protoCountsText(s.ConversationsByProto))
	if len(s.Anomalies) > 0 {
		fmt.Fprintf(w, "  anomalies:%s\n", anomaliesText(s.Anomalies))
	}
	return nil
}

// conversation builds the text table cells of c.
func (row *cellRow) conversation(c *flows.Conversation) [][]byte {
	row.reset()
	row.b = strconv.AppendInt(row.b, int64(c.ID), 10)
	row.end()
	row.b = append(row.b, flows.ProtoName(c.Proto)...)
	row.end()
	row.b = appendEndpointText(row.b, c, c.Client)
	row.end()
	row.b = appendEndpointText(row.b, c, c.Server)
	row.end()
	if len(c.ClientProfiles) == 0 {
		row.b = append(row.b, '-')
	}
	for i, p := range c.ClientProfiles {
		if i > 0 {
			row.b = append(row.b, ',')
		}
		row.b = append(row.b, p...)
	}
	row.end()
	for _, v := range [4]uint64{c.ToServer.Packets, c.ToServer.Bytes, c.ToClient.Packets, c.ToClient.Bytes} {
		row.b = strconv.AppendUint(row.b, v, 10)
		row.end()
	}
	row.b = append(row.b, c.State...)
	row.end()
	row.b = append(row.b, c.Evidence...)
	row.end()
	row.b = append(row.b, c.Confidence...)
	row.end()
	row.b = appendHumanDuration(row.b, c.Duration())
	row.end()
	return row.cells()
}

// cellRow builds the cells of one table row in a reused buffer.
type cellRow struct {
	b    []byte
	ends []int
	cs   [][]byte
}

func (r *cellRow) reset() { r.b, r.ends = r.b[:0], r.ends[:0] }

// end closes the cell appended since the previous one.
func (r *cellRow) end() { r.ends = append(r.ends, len(r.b)) }

// cells returns the row's cells (valid until the next reset).
func (r *cellRow) cells() [][]byte {
	r.cs = r.cs[:0]
	start := 0
	for _, e := range r.ends {
		r.cs = append(r.cs, r.b[start:e:e])
		start = e
	}
	return r.cs
}

// appendEndpointText appends an endpoint of c for the flows table:
// AppendEndpoint, and the echo identifier after an ICMP echo client
// ("10.0.1.10 id=7").
func appendEndpointText(b []byte, c *flows.Conversation, e flows.Endpoint) []byte {
	b = appendEndpoint(b, e, c.HasPorts())
	if !c.HasPorts() && c.Evidence == flows.EvidenceICMPEcho && e == c.Client {
		b = append(b, " id="...)
		b = strconv.AppendUint(b, uint64(c.EchoID), 10)
	}
	return b
}

// appendHumanDuration appends humanDuration(d) (without allocating:
// Duration.String is inlined and its result does not escape).
func appendHumanDuration(b []byte, d time.Duration) []byte {
	switch {
	case d <= 0:
		return append(b, "0s"...)
	case d < time.Second:
		d = d.Round(time.Microsecond)
	case d < time.Minute:
		d = d.Round(time.Millisecond)
	default:
		d = d.Round(time.Second)
	}
	return append(b, d.String()...)
}

func protoCountsText(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func anomaliesText(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n    %-40s %d", k, m[k])
	}
	return b.String()
}

// linkTypeNames names the link types flowverify decodes.
var linkTypeNames = map[uint16]string{
	0: "NULL", 1: "Ethernet", 12: "RAW", 14: "RAW", 101: "RAW", 108: "LOOP", 113: "Linux SLL",
	228: "IPv4", 229: "IPv6", 239: "NFLOG", 258: "PKTAP", 276: "Linux SLL2",
}

func linkTypesText(lts []uint16) string {
	if len(lts) == 0 {
		return "-"
	}
	parts := make([]string, len(lts))
	for i, lt := range lts {
		if n, ok := linkTypeNames[lt]; ok {
			parts[i] = fmt.Sprintf("%s(%d)", n, lt)
		} else if n := capture.LinkTypeName(lt); n != "" {
			parts[i] = fmt.Sprintf("%s(%d)", n, lt) // not decoded: its records are undecodable
		} else {
			parts[i] = strconv.Itoa(int(lt))
		}
	}
	return strings.Join(parts, ",")
}

// maxRankedPeers bounds the distinct client addresses the flows summary
// ranks (a flood has one per conversation); conversations of further
// peers are counted as "other peers".
const maxRankedPeers = 65536

// flowsTop is how many services and peers the flows summary lists.
const flowsTop = 10

// maxCountedClients bounds the distinct clients counted per service;
// beyond it the count prints as "N+".
const maxCountedClients = 1024

// flowsRank is one row of the flows summary: a service or a peer with
// its conversations, packets and distinct counterparts.
type flowsRank struct {
	key string
	// proto, port (services) and addr (peers) order ties.
	proto uint8
	port  int
	addr  netip.Addr
	convs int
	pkts  uint64
	peers map[netip.Addr]struct{} // services: distinct clients (at most maxCountedClients)
}

// writeRankText writes the top rows of m, most conversations first, then
// by packets and key; peerHead names the distinct-counterpart column
// ("" for none).
func writeRankText[K comparable](w io.Writer, title, keyHead, peerHead string, m map[K]*flowsRank, other int) error {
	rows := make([]*flowsRank, 0, len(m))
	for _, r := range m {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b *flowsRank) int {
		return cmp.Or(cmp.Compare(b.convs, a.convs), cmp.Compare(b.pkts, a.pkts),
			cmp.Compare(a.proto, b.proto), cmp.Compare(a.port, b.port), a.addr.Compare(b.addr))
	})
	fmt.Fprintf(w, "%s (top %d of %d)\n", title, min(flowsTop, len(rows)), len(rows))
	heads := []string{keyHead, "CONVS", "PACKETS"}
	if peerHead != "" {
		heads = append(heads, peerHead)
	}
	t := newTextTable(heads...).alignRight(1, 2, 3)
	for i, r := range rows {
		if i == flowsTop {
			break
		}
		cells := []string{r.key, strconv.Itoa(r.convs), strconv.FormatUint(r.pkts, 10)}
		if peerHead != "" {
			n := strconv.Itoa(len(r.peers))
			if len(r.peers) >= maxCountedClients {
				n += "+"
			}
			cells = append(cells, n)
		}
		t.add(cells...)
	}
	if err := t.write(w, false); err != nil {
		return err
	}
	if other > 0 {
		fmt.Fprintf(w, "  (%d conversation(s) of further peers not ranked: more than %d distinct peers)\n", other, maxRankedPeers)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// flowsTopAcc ranks services (server protocol and port, or ICMP) and
// peers (client address) over every conversation, as they arrive. The
// maps are keyed by values, so that counting a conversation allocates
// nothing (a flood has millions); the printed key is made once per row.
type flowsTopAcc struct {
	svcs  map[flowsService]*flowsRank
	peers map[netip.Addr]*flowsRank
	other int
}

// flowsService is a service's key: protocol and server port (-1 for
// protocols without ports).
type flowsService struct {
	proto uint8
	port  int
}

func newFlowsTopAcc() flowsTopAcc {
	return flowsTopAcc{svcs: map[flowsService]*flowsRank{}, peers: map[netip.Addr]*flowsRank{}}
}

// add counts conversation c.
func (a *flowsTopAcc) add(c *flows.Conversation) {
	pk := c.ToServer.Packets + c.ToClient.Packets
	sk := flowsService{proto: c.Proto, port: -1}
	if c.HasPorts() {
		sk.port = int(c.Server.Port)
	}
	s := a.svcs[sk]
	if s == nil {
		key := flows.ProtoName(c.Proto)
		if sk.port >= 0 {
			key += "/" + strconv.Itoa(sk.port)
		}
		s = &flowsRank{key: key, proto: c.Proto, port: sk.port, peers: map[netip.Addr]struct{}{}}
		a.svcs[sk] = s
	}
	s.convs++
	s.pkts += pk
	if len(s.peers) < maxCountedClients {
		s.peers[c.Client.Addr] = struct{}{}
	}
	p := a.peers[c.Client.Addr]
	if p == nil {
		if len(a.peers) >= maxRankedPeers {
			a.other++
			return
		}
		p = &flowsRank{key: c.Client.Addr.String(), addr: c.Client.Addr}
		a.peers[c.Client.Addr] = p
	}
	p.convs++
	p.pkts += pk
}

// writeTopText writes the flows summary by service and by peer, over
// every conversation.
func (r *Flows) writeTopText(w io.Writer) error {
	if err := writeRankText(w, "BY SERVICE", "SERVICE", "CLIENTS", r.top.svcs, 0); err != nil {
		return err
	}
	return writeRankText(w, "BY PEER (client address)", "CLIENT", "", r.top.peers, r.top.other)
}
