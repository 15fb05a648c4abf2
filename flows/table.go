package flows

import (
	"time"

	"github.com/flowverify/flowverify/capture"
)

// Config holds the conversation table's timeouts. Zero values take the
// documented defaults (see DefaultConfig).
type Config struct {
	// TCPIdle ends a TCP conversation after this much silence (default 5m).
	TCPIdle time.Duration
	// TCPClosedLinger is how long after a FIN/RST close packets still join
	// the closed conversation before a reused 5-tuple starts a new one
	// (default 5s); a new SYN after a close always starts a new one.
	TCPClosedLinger time.Duration
	// UDPIdle ends a UDP conversation after this much silence (default 60s).
	UDPIdle time.Duration
	// OtherIdle ends ICMP and other-protocol conversations (default 60s).
	OtherIdle time.Duration
	// FanInPeers is the number of distinct peers an address:port must
	// serve to count as a server by fan-in (default 3).
	FanInPeers int
}

// DefaultConfig returns the documented default timeouts.
func DefaultConfig() Config {
	return Config{TCPIdle: 5 * time.Minute, TCPClosedLinger: 5 * time.Second, UDPIdle: 60 * time.Second, OtherIdle: 60 * time.Second, FanInPeers: 3}
}

// Ref identifies the conversation a packet was added to.
type Ref struct {
	// ID is the conversation ID, 0 when the packet joined no conversation
	// (non-IP, undecodable, unattributed fragment).
	ID int
	// From is the side that sent the packet. For an ICMP error attached to
	// a conversation it is the side the error travels *from* relative to the
	// quoted packet's receiver (the error goes back towards the quoted sender).
	From Side
	// ICMPError is true when the packet is an ICMP error attached to the
	// conversation it quotes.
	ICMPError bool
}

// Summary counts what the table saw.
type Summary struct {
	// Packets is every record delivered; IP, NonIP and Undecodable split it.
	Packets, IP, NonIP, Undecodable uint64
	// ConversationsByProto counts conversations by protocol name ("tcp", "udp", "icmp", "icmpv6", or the number).
	ConversationsByProto map[string]int
	// Anomalies counts oddities by reason ("unattributed fragment",
	// "truncated tcp header", "syn-ack before syn", ...), including the
	// Reason of every undecodable record.
	Anomalies map[string]uint64
}

// Table is the conversation table. It is not safe for concurrent use.
//
// STUB: the flows package owner replaces this.
type Table struct{}

// NewTable returns an empty table.
func NewTable(cfg Config) *Table { return &Table{} }

// Add accounts one packet (any Kind) and returns the conversation it joined.
func (t *Table) Add(p *capture.Packet) Ref { return Ref{} }

// Finish classifies every conversation (client/server, evidence,
// confidence, profiles, final state) and returns them ordered by ID, with
// the summary. The table must not be used afterwards.
func (t *Table) Finish() ([]*Conversation, Summary) { return nil, Summary{} }
