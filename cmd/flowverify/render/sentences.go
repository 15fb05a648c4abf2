package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// DescribeRule describes the rule a check stopped at the way the issue
// tracker and the console would: "deny tcp 1024-65535", "allow all",
// "deny tcp 10.0.0.0/8 22", or "* default deny" for 32767/32768.
func DescribeRule(c *replay.Check) string {
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
	b.WriteString(nacl.ProtocolName(e.Protocol))
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

// entryPorts is the port range (TCP/UDP) or TYPE[:CODE] (ICMP) of e, "" if none.
func entryPorts(e *nacl.Entry) string {
	switch {
	case e.UsesPorts():
		return e.Ports.String()
	case e.UsesICMP() && e.ICMPType >= 0:
		if e.ICMPCode < 0 {
			return strconv.Itoa(e.ICMPType)
		}
		return strconv.Itoa(e.ICMPType) + ":" + strconv.Itoa(e.ICMPCode)
	}
	return ""
}

// CheckPhrase is "inbound by rule 130 (deny tcp 1024-65535) of acl-0123",
// naming the subnet too when it is a VPC subnet id.
func CheckPhrase(c *replay.Check) string {
	label := c.ACL
	if c.ACLRef != nil {
		label = c.ACLRef.Label()
	}
	s := c.Direction.String() + " by rule " + strconv.Itoa(c.Rule) + " (" + DescribeRule(c) + ") of " + label
	if strings.HasPrefix(c.SubnetID, "subnet-") {
		s += " on " + c.SubnetID
	}
	return s
}

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

func (pc phraseCache) phrase(c *replay.Check) string {
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

// Sentences explains each denial of a conversation in plain words, in order.
func Sentences(cr *replay.ConvResult) []string { return sentences(cr, nil) }

// sentences is Sentences with a phrase cache (nil for none).
func sentences(cr *replay.ConvResult, pc phraseCache) []string {
	if len(cr.Denials) == 0 {
		return nil
	}
	out := make([]string, len(cr.Denials))
	for i := range cr.Denials {
		out[i] = sentence(cr.Conv, &cr.Denials[i], pc)
	}
	return out
}

// sentence explains one denied check in plain words. A response sentence
// says the requests get through only when the request leg has no denied
// packet; otherwise it says the replies would be denied as well.
func sentence(c *flows.Conversation, d *replay.Denial, pc phraseCache) string {
	ports := c.HasPorts()
	chk := &d.Check
	var s string
	if d.ICMPError {
		what := "ICMP errors"
		if d.Key.HasICMP {
			what = fmt.Sprintf("%s errors (type %d code %d)", flows.ProtoName(d.Key.Proto), d.Key.ICMPType, d.Key.ICMPCode)
		}
		s = fmt.Sprintf("%s from %s to %s about this conversation are denied %s", what, d.Key.Src, d.Key.Dst, pc.phrase(chk))
		if d.PMTU() {
			return s + ": path MTU discovery breaks, large transfers stall"
		}
		return s + ": the sender never learns why its packets fail"
	}
	if d.Role == replay.RoleResponse {
		if ports {
			s = "responses from " + endpoint(c.Server, true) + " to client port " + strconv.Itoa(int(c.Client.Port)) + " are denied " + pc.phrase(chk)
		} else {
			s = "responses from " + endpoint(c.Server, false) + " to " + endpoint(c.Client, false) + " are denied " + pc.phrase(chk)
		}
		switch {
		case d.RequestDenied && chk.Direction == nacl.Ingress:
			s += ": the requests are denied as well; once they are let through, the replies would still never arrive"
		case d.RequestDenied:
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
	if d.Uncertain() {
		s += " (uncertain: non-first fragments without ports; AWS does not document how NACLs treat them)"
	}
	return s
}
