package synth

import (
	"net/netip"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// allowAll is the ACL used to ask replay where a packet crosses a subnet
// boundary: it allows everything in both directions and families.
func allowAll() *nacl.ACL {
	a := &nacl.ACL{ID: "synth-allow-all"}
	for _, d := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		for _, p := range []string{"0.0.0.0/0", "::/0"} {
			a.Entries = append(a.Entries, nacl.Entry{RuleNumber: 100, Direction: d, Action: nacl.Allow, Protocol: nacl.ProtoAll,
				CIDR: mustPrefix(p), ICMPType: -1, ICMPCode: -1})
		}
	}
	// IPv4 and IPv6 entries get distinct numbers (AWS documents numbers
	// as unique per direction).
	a.Entries[1].RuleNumber, a.Entries[3].RuleNumber = 101, 101
	return a
}

// Topology places acl on the subnet CIDRs of opts, grouped into subnets
// as in check (replay.SubnetsFromCIDRs): each CIDR a subnet of its own
// (traffic between two given subnets crosses both boundaries, as in AWS),
// except that exactly one IPv4 and one IPv6 CIDR form one dual-stack
// subnet. The VPC CIDRs give the Amazon DNS exemption.
func Topology(acl *nacl.ACL, opts *Options) *replay.Topology {
	t := &replay.Topology{VPCCIDRs: opts.VPCCIDRs}
	for _, g := range replay.SubnetsFromCIDRs(opts.Subnets) {
		ids := make([]string, len(g))
		for i, p := range g {
			ids[i] = p.String()
		}
		t.Subnets = append(t.Subnets, replay.Subnet{ID: strings.Join(ids, ","), CIDRs: g, ACL: acl})
	}
	return t
}

// neverWorked is failedReason, plus conversations (not TCP) whose
// requests were answered only by ICMP errors (e.g. port unreachable);
// seenReq and seenResp say whether each leg carried real packets.
func neverWorked(c *flows.Conversation, seenReq, seenResp bool) string {
	r := failedReason(c)
	if r == "" && c.ICMPErrors > 0 && seenReq && !seenResp && c.Proto != capture.ProtoTCP {
		r = FailICMPErrors
	}
	return r
}

// failedReason says why a conversation never worked (a Fail* code), or ""
// when it did.
func failedReason(c *flows.Conversation) string {
	switch {
	case c.Proto == capture.ProtoTCP && c.State == flows.StateRejected:
		return FailRejected
	case c.Proto == capture.ProtoTCP && c.State == flows.StateUnanswered:
		return FailUnanswered
	case c.Proto == capture.ProtoTCP && c.State == flows.StateHandshake:
		return FailHandshake
	case isEcho(c) && c.ToClient.Packets == 0:
		return FailPingUnanswered
	}
	return ""
}

func isEcho(c *flows.Conversation) bool {
	return (c.Proto == capture.ProtoICMP || c.Proto == capture.ProtoICMPv6) && c.Evidence == flows.EvidenceICMPEcho
}

// legPackets returns what a NACL sees of the request (client to server)
// and response legs of c.
func legPackets(c *flows.Conversation) (req, resp nacl.Packet) {
	req = nacl.Packet{Src: c.Client.Addr, Dst: c.Server.Addr, Proto: c.Proto}
	resp = nacl.Packet{Src: c.Server.Addr, Dst: c.Client.Addr, Proto: c.Proto}
	switch {
	case c.HasPorts():
		req.DstPort, req.HasPort = c.Server.Port, true
		resp.DstPort, resp.HasPort = c.Client.Port, true
	case isEcho(c):
		req.HasICMP, resp.HasICMP = true, true
		if c.Proto == capture.ProtoICMP {
			req.ICMPType, resp.ICMPType = 8, 0
		} else {
			req.ICMPType, resp.ICMPType = 128, 129
		}
	}
	return req, resp
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
