package replay

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// PacketResult is the verdict of one IP packet in the second pass.
type PacketResult struct {
	// Ref is the conversation the packet joined (ID 0: none).
	Ref flows.Ref
	// Role is RoleRequest or RoleResponse, "" when Ref.ID is 0.
	Role      string
	Judgement Judgement
}

// PacketPass is the second pass of a replay: fed the same records in the
// same order as the Recorder, a fresh conversation table yields the same
// conversation IDs, and each IP packet is judged on its own. Memory is
// that of the conversation table; nothing is kept per packet.
type PacketPass struct {
	j      *Judge
	table  *flows.Table
	win    windowState
	client map[int]flows.Side
}

// NewPacketPass prepares a second pass over the records rec was made from.
func NewPacketPass(j *Judge, cfg flows.Config, rec *Recording) *PacketPass {
	pp := &PacketPass{j: j, table: flows.NewTable(cfg), client: make(map[int]flows.Side, len(rec.Conversations))}
	pp.win = windowState{w: rec.Window, resolved: true, since: rec.Since, until: rec.Until}
	for _, c := range rec.Conversations {
		pp.client[c.ID] = c.ClientSide
	}
	return pp
}

// Next accounts one record; for an IP packet inside the window it returns
// its result and true.
func (pp *PacketPass) Next(p *capture.Packet) (PacketResult, bool) {
	ref := pp.table.Add(p)
	if p.Kind != capture.KindIP || !pp.win.in(p.Time) {
		return PacketResult{}, false
	}
	key := FromCapture(p)
	r := PacketResult{Ref: ref, Judgement: pp.j.Judge(&key)}
	if ref.ID > 0 {
		r.Role = RoleResponse
		if cs, ok := pp.client[ref.ID]; ok && cs == ref.From {
			r.Role = RoleRequest
		}
	}
	return r, true
}
