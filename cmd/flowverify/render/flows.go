package render

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// Flows is the data of `flowverify flows`, shared by every format.
type Flows struct {
	files []capture.FileInfo
	convs *flows.Classified
	sum   flows.Summary
	nano  bool
	probs []capture.Problem
	// match, when not nil, keeps only the conversations it accepts in the
	// listings (see SetMatch).
	match     func(*flows.Conversation) bool
	matchDesc string
}

// SetMatch makes the report list only the conversations m accepts
// (--where, --conversation, described by desc); the summary still covers
// every one.
func (r *Flows) SetMatch(m func(*flows.Conversation) bool, desc string) {
	r.match, r.matchDesc = m, desc
}

// listed iterates over the listed conversations (all, or those the
// match accepts), in ID order, reusing one value as
// flows.Classified.Conversations does.
func (r *Flows) listed() iter.Seq[*flows.Conversation] {
	return func(yield func(*flows.Conversation) bool) {
		for c := range r.convs.Conversations() {
			if r.match != nil && !r.match(c) {
				continue
			}
			if !yield(c) {
				return
			}
		}
	}
}

// NewFlows returns the report of a stream read to its end and its
// classified conversations.
func NewFlows(s *capture.Stream, convs *flows.Classified) *Flows {
	r := &Flows{files: s.Files(), convs: convs, sum: convs.Summary(), probs: s.Problems()}
	for _, f := range r.files {
		r.nano = r.nano || f.Nanosecond
	}
	return r
}

// Write prints the report in format (text, json, jsonl or csv) to out;
// colour enables ANSI colours in text.
func (r *Flows) Write(out io.Writer, format string, colour bool) error {
	w := bufio.NewWriterSize(out, 1<<16)
	var err error
	switch format {
	case "json":
		err = r.writeJSONDocument(w)
	case "jsonl":
		for c := range r.listed() {
			if _, err = w.Write(append(r.appendConvJSON(w.AvailableBuffer(), c, false), '\n')); err != nil {
				break
			}
		}
		if err == nil {
			err = writeIncompleteJSONL(w, filesJSON(r.files), IncompleteFiles(r.files, nil, r.probs))
		}
	case "csv":
		cw := csv.NewWriter(w)
		err = cw.Write(FlowsCSVHeader)
		if err == nil {
			for c := range r.listed() {
				if err = cw.Write(r.csvRow(c)); err != nil {
					break
				}
			}
		}
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	default:
		err = r.writeText(w, colour)
	}
	if ferr := w.Flush(); err == nil {
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

func (r *Flows) fileName(i int) string {
	if i >= 0 && i < len(r.files) {
		return r.files[i].Name
	}
	return ""
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

// writeJSONDocument streams a FlowsJSON: the head fields, then one
// conversation at a time.
func (r *Flows) writeJSONDocument(w io.Writer) error {
	head := []struct {
		name string
		v    any
	}{{"files", filesJSON(r.files)}, {"summary", r.summaryJSON()}, {"problems", problemsJSON(r.probs)}}
	io.WriteString(w, "{\n")
	for _, h := range head {
		b, err := json.MarshalIndent(h.v, "  ", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %q: %s,\n", h.name, b)
	}
	io.WriteString(w, `  "conversations": [`)
	first := true
	var compact, b []byte
	indenter := newJSONIndenter("    ", "  ")
	for c := range r.listed() {
		// As json.MarshalIndent(r.convJSON(c), "    ", "  "): compact
		// (HTML-escaped) encoding, then indentation.
		compact = r.appendConvJSON(compact[:0], c, true)
		b = indenter.append(b[:0], compact)
		sep := ",\n    "
		if first {
			sep, first = "\n    ", false
		}
		io.WriteString(w, sep)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if !first {
		io.WriteString(w, "\n  ")
	}
	_, err := io.WriteString(w, "]\n}\n")
	return err
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
		Conversations:        r.convs.Len(),
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

func (r *Flows) csvRow(c *flows.Conversation) []string {
	cp, sp := "", ""
	if c.HasPorts() {
		cp, sp = strconv.Itoa(int(c.Client.Port)), strconv.Itoa(int(c.Server.Port))
	}
	ff := c.FirstFrame()
	return []string{
		strconv.Itoa(c.ID), flows.ProtoName(c.Proto), c.Client.Addr.String(), cp, c.Server.Addr.String(), sp,
		strings.Join(c.ClientProfiles, " "),
		u64(c.ToServer.Packets), u64(c.ToServer.Bytes), u64(c.ToClient.Packets), u64(c.ToClient.Bytes),
		string(c.State), strconv.FormatBool(c.HandshakeSeen), string(c.Evidence), string(c.Confidence),
		FormatTime(c.First(), r.nano), FormatTime(c.Last(), r.nano),
		strconv.FormatFloat(c.Duration().Seconds(), 'f', -1, 64), r.fileName(ff.File), strconv.FormatInt(ff.Frame, 10),
	}
}

func (r *Flows) writeText(w io.Writer, colour bool) error {
	t := newStreamTable("ID", "PROTO", "CLIENT", "SERVER", "CLIENT-PROFILES", "PKTS>", "BYTES>", "PKTS<", "BYTES<",
		"STATE", "EVIDENCE", "CONF", "DURATION").alignRight(0, 5, 6, 7, 8)
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
	if r.convs.Len() > 0 {
		if err := r.writeTopText(w); err != nil {
			return err
		}
	}
	if r.match != nil {
		fmt.Fprintf(w, "Conversations matching %s (the summary counts every one)\n", r.matchDesc)
	}
	if r.convs.Len() > 0 {
		// Cells are appended into one reused buffer: no allocation per row
		// on either pass (the table is generated twice). The first pass,
		// which only measures the columns, runs on every core.
		var row cellRow
		rows := func(emit func(cells [][]byte) error) error {
			for c := range r.listed() {
				if err := emit(row.conversation(c)); err != nil {
					return err
				}
			}
			return nil
		}
		t.measure = r.measureText
		if err := t.writeBytes(w, colour, rows); err != nil {
			return err
		}
	}
	return nil
}

func (r *Flows) writeSummaryText(w io.Writer, colour bool) error {
	fmt.Fprintln(w, colourText("Summary", ansiBold, colour))
	for _, f := range r.files {
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
	fmt.Fprintf(w, "  conversations: %d%s\n", r.convs.Len(), protoCountsText(s.ConversationsByProto))
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

// measureText widens width to the text cells of every conversation,
// splitting the conversations between the cores (Conversation only
// reads the classified table).
func (r *Flows) measureText(width []int) {
	n := r.convs.Len()
	workers := min(runtime.GOMAXPROCS(0), max(n/10000, 1))
	widths := make([][]int, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		widths[wk] = make([]int, len(width))
		wg.Go(func() {
			var conv flows.Conversation
			var row cellRow
			ww := widths[wk]
			for id := 1 + n*wk/workers; id <= n*(wk+1)/workers; id++ {
				r.convs.Conversation(id, &conv)
				for i, c := range row.conversation(&conv) {
					if i < len(ww) {
						ww[i] = max(ww[i], runeCount(c))
					}
				}
			}
		})
	}
	wg.Wait()
	for _, ww := range widths {
		for i := range width {
			width[i] = max(width[i], ww[i])
		}
	}
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
func writeRankText(w io.Writer, title, keyHead, peerHead string, m map[string]*flowsRank, other int) error {
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

// writeTopText writes the flows summary by service (server protocol and
// port, or ICMP) and by peer (client address), over every conversation.
func (r *Flows) writeTopText(w io.Writer) error {
	svcs := map[string]*flowsRank{}
	peers := map[string]*flowsRank{}
	other := 0
	for c := range r.convs.Conversations() {
		pk := c.ToServer.Packets + c.ToClient.Packets
		key, port := flows.ProtoName(c.Proto), -1
		if c.HasPorts() {
			key += "/" + strconv.Itoa(int(c.Server.Port))
			port = int(c.Server.Port)
		}
		s := svcs[key]
		if s == nil {
			s = &flowsRank{key: key, proto: c.Proto, port: port, peers: map[netip.Addr]struct{}{}}
			svcs[key] = s
		}
		s.convs++
		s.pkts += pk
		if len(s.peers) < maxCountedClients {
			s.peers[c.Client.Addr] = struct{}{}
		}
		pkey := c.Client.Addr.String()
		p := peers[pkey]
		if p == nil {
			if len(peers) >= maxRankedPeers {
				other++
				continue
			}
			p = &flowsRank{key: pkey, addr: c.Client.Addr}
			peers[pkey] = p
		}
		p.convs++
		p.pkts += pk
	}
	if err := writeRankText(w, "BY SERVICE", "SERVICE", "CLIENTS", svcs, 0); err != nil {
		return err
	}
	return writeRankText(w, "BY PEER (client address)", "CLIENT", "", peers, other)
}
