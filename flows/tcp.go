package flows

import "github.com/flowverify/flowverify/capture"

// tcpStartsNew reports whether a TCP segment from canonical side s at
// time ns must start a new conversation instead of joining r (which is
// not idle): a SYN without ACK after the conversation was closed or
// established (unless it repeats the first SYN's sequence number from the
// same side: a retransmission), or any segment more than linger after a
// close. reuse is true when a SYN replaced a conversation that never
// closed.
func tcpStartsNew(r *rec, s uint8, flags uint8, seq uint32, ns, linger int64) (startNew, reuse bool) {
	pureSYN := flags&(capture.TCPSyn|capture.TCPAck|capture.TCPRst|capture.TCPFin) == capture.TCPSyn
	if pureSYN {
		if r.flags&fClosed != 0 {
			return true, false
		}
		if r.flags&fEstablished != 0 {
			retrans := r.side[s]&sSYN != 0 && r.firstSynSide() == s && seq == r.synSeq
			return !retrans, !retrans
		}
		return false, false
	}
	if r.closedBefore(ns, linger) {
		return true, false
	}
	return false, false
}

// firstSynSide is the canonical side that sent the first SYN.
func (r *rec) firstSynSide() uint8 {
	if r.flags&fFirstSyn1 != 0 {
		return 1
	}
	return 0
}

// tcpUpdate follows the TCP state of r for a segment from canonical side
// s carrying flags, at time ns. It returns an anomaly reason or "".
func tcpUpdate(r *rec, s uint8, flags uint8, seq uint32, payload int, ns int64) (anomaly string) {
	me, peer := &r.side[s], r.side[1-s]
	syn, ack, rst, fin := flags&capture.TCPSyn != 0, flags&capture.TCPAck != 0, flags&capture.TCPRst != 0, flags&capture.TCPFin != 0
	if syn && (rst || fin) {
		// SYN+RST, SYN+FIN: no stack sends them (scanners and fuzzers
		// do); they are no evidence of roles or state.
		return "invalid tcp flags"
	}
	switch {
	case syn && !ack:
		if peer&sSYNACK != 0 && *me&sSYN == 0 && r.side[1-s]&sSYN == 0 {
			anomaly = "syn-ack before syn"
		}
		if r.side[0]&sSYN == 0 && r.side[1]&sSYN == 0 {
			r.synSeq = seq
			if s == 1 {
				r.flags |= fFirstSyn1
			}
		}
		*me |= sSYN
	case syn:
		*me |= sSYNACK
	case rst:
		*me |= sRST
		r.close(ns)
	default:
		*me |= sNonSyn
		if peer&sSYNACK != 0 {
			*me |= sAckAfterSynAck
			r.flags |= fEstablished
		}
		if peer&sNonSyn != 0 {
			r.flags |= fEstablished
		}
		if peer&sFIN != 0 && payload > 0 {
			*me |= sDataAfterPeerFin
		}
		if ack && payload > 0 && *me&sSYN != 0 && r.firstSynSide() == s {
			r.flags |= fSynSideData
		}
	}
	if fin {
		*me |= sFIN
		if peer&sFIN != 0 {
			r.close(ns)
		}
	}
	return anomaly
}

// close marks r closed at ns (the first close counts).
func (r *rec) close(ns int64) {
	if r.flags&fClosed == 0 {
		r.flags |= fClosed
		r.closeNS = ns
	}
}

// tcpState is the final state of a TCP record.
//
//   - closed-rst: established, then a RST from either side (also mid-stream
//     traffic both ways ended by a RST).
//   - closed-fin: established and both sides sent FIN, or one side sent FIN
//     and the other sent no payload afterwards until the end ("FIN then
//     silence": the peer's FIN was not captured or the capture ended).
//   - established: handshake completed, or mid-stream traffic both ways.
//   - handshake: SYN answered by SYN-ACK (or a lone SYN-ACK) but never
//     completed, including a SYN scan's SYN, SYN-ACK, RST.
//   - rejected: a SYN answered by RST, or by an ICMP error, and nothing else.
//   - one-sided: SYN(s) with no reply captured, but the SYN's sender then
//     sent data acknowledging the other side (it got the SYN-ACK).
//   - unanswered: SYN(s) with no reply (a RST from the SYN's sender too).
//   - midstream: no handshake and packets one way only.
func tcpState(r *rec) State {
	both := r.side[0] | r.side[1]
	established := r.flags&fEstablished != 0
	switch {
	case established && both&sRST != 0:
		return StateClosedRST
	case established:
		return finState(r)
	case both&sSYN != 0:
		peer := r.side[1-r.firstSynSide()]
		switch {
		case peer&(sSYNACK|sNonSyn) != 0:
			return StateHandshake
		case peer&sRST != 0 || r.flags&fErrorToSyn != 0:
			return StateRejected
		case r.flags&fSynSideData != 0 && peer&sSent == 0:
			return StateOneSided
		}
		return StateUnanswered
	case both&sSYNACK != 0:
		return StateHandshake
	case r.side[0]&sSent != 0 && r.side[1]&sSent != 0:
		if both&sRST != 0 {
			return StateClosedRST
		}
		return finState(r)
	}
	return StateMidstream
}

// finState distinguishes closed-fin from established for a conversation
// with traffic both ways.
func finState(r *rec) State {
	f0, f1 := r.side[0]&sFIN != 0, r.side[1]&sFIN != 0
	switch {
	case f0 && f1:
		return StateClosedFIN
	case f0 && r.side[1]&sDataAfterPeerFin == 0, f1 && r.side[0]&sDataAfterPeerFin == 0:
		return StateClosedFIN
	}
	return StateEstablished
}
