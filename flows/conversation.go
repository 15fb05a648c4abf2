// Package flows turns a stream of decoded packets into bidirectional
// conversations (TCP, UDP, ICMP and other IP protocols), follows TCP state,
// and decides for each conversation which side is the client and which the
// server, with the evidence and a confidence for that decision.
package flows

import (
	"net/netip"
	"time"
)

// Endpoint is one side of a conversation. Port is meaningful only when the
// protocol has ports (TCP, UDP); for ICMP echo it is zero.
type Endpoint struct {
	Addr netip.Addr
	Port uint16
}

// FrameRef points at one record of one input file.
type FrameRef struct {
	// File is the index in capture.Stream.Files().
	File int
	// Frame is the 1-based record number within that file.
	Frame int64
}

// DirStats counts the packets of one direction of a conversation.
type DirStats struct {
	Packets uint64
	// Bytes sums the IP lengths (capture.Packet.IPLen) of the packets.
	Bytes uint64
	// First and Last are the times of the first and last packet; zero when Packets is 0.
	First, Last time.Time
	// FirstFrame is where the first packet of this direction is.
	FirstFrame FrameRef
}

// Side names one end of a conversation as first seen: A is the source of
// the first packet of the conversation, B its destination.
type Side uint8

const (
	// SideA is the sender of the conversation's first packet.
	SideA Side = iota
	// SideB is the receiver of the conversation's first packet.
	SideB
)

// State is the lifecycle state of a conversation at the end of the capture.
type State string

// Conversation states. TCP uses all but the UDP/other ones; UDP, ICMP and
// other protocols use StateOneWay and StateTwoWay.
const (
	// StateUnanswered: a SYN (or SYNs) with no reply at all.
	StateUnanswered State = "unanswered"
	// StateRejected: a SYN answered by RST.
	StateRejected State = "rejected"
	// StateHandshake: SYN and SYN-ACK seen, handshake not completed.
	StateHandshake State = "handshake"
	// StateEstablished: handshake completed (or mid-stream traffic both ways), not closed.
	StateEstablished State = "established"
	// StateClosedFIN: closed by FIN.
	StateClosedFIN State = "closed-fin"
	// StateClosedRST: reset after being established.
	StateClosedRST State = "closed-rst"
	// StateMidstream: TCP without a handshake in the capture, packets one way only.
	StateMidstream State = "midstream"
	// StateOneSided: a SYN, then segments from the same side that carry
	// data and acknowledge the other side, which the capture never shows:
	// the connection worked, the capture holds one direction only.
	StateOneSided State = "one-sided"
	// StateOneWay: UDP/ICMP/other with packets in one direction only.
	StateOneWay State = "one-way"
	// StateTwoWay: UDP/ICMP/other with packets in both directions.
	StateTwoWay State = "two-way"
)

// Evidence names what decided the client/server roles, strongest first.
type Evidence string

// Evidence values, strongest first.
const (
	EvidenceSYN         Evidence = "syn"            // a SYN without ACK: its sender is the client
	EvidenceSYNACK      Evidence = "syn-ack"        // a SYN-ACK: its sender is the server
	EvidenceICMPEcho    Evidence = "icmp-echo"      // echo request sender is the client
	EvidencePayload     Evidence = "payload"        // the first payload bytes (DNS QR, TLS hello, HTTP request, ...) name the client
	EvidenceServicePort Evidence = "service-port"   // exactly one side is a known service port
	EvidenceEphemeral   Evidence = "ephemeral-port" // exactly one side is in an ephemeral range
	EvidenceKnownRole   Evidence = "known-role"     // an endpoint has that role, by stronger evidence, in another conversation
	EvidenceFanIn       Evidence = "fan-in"         // one address:port that many peers came to
	EvidenceSharedPort  Evidence = "shared-port"    // one address:port used with peers of several addresses and ports, each seen only with it
	EvidenceFirstPacket Evidence = "first-packet"   // the sender of the first packet
	EvidenceLowerPort   Evidence = "lower-port"     // last tie-break: the lower port is the server
	EvidenceNone        Evidence = "none"           // protocols without roles (e.g. GRE): A is called client
)

// Confidence grades a client/server decision.
type Confidence string

// Confidence levels.
const (
	Certain Confidence = "certain"
	High    Confidence = "high"
	Medium  Confidence = "medium"
	Low     Confidence = "low"
)

// Conversation is one bidirectional exchange between two endpoints with
// one protocol, bounded in time by TCP closes and idle timeouts.
type Conversation struct {
	// ID numbers conversations from 1 in the order of their first packet
	// (capture order after merging); stable for the same input.
	ID int
	// Proto is the IP protocol number; Version is 4 or 6.
	Proto   uint8
	Version uint8
	// Client and Server after classification. For ICMP echo the ports are
	// zero and EchoID holds the identifier.
	Client, Server Endpoint
	// ClientSide says which of A/B (see Side) is the client.
	ClientSide Side
	// EchoID is the ICMP echo identifier for ICMP echo conversations.
	EchoID uint16
	// ToServer and ToClient count the packets each way (ICMP errors that
	// quote this conversation included, see ICMPErrors).
	ToServer, ToClient DirStats
	// ICMPErrors counts ICMP/ICMPv6 error packets attached to this
	// conversation because they quote one of its packets.
	ICMPErrors uint64
	// Fragments counts non-first fragments attributed to this conversation.
	Fragments uint64
	State     State
	// HandshakeSeen is true when a SYN or SYN-ACK of this conversation was captured.
	HandshakeSeen bool
	Evidence      Evidence
	Confidence    Confidence
	// ClientProfiles names the ephemeral profiles containing the client
	// port, narrowest first (empty for protocols without ports).
	ClientProfiles []string
}

// First is the time of the conversation's first packet.
func (c *Conversation) First() time.Time {
	return earliest(c.ToServer, c.ToClient)
}

// Last is the time of the conversation's last packet.
func (c *Conversation) Last() time.Time {
	a, b := c.ToServer.Last, c.ToClient.Last
	if c.ToServer.Packets == 0 {
		return b
	}
	if c.ToClient.Packets == 0 || a.After(b) {
		return a
	}
	return b
}

// FirstFrame is the first packet of the conversation in either direction.
func (c *Conversation) FirstFrame() FrameRef {
	if c.ToClient.Packets == 0 || (c.ToServer.Packets > 0 && !c.ToClient.First.Before(c.ToServer.First)) {
		return c.ToServer.FirstFrame
	}
	return c.ToClient.FirstFrame
}

// Duration is Last minus First.
func (c *Conversation) Duration() time.Duration { return c.Last().Sub(c.First()) }

// HasPorts reports whether the protocol carries ports (TCP or UDP).
func (c *Conversation) HasPorts() bool { return c.Proto == 6 || c.Proto == 17 }

func earliest(a, b DirStats) time.Time {
	if a.Packets == 0 {
		return b.First
	}
	if b.Packets == 0 || a.First.Before(b.First) {
		return a.First
	}
	return b.First
}
