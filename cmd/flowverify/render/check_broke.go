package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// BrokeTop is how many rules, and groups per rule, the text summary's
// "what broke" shows (the JSON report lists them all).
const BrokeTop = 5

// brokeRuleText is "in#130 deny tcp 1024-65535 of web-server".
func brokeRuleText(br *replay.BrokeRule) string {
	c := replay.Check{Entry: br.Entry, ACLRef: br.ACLRef}
	label := br.ACL
	if br.ACLRef != nil {
		label = br.ACLRef.Label()
	}
	return dirWord(br.Direction) + "#" + strconv.Itoa(br.Rule) + " (" + DescribeRule(&c) + ") of " + label
}

// brokeGroupService is "tcp/443", "icmp".
func brokeGroupService(g *replay.BrokeGroup) string {
	s := flows.ProtoName(g.Proto)
	if g.HasPort {
		s += "/" + strconv.Itoa(int(g.Port))
	}
	return s
}

// writeBrokeText prints what broke: the denied traffic by deciding rule,
// then by peer and service, the top BrokeTop of each.
func (o *Options) writeBrokeText(b *strings.Builder, r *replay.Report) {
	if len(r.Broke) == 0 {
		return
	}
	b.WriteString("\nWHAT BROKE (denied traffic by deciding rule, then peer and service)\n")
	for i := range r.Broke {
		if i == BrokeTop {
			fmt.Fprintf(b, "... %d more rule(s) (--format json: rules)\n", len(r.Broke)-i)
			break
		}
		br := &r.Broke[i]
		fmt.Fprintf(b, "%s: %d conversation(s), %d packet(s), %s .. %s\n", brokeRuleText(br), br.Conversations, br.Packets,
			o.FormatTime(br.First), o.FormatTime(br.Last))
		t := newTextTable("  LEG", "PEER", "SERVICE", "CONVS", "PACKETS", "FIRST", "LAST").alignRight(3, 4)
		for k := range br.Groups {
			if k == BrokeTop {
				break
			}
			g := &br.Groups[k]
			t.add("  "+string(g.Role), g.Peer.String(), brokeGroupService(g), strconv.Itoa(g.Conversations), strconv.FormatUint(g.Packets, 10),
				o.FormatTime(g.First), o.FormatTime(g.Last))
		}
		_ = t.write(b, false)
		if n := len(br.Groups) - BrokeTop; n > 0 {
			fmt.Fprintf(b, "  ... %d more peer/service group(s)\n", n)
		}
	}
}
