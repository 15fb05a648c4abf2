package flows

import "strconv"

// ProtoName returns "tcp", "udp", "icmp" or "icmpv6" for those protocol
// numbers and the decimal number otherwise ("47" for GRE). It is the
// protocol naming used in Summary.ConversationsByProto.
func ProtoName(p uint8) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	case 58:
		return "icmpv6"
	}
	return strconv.Itoa(int(p))
}
