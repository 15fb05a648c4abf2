package flows

import "github.com/flowverify/flowverify/capture"

// ICMP and ICMPv6 message types the table distinguishes.
const (
	icmp4EchoReply   = 0
	icmp4Unreachable = 3
	icmp4Quench      = 4
	icmp4EchoRequest = 8
	icmp4TimeExceed  = 11
	icmp4ParamProb   = 12

	icmp6Unreachable = 1
	icmp6TooBig      = 2
	icmp6TimeExceed  = 3
	icmp6ParamProb   = 4
	icmp6EchoRequest = 128
	icmp6EchoReply   = 129
)

// isICMPError reports whether an ICMP (proto 1) or ICMPv6 (58) type is an
// error message that quotes the packet that caused it: destination
// unreachable, source quench, time exceeded, parameter problem, and for
// ICMPv6 also packet too big.
func isICMPError(proto, typ uint8) bool {
	if proto == capture.ProtoICMP {
		switch typ {
		case icmp4Unreachable, icmp4Quench, icmp4TimeExceed, icmp4ParamProb:
			return true
		}
		return false
	}
	return proto == capture.ProtoICMPv6 && typ >= icmp6Unreachable && typ <= icmp6ParamProb
}

// echoRole returns 1 for an echo request, 2 for an echo reply, 0 otherwise.
func echoRole(proto, typ uint8) int {
	switch {
	case proto == capture.ProtoICMP && typ == icmp4EchoRequest, proto == capture.ProtoICMPv6 && typ == icmp6EchoRequest:
		return 1
	case proto == capture.ProtoICMP && typ == icmp4EchoReply, proto == capture.ProtoICMPv6 && typ == icmp6EchoReply:
		return 2
	}
	return 0
}

// isICMP reports whether proto is ICMP or ICMPv6.
func isICMP(proto uint8) bool { return proto == capture.ProtoICMP || proto == capture.ProtoICMPv6 }

// quotedKey builds the key of the conversation an ICMP error quotes and
// the canonical side of the quoted packet's sender. ok is false when the
// quote cannot name a conversation (invalid, or TCP/UDP without ports).
func quotedKey(q *capture.Quote) (k key, side uint8, ok bool) {
	if !q.Valid || !q.Src.IsValid() || !q.Dst.IsValid() {
		return key{}, 0, false
	}
	switch {
	case q.Proto == capture.ProtoTCP || q.Proto == capture.ProtoUDP:
		if !q.HasPorts {
			return key{}, 0, false
		}
		k, side = makeKey(kindPorts, q.Proto, q.Src, q.SrcPort, q.Dst, q.DstPort)
	case isICMP(q.Proto):
		if !q.HasPorts || echoRole(q.Proto, q.ICMPType) == 0 {
			// An error about an ICMP non-echo message (itself never an
			// error, RFC 792): the addresses-only conversation.
			k, side = makeKey(kindAddrs, q.Proto, q.Src, 0, q.Dst, 0)
			break
		}
		k, side = makeKey(kindEcho, q.Proto, q.Src, q.ICMPID, q.Dst, 0)
	default:
		k, side = makeKey(kindAddrs, q.Proto, q.Src, 0, q.Dst, 0)
	}
	return k, side, true
}
