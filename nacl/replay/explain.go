package replay

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// DescribeRule describes the rule a check stopped at the way the issue
// tracker and the console would: "deny tcp 1024-65535", "allow all",
// "deny tcp 10.0.0.0/8 22", or "* default deny" for 32767/32768.
func DescribeRule(c *Check) string {
	if c.Entry < 0 || c.ACLRef == nil || c.Entry >= len(c.ACLRef.Entries) {
		return "* default deny"
	}
	return DescribeEntry(&c.ACLRef.Entries[c.Entry])
}

// DescribeEntry formats an entry as "ACTION PROTO [CIDR] [PORTS|TYPE:CODE]";
// the CIDR is left out when it is 0.0.0.0/0 or ::/0.
func DescribeEntry(e *nacl.Entry) string {
	var b strings.Builder
	b.WriteString(e.Action.String())
	b.WriteByte(' ')
	b.WriteString(entryProto(e.Protocol))
	if e.CIDR.Bits() != 0 {
		b.WriteByte(' ')
		b.WriteString(e.CIDR.String())
	}
	if p := entryPorts(e); p != "" {
		b.WriteByte(' ')
		b.WriteString(p)
	}
	return b.String()
}

// entryProto names a NACL protocol as the native text format does.
func entryProto(p int) string {
	if p == nacl.ProtoAll {
		return "all"
	}
	return flows.ProtoName(uint8(p))
}

// entryPorts is the port range (TCP/UDP) or TYPE[:CODE] (ICMP) of e, "" if none.
func entryPorts(e *nacl.Entry) string {
	switch e.Protocol {
	case nacl.ProtoTCP, nacl.ProtoUDP:
		return e.Ports.String()
	case nacl.ProtoICMP, nacl.ProtoICMPv6:
		if e.Protocol == nacl.ProtoICMPv6 && !e.IsIPv6() {
			return ""
		}
		if e.ICMPType < 0 {
			return ""
		}
		if e.ICMPCode < 0 {
			return fmt.Sprint(e.ICMPType)
		}
		return fmt.Sprintf("%d:%d", e.ICMPType, e.ICMPCode)
	}
	return ""
}

// CheckPhrase is "inbound by rule 130 (deny tcp 1024-65535) of acl-0123",
// naming the subnet too when it is a VPC subnet id.
func CheckPhrase(c *Check) string {
	s := fmt.Sprintf("%s by rule %s (%s) of %s", c.Direction, ruleNumber(c.Rule), DescribeRule(c), aclLabel(c))
	if strings.HasPrefix(c.SubnetID, "subnet-") {
		s += " on " + c.SubnetID
	}
	return s
}

func aclLabel(c *Check) string {
	if c.ACLRef != nil {
		return c.ACLRef.Label()
	}
	return c.ACL
}

func ruleNumber(n int) string { return itoa(n) }

// endpoint formats an address and port ("198.51.100.20:80", "[2001:db8::1]:443").
func endpoint(e flows.Endpoint, hasPorts bool) string {
	if !hasPorts {
		return e.Addr.String()
	}
	return netip.AddrPortFrom(e.Addr, e.Port).String()
}

// explain returns one sentence per denied check of the conversation's legs.
func explain(cr *ConvResult) []string { return explainWith(cr, nil) }

// phraseKey identifies what CheckPhrase depends on.
type phraseKey struct {
	acl      *nacl.ACL
	aclID    string
	subnetID string
	dir      nacl.Direction
	rule     int
	entry    int
}

// phraseCache remembers CheckPhrase per check: a report's denied checks
// name few distinct rules, and the phrase is the costly part of a sentence.
type phraseCache map[phraseKey]string

func (pc phraseCache) phrase(c *Check) string {
	if pc == nil {
		return CheckPhrase(c)
	}
	k := phraseKey{acl: c.ACLRef, aclID: c.ACL, subnetID: c.SubnetID, dir: c.Direction, rule: c.Rule, entry: c.Entry}
	s, ok := pc[k]
	if !ok {
		s = CheckPhrase(c)
		if len(pc) < 4096 {
			pc[k] = s
		}
	}
	return s
}

// explainWith is explain with a phrase cache (nil for none).
func explainWith(cr *ConvResult, pc phraseCache) []string {
	var out []string
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
		for i := 0; i < kr.Judgement.NCheck; i++ {
			c := &kr.Judgement.Checks[i]
			if c.Action != nacl.Deny {
				continue
			}
			out = append(out, sentence(cr, l, kr, c, pc))
		}
		// Attached ICMP errors denied besides the leg's own packets.
		if !kr.ICMPError {
			for i := range l.Keys {
				k := &l.Keys[i]
				if k.ICMPError && k.Judgement.Verdict == Deny {
					for n := 0; n < k.Judgement.NCheck; n++ {
						if c := &k.Judgement.Checks[n]; c.Action == nacl.Deny {
							out = append(out, sentence(cr, l, k, c, pc))
						}
					}
					break
				}
			}
		}
	}
	return out
}

// sentence explains one denied check in plain words. A response sentence
// says the requests get through only when the request leg has no denied
// packet; otherwise it says the replies would be denied as well.
func sentence(cr *ConvResult, l *Leg, kr *KeyResult, chk *Check, pc phraseCache) string {
	c := cr.Conv
	ports := c.HasPorts()
	var s string
	if kr.ICMPError {
		what := "ICMP errors"
		if kr.Key.HasICMP {
			what = fmt.Sprintf("%s errors (type %d code %d)", flows.ProtoName(kr.Key.Proto), kr.Key.ICMPType, kr.Key.ICMPCode)
		}
		s = fmt.Sprintf("%s from %s to %s about this conversation are denied %s", what, kr.Key.Src, kr.Key.Dst, pc.phrase(chk))
		if isPMTU(&kr.Key) {
			return s + ": path MTU discovery breaks, large transfers stall"
		}
		return s + ": the sender never learns why its packets fail"
	}
	if l.Role == RoleResponse {
		if ports {
			s = "responses from " + endpoint(c.Server, true) + " to client port " + strconv.Itoa(int(c.Client.Port)) + " are denied " + pc.phrase(chk)
		} else {
			s = "responses from " + endpoint(c.Server, false) + " to " + endpoint(c.Client, false) + " are denied " + pc.phrase(chk)
		}
		switch {
		case cr.Request.Denied > 0 && chk.Direction == nacl.Ingress:
			s += ": the requests are denied as well; once they are let through, the replies would still never arrive"
		case cr.Request.Denied > 0:
			s += ": the requests are denied as well; once they are let through, the server's replies would still never leave"
		case chk.Direction == nacl.Ingress:
			s += ": the client's requests leave, its replies never arrive"
		default:
			s += ": the server gets the requests, its replies never leave"
		}
	} else {
		s = "requests from " + endpoint(c.Client, false) + " to " + endpoint(c.Server, ports) + " are denied " + pc.phrase(chk)
		if chk.Direction == nacl.Ingress {
			s += ": they never reach the server"
		} else {
			s += ": they never leave the client's subnet"
		}
	}
	if kr.Fragment || chk.Uncertain {
		s += " (uncertain: non-first fragments without ports; AWS does not document how NACLs treat them)"
	}
	return s
}

// isPMTU reports whether k is ICMP fragmentation-needed or ICMPv6 packet-too-big.
func isPMTU(k *nacl.Packet) bool {
	return k.HasICMP && ((k.Proto == nacl.ProtoICMP && k.ICMPType == 3 && k.ICMPCode == 4) || (k.Proto == nacl.ProtoICMPv6 && k.ICMPType == 2))
}
