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
	Role      Role
	Judgement Judgement
}

// PacketPass is the second pass of a replay: fed the same records in the
// same order as the Recorder, a fresh conversation table yields the same
// conversation IDs, and each IP packet is judged on its own. Memory is
// that of the conversation table; nothing is kept per packet.
type PacketPass struct {
	j     *Judge
	table *flows.Table
	win   windowState
	// clientB has bit id set when conversation id's client is side B
	// (one bit per conversation).
	clientB []uint64
}

// NewPacketPass prepares a second pass over the records rec was made from.
func NewPacketPass(j *Judge, cfg flows.Config, rec *Recording) *PacketPass {
	n := rec.NumConversations()
	pp := &PacketPass{j: j, table: flows.NewTable(cfg), clientB: make([]uint64, (n+1+63)/64)}
	pp.win = windowState{w: rec.Window, resolved: true, since: rec.Since, until: rec.Until}
	for id := 1; id <= n; id++ {
		if rec.clientSide(id) == flows.SideB {
			pp.clientB[id/64] |= 1 << (id % 64)
		}
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
		cs := flows.SideA
		if ref.ID/64 < len(pp.clientB) && pp.clientB[ref.ID/64]&(1<<(ref.ID%64)) != 0 {
			cs = flows.SideB
		}
		if cs == ref.From {
			r.Role = RoleRequest
		}
	}
	return r, true
}
