package flows

import (
	"bytes"
	"encoding/binary"

	"github.com/flowverify/flowverify/capture"
)

// Payload evidence: a few cheap, well-known checks on the first payload
// bytes of a conversation's first packets (capture.Packet.Head). Each says
// whether the packet's sender is the client or the server, or nothing.
// They run only while a conversation has fewer than payloadLookPackets
// packets and no payload verdict yet, so their cost is per conversation,
// not per packet.
//
// The checks, and what they read:
//   - DNS (a port is 53, 5353 or 5355; over TCP after the 2-byte length):
//     the QR bit; query from the client, response from the server.
//   - NTP (a port is 123, 48+ bytes, version 1-4): mode 3 client, mode 4 server.
//   - DHCP/BOOTP (ports 67/68, htype 1, hlen 6): op 1 request (client), op 2 reply (server).
//   - TLS (any port): a handshake record whose first message is a
//     ClientHello (client) or ServerHello (server).
//   - HTTP (TCP, any port): a request line ("GET /", "POST ", ...) from the
//     client, a status line ("HTTP/1.x NNN") from the server.
//   - SSH (TCP, any port): both sides send an "SSH-2.0-" banner (RFC 4253
//     section 4.2 lets either go first). OpenSSH clients send theirs as soon
//     as the connection is up, before the server's arrives: in every SSH
//     capture at hand (pcaps/webserver*.pcap, the corpus's ssh.pcap) the
//     client's banner comes first. So the first banner of a conversation
//     names the client (medium confidence: a server that speaks first on a
//     slow client would invert it).
//   - IKE (a port is 500 or 4500, after the non-ESP marker on 4500): the
//     IKEv2 Initiator flag, or in IKEv1 a zero responder SPI (first
//     message of the initiator).
//   - QUIC (UDP, any port): a long-header Initial packet of version 1 or 2;
//     the first Initial of a conversation comes from the client.
//   - ONC RPC (NFS, portmapper; a port is 111 or 2049; over TCP after the
//     record mark): a CALL (RPC version 2) from the client, a REPLY from the
//     server.
//
// A conversation whose packets say both things about one side gets no
// payload verdict.

// payloadLookPackets bounds how many of a conversation's first packets are
// looked at.
const payloadLookPackets = 8

// rec.pay bits: the payload verdict.
const (
	payClient0 uint8 = 1 << iota // canonical side 0 is the client
	payClient1                   // canonical side 1 is the client
	payBoth                      // both sides' payloads agreed (two independent checks)
	paySeen0                     // side 0 sent a payload that decided
	paySeen1                     // side 1 sent a payload that decided
)

// payloadRole returns +1 when the sender of a packet whose payload starts
// with head is the client, -1 when it is the server, 0 when the checks say
// nothing. first says that no payload of the conversation decided before
// (for the order-based checks: SSH, QUIC).
func payloadRole(proto uint8, sport, dport uint16, head []byte, first bool) int {
	dns := onPort(sport, dport, 53) || onPort(sport, dport, 5353) || onPort(sport, dport, 5355)
	rpc := onPort(sport, dport, 111) || onPort(sport, dport, 2049)
	switch proto {
	case capture.ProtoUDP:
		switch {
		case dns:
			return dnsRole(head)
		case onPort(sport, dport, 123):
			return ntpRole(head)
		case onPort(sport, dport, 67) || onPort(sport, dport, 68):
			return dhcpRole(head)
		case onPort(sport, dport, 500):
			return ikeRole(head)
		case onPort(sport, dport, 4500):
			if len(head) >= 4 && binary.BigEndian.Uint32(head) == 0 {
				return ikeRole(head[4:])
			}
			return 0
		case rpc:
			return rpcRole(head)
		}
		if first {
			return quicRole(head)
		}
	case capture.ProtoTCP:
		switch {
		case dns && len(head) > 2:
			return dnsRole(head[2:])
		case rpc && len(head) > 4:
			return rpcRole(head[4:])
		}
		if r := tlsRole(head); r != 0 {
			return r
		}
		if r := httpRole(head); r != 0 {
			return r
		}
		if first && (bytes.HasPrefix(head, []byte("SSH-2.0-")) || bytes.HasPrefix(head, []byte("SSH-1.99-"))) {
			return 1
		}
	}
	return 0
}

// onPort reports whether either port is p.
func onPort(sport, dport, p uint16) bool { return sport == p || dport == p }

// dnsRole reads the QR bit of a plausible DNS header (opcode 0-6, one
// question or an empty question section with answers for a response).
func dnsRole(h []byte) int {
	if len(h) < 12 {
		return 0
	}
	opcode := h[2] >> 3 & 0x0f
	qd := binary.BigEndian.Uint16(h[4:6])
	if opcode > 6 || qd > 1 {
		return 0
	}
	if h[2]&0x80 != 0 {
		return -1
	}
	if qd != 1 || h[3]&0x0f != 0 { // a query has one question and rcode 0
		return 0
	}
	return 1
}

// ntpRole reads the mode of an NTP header (client 3, server 4).
func ntpRole(h []byte) int {
	if len(h) < 1 {
		return 0
	}
	if v := h[0] >> 3 & 7; v < 1 || v > 4 {
		return 0
	}
	switch h[0] & 7 {
	case 3:
		return 1
	case 4:
		return -1
	}
	return 0
}

// dhcpRole reads the BOOTP op of an Ethernet (htype 1, hlen 6) message.
func dhcpRole(h []byte) int {
	if len(h) < 3 || h[1] != 1 || h[2] != 6 {
		return 0
	}
	switch h[0] {
	case 1:
		return 1
	case 2:
		return -1
	}
	return 0
}

// tlsRole recognises a TLS handshake record starting with a ClientHello
// or a ServerHello.
func tlsRole(h []byte) int {
	if len(h) < 9 || h[0] != 0x16 || h[1] != 3 || h[2] > 4 {
		return 0
	}
	recLen := int(binary.BigEndian.Uint16(h[3:5]))
	msgLen := int(h[6])<<16 | int(h[7])<<8 | int(h[8])
	// A ServerHello fits its record; a ClientHello may span several.
	if recLen < 4 || msgLen < 38 || (h[5] == 2 && msgLen+4 > recLen) {
		return 0
	}
	switch h[5] {
	case 1:
		return 1
	case 2:
		return -1
	}
	return 0
}

// httpMethods are the request-line starts recognised (method and space).
var httpMethods = [][]byte{
	[]byte("GET "), []byte("POST "), []byte("HEAD "), []byte("PUT "), []byte("DELETE "),
	[]byte("OPTIONS "), []byte("PATCH "), []byte("CONNECT "), []byte("TRACE "),
}

// httpRole recognises an HTTP/1 request line or status line.
func httpRole(h []byte) int {
	if len(h) >= 12 && bytes.HasPrefix(h, []byte("HTTP/1.")) && h[8] == ' ' && isDigit(h[9]) && isDigit(h[10]) && isDigit(h[11]) {
		return -1
	}
	for _, m := range httpMethods {
		if len(h) > len(m) && bytes.HasPrefix(h, m) && (h[len(m)] == '/' || h[len(m)] == '*' || h[len(m)] == 'h' || m[0] == 'C') {
			return 1
		}
	}
	return 0
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// ikeRole reads an ISAKMP/IKE header: IKEv2 (version 0x20) by its
// Initiator flag, IKEv1 (0x10) by a zero responder SPI (the initiator's
// first message).
func ikeRole(h []byte) int {
	if len(h) < 20 {
		return 0
	}
	switch h[17] {
	case 0x20:
		if h[19]&0x08 != 0 {
			return 1
		}
		return -1
	case 0x10:
		if binary.BigEndian.Uint64(h[8:16]) == 0 {
			return 1
		}
	}
	return 0
}

// quicRole recognises a QUIC long-header Initial packet of version 1
// (type 0) or version 2 (type 1, RFC 9369).
func quicRole(h []byte) int {
	if len(h) < 7 || h[0]&0xc0 != 0xc0 {
		return 0
	}
	typ := h[0] >> 4 & 3
	switch binary.BigEndian.Uint32(h[1:5]) {
	case 1:
		if typ != 0 {
			return 0
		}
	case 0x6b3343cf:
		if typ != 1 {
			return 0
		}
	default:
		return 0
	}
	if h[5] > 20 { // destination connection ID length
		return 0
	}
	return 1
}

// rpcRole reads the message type of an ONC RPC message: a CALL of RPC
// version 2, or a REPLY with reply_stat 0 or 1.
func rpcRole(h []byte) int {
	if len(h) < 12 {
		return 0
	}
	switch binary.BigEndian.Uint32(h[4:8]) {
	case 0:
		if binary.BigEndian.Uint32(h[8:12]) == 2 {
			return 1
		}
	case 1:
		if binary.BigEndian.Uint32(h[8:12]) <= 1 {
			return -1
		}
	}
	return 0
}

// payloadUpdate looks at the payload of a packet from canonical side s of
// r while the conversation is young and undecided by payload.
func payloadUpdate(r *rec, s uint8, p *capture.Packet) {
	first := r.pay&(payClient0|payClient1) == 0
	role := payloadRole(p.Proto, p.SrcPort, p.DstPort, p.Head[:p.HeadLen], first)
	if role == 0 {
		return
	}
	client := s
	if role < 0 {
		client = 1 - s
	}
	bit, seen := payClient0, paySeen0
	if client == 1 {
		bit = payClient1
	}
	if s == 1 {
		seen = paySeen1
	}
	r.pay |= bit | seen
	if r.pay&paySeen0 != 0 && r.pay&paySeen1 != 0 {
		r.pay |= payBoth
	}
}

// payloadDecision returns the payload verdict of r, if any: high when both
// sides' payloads agree, medium when one side's did.
func payloadDecision(r *rec) (decision, bool) {
	switch r.pay & (payClient0 | payClient1) {
	case payClient0, payClient1:
		client := uint8(0)
		if r.pay&payClient1 != 0 {
			client = 1
		}
		conf := Medium
		if r.pay&payBoth != 0 {
			conf = High
		}
		return decision{client: client, evidence: EvidencePayload, confidence: conf}, true
	}
	return decision{}, false
}
