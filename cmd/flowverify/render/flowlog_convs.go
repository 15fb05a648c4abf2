package render

import (
	"io"
	"net/netip"
	"strconv"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/flowlog"
)

// FlowLogConversationJSON is one conversation built from flow-log records
// (`flows --format jsonl` over flow logs; json: conversations[]).
type FlowLogConversationJSON struct {
	ID         int            `json:"id"`
	Interface  string         `json:"interface"`
	Proto      string         `json:"proto"`
	Client     EndpointJSON   `json:"client"`
	Server     EndpointJSON   `json:"server"`
	Evidence   string         `json:"evidence"`
	Confidence string         `json:"confidence"`
	Weak       bool           `json:"weak,omitempty"`
	ToServer   flowLogDirJSON `json:"to_server"`
	ToClient   flowLogDirJSON `json:"to_client"`
	First      string         `json:"first"`
	Last       string         `json:"last"`
}

type flowLogDirJSON struct {
	Records  int64 `json:"records"`
	Packets  int64 `json:"packets"`
	Bytes    int64 `json:"bytes"`
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
}

// NewFlowLogConversationJSON converts a conversation for output.
func NewFlowLogConversationJSON(c *flowlog.Conversation) FlowLogConversationJSON {
	toS, toC := c.AtoB, c.BtoA
	if !c.ClientIsA {
		toS, toC = toC, toS
	}
	dir := func(t flowlog.Totals) flowLogDirJSON {
		return flowLogDirJSON{t.Records, t.Packets, t.Bytes, t.Accepted, t.Rejected}
	}
	return FlowLogConversationJSON{ID: c.ID, Interface: c.InterfaceID, Proto: flows.ProtoName(c.Proto),
		Client: endpointJSON(c.Client(), c.Proto == 6 || c.Proto == 17), Server: endpointJSON(c.Server(), c.Proto == 6 || c.Proto == 17),
		Evidence: string(c.Evidence), Confidence: string(c.Confidence), Weak: c.Weak(),
		ToServer: dir(toS), ToClient: dir(toC), First: FormatTimeSeconds(timeOf(c.First)), Last: FormatTimeSeconds(timeOf(c.Last))}
}

// FlowLogConversationsCSVHeader is the header of `flows --format csv` over flow logs.
var FlowLogConversationsCSVHeader = []string{"id", "interface", "proto", "client_addr", "client_port", "server_addr", "server_port",
	"to_server_records", "to_server_packets", "to_server_bytes", "to_server_rejected", "to_client_records", "to_client_packets", "to_client_bytes", "to_client_rejected",
	"evidence", "confidence", "first", "last"}

func portCell(p *uint16) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(*p))
}

// FlowLogConversationRow returns the CSV cells of a conversation.
func FlowLogConversationRow(j *FlowLogConversationJSON) []string {
	return []string{strconv.Itoa(j.ID), j.Interface, j.Proto, j.Client.Addr, portCell(j.Client.Port), j.Server.Addr, portCell(j.Server.Port),
		itoa(j.ToServer.Records), itoa(j.ToServer.Packets), itoa(j.ToServer.Bytes), itoa(j.ToServer.Rejected),
		itoa(j.ToClient.Records), itoa(j.ToClient.Packets), itoa(j.ToClient.Bytes), itoa(j.ToClient.Rejected),
		j.Evidence, j.Confidence, j.First, j.Last}
}

// WriteFlowLogConversations writes conversations (already in ID order) in
// format text (an aligned table and a summary line), json (one document:
// summary, problems, conversations), jsonl or csv.
func WriteFlowLogConversations(w io.Writer, format string, convs []FlowLogConversationJSON, sum flowlog.Summary, problems []flowlog.Problem, colour bool) error {
	switch format {
	case "jsonl":
		jl := newJSONLines(w)
		for i := range convs {
			if err := jl.write(&convs[i]); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		rows := make([][]string, len(convs))
		for i := range convs {
			rows[i] = FlowLogConversationRow(&convs[i])
		}
		return writeCSV(w, FlowLogConversationsCSVHeader, rows)
	case "json":
		ps := []string{}
		for i := range problems {
			ps = append(ps, problems[i].Error())
		}
		if convs == nil {
			convs = []FlowLogConversationJSON{}
		}
		return WriteJSON(w, struct {
			Complete      bool                      `json:"complete"`
			Summary       map[string]int64          `json:"summary"`
			Problems      []string                  `json:"problems"`
			Conversations []FlowLogConversationJSON `json:"conversations"`
		}{sum.Complete(), map[string]int64{"files": int64(len(sum.Files)), "records": sum.Records, "nodata": sum.NoData, "skipdata": sum.SkipData, "bad": sum.Bad, "conversations": int64(len(convs))}, ps, convs})
	}
	tt := newTextTable("ID", "INTERFACE", "PROTO", "CLIENT", "SERVER", "RECORDS", "PACKETS", "BYTES", "REJECTED", "EVIDENCE", "FIRST").alignRight(0, 5, 6, 7, 8)
	ep := func(e EndpointJSON) string {
		a := netip.MustParseAddr(e.Addr)
		if e.Port == nil {
			return e.Addr
		}
		return netip.AddrPortFrom(a, *e.Port).String()
	}
	for i := range convs {
		c := &convs[i]
		ev := c.Evidence + " (" + c.Confidence + ")"
		tt.add(strconv.Itoa(c.ID), c.Interface, c.Proto, ep(c.Client), ep(c.Server), itoa(c.ToServer.Records+c.ToClient.Records),
			itoa(c.ToServer.Packets+c.ToClient.Packets), itoa(c.ToServer.Bytes+c.ToClient.Bytes), itoa(c.ToServer.Rejected+c.ToClient.Rejected), ev, c.First)
	}
	if err := tt.write(w, colour); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n"+strconv.Itoa(len(convs))+" conversations from "+itoa(sum.Records)+" flow-log records in "+strconv.Itoa(len(sum.Files))+" file(s); "+
		itoa(sum.NoData)+" NODATA, "+itoa(sum.SkipData)+" SKIPDATA, "+itoa(sum.Bad)+" unreadable.\n")
	return err
}
