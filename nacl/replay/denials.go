package replay

import "github.com/flowverify/flowverify/nacl"

// Denial is one denied check of a broken conversation's leg: the data a
// renderer turns into a sentence ("responses from 192.0.2.80:80 to client
// port 50382 are denied inbound by rule 130 ...").
type Denial struct {
	// Role is the leg: RoleRequest or RoleResponse.
	Role Role
	// Key is the NACL view of the denied packets (for an ICMP error, the
	// error's own addresses, type and code).
	Key nacl.Packet
	// ICMPError is true when the denied packets are ICMP errors attached
	// to the conversation; Fragment when they are non-first fragments
	// without ports.
	ICMPError, Fragment bool
	// Check is the denying check.
	Check Check
	// RequestDenied is true when the conversation's request leg has a
	// denied packet too (a response denial then says so).
	RequestDenied bool
}

// Uncertain reports whether the denial concerns packets whose ports were
// unknown (non-first fragments) or a check that passed over such rules.
func (d *Denial) Uncertain() bool { return d.Fragment || d.Check.Uncertain }

// PMTU reports whether the denied packets are ICMP fragmentation-needed or
// ICMPv6 packet-too-big errors (path MTU discovery).
func (d *Denial) PMTU() bool {
	k := &d.Key
	return k.HasICMP && ((k.Proto == nacl.ProtoICMP && k.ICMPType == 3 && k.ICMPCode == 4) || (k.Proto == nacl.ProtoICMPv6 && k.ICMPType == 2))
}

// appendDenials appends the denials of cr's legs: for each leg with a
// denied packet, every denying check of its first denied key (the leg's
// own packets before attached ICMP errors), then those of the first
// denied ICMP error attached besides.
func appendDenials(out []Denial, cr *ConvResult) []Denial {
	reqDenied := cr.Request.Denied > 0
	for _, l := range []*Leg{&cr.Request, &cr.Response} {
		if l.Denied == 0 {
			continue
		}
		var kr *KeyResult
		for i := range l.Keys {
			k := &l.Keys[i]
			if k.Judgement.Verdict == Deny && (kr == nil || (kr.ICMPError && !k.ICMPError) || (kr.ICMPError == k.ICMPError && k.First.Before(kr.First))) {
				kr = k
			}
		}
		out = appendKeyDenials(out, l.Role, kr, reqDenied)
		// Attached ICMP errors denied besides the leg's own packets.
		if !kr.ICMPError {
			for i := range l.Keys {
				k := &l.Keys[i]
				if k.ICMPError && k.Judgement.Verdict == Deny {
					out = appendKeyDenials(out, l.Role, k, reqDenied)
					break
				}
			}
		}
	}
	return out
}

// appendKeyDenials appends one Denial per denying check of kr.
func appendKeyDenials(out []Denial, role Role, kr *KeyResult, reqDenied bool) []Denial {
	for i := 0; i < kr.Judgement.NCheck; i++ {
		if c := &kr.Judgement.Checks[i]; c.Action == nacl.Deny {
			out = append(out, Denial{Role: role, Key: kr.Key, ICMPError: kr.ICMPError, Fragment: kr.Fragment, Check: *c, RequestDenied: reqDenied})
		}
	}
	return out
}

// legDenial returns the denial that concerns the given leg's own packets,
// else the conversation's first; nil without any.
func legDenial(ds []Denial, role Role) *Denial {
	for i := range ds {
		if ds[i].Role == role && !ds[i].ICMPError {
			return &ds[i]
		}
	}
	if len(ds) > 0 {
		return &ds[0]
	}
	return nil
}
