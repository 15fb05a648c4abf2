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

// brokeService is "tcp/443", "icmp".
func brokeService(proto uint8, port uint16, hasPort bool) string {
	s := flows.ProtoName(proto)
	if hasPort {
		s += "/" + strconv.Itoa(int(port))
	}
	return s
}

// topPeers is "192.0.2.80 (12), 192.0.2.81 (3)" and "+N" for the rest.
func topPeers(sv *replay.BrokeService) string {
	parts := make([]string, 0, len(sv.TopPeers)+1)
	for i := range sv.TopPeers {
		g := &sv.TopPeers[i]
		parts = append(parts, g.Peer.String()+" ("+strconv.Itoa(g.Conversations)+")")
	}
	if n := sv.Peers - len(sv.TopPeers); n > 0 {
		parts = append(parts, "+"+strconv.Itoa(n)+" more")
	}
	return strings.Join(parts, ", ")
}

// writeBrokeText prints what broke: the denied traffic by deciding rule,
// then by service (leg, protocol, port) with its peers, the top BrokeTop
// of each.
func (o *Options) writeBrokeText(b *strings.Builder, r *replay.Report) {
	if len(r.Broke) == 0 {
		return
	}
	b.WriteString("\nWHAT BROKE (denied traffic by deciding rule, then by service and peer; conversations in parentheses)\n")
	for i := range r.Broke {
		if i == BrokeTop {
			fmt.Fprintf(b, "... %d more rule(s) (--format json: rules)\n", len(r.Broke)-i)
			break
		}
		br := &r.Broke[i]
		fmt.Fprintf(b, "%s: %d conversation(s), %d packet(s), %s .. %s\n", brokeRuleText(br), br.Conversations, br.Packets,
			o.FormatTime(br.First), o.FormatTime(br.Last))
		t := newTextTable("  LEG", "SERVICE", "CONVS", "PACKETS", "FIRST", "LAST", "PEERS").alignRight(2, 3)
		for k := range br.Services {
			if k == BrokeTop {
				break
			}
			sv := &br.Services[k]
			t.add("  "+string(sv.Role), brokeService(sv.Proto, sv.Port, sv.HasPort), strconv.Itoa(sv.Conversations), strconv.FormatUint(sv.Packets, 10),
				o.FormatTime(sv.First), o.FormatTime(sv.Last), topPeers(sv))
		}
		_ = t.write(b, false)
		if n := len(br.Services) - BrokeTop; n > 0 {
			fmt.Fprintf(b, "  ... %d more service(s)\n", n)
		}
	}
}

// BrokeJSON is one deciding rule of check's "broke" array: the denied
// traffic it decided, by service, with the top peers.
type BrokeJSON struct {
	ACL           string             `json:"acl"`
	Direction     string             `json:"direction"`
	Rule          int                `json:"rule"`
	RuleText      string             `json:"rule_text"`
	Conversations int                `json:"conversations"`
	Packets       uint64             `json:"packets"`
	First         string             `json:"first"`
	Last          string             `json:"last"`
	Services      []BrokeServiceJSON `json:"services"`
}

// BrokeServiceJSON is one service of a BrokeJSON.
type BrokeServiceJSON struct {
	Leg           string          `json:"leg"`
	Proto         string          `json:"proto"`
	Port          *uint16         `json:"port,omitempty"`
	Conversations int             `json:"conversations"`
	Packets       uint64          `json:"packets"`
	First         string          `json:"first"`
	Last          string          `json:"last"`
	Peers         int             `json:"peers"`
	TopPeers      []BrokePeerJSON `json:"top_peers"`
}

// BrokePeerJSON is one peer of a BrokeServiceJSON.
type BrokePeerJSON struct {
	Peer          string `json:"peer"`
	Conversations int    `json:"conversations"`
	Packets       uint64 `json:"packets"`
}

// BrokeJSON converts the report's what-broke summary, never returning nil.
func (o *Options) BrokeJSON(r *replay.Report) []BrokeJSON {
	out := make([]BrokeJSON, 0, len(r.Broke))
	for i := range r.Broke {
		br := &r.Broke[i]
		c := replay.Check{Entry: br.Entry, ACLRef: br.ACLRef}
		j := BrokeJSON{ACL: br.ACL, Direction: br.Direction.String(), Rule: br.Rule, RuleText: DescribeRule(&c), Conversations: br.Conversations,
			Packets: br.Packets, First: o.FormatTime(br.First), Last: o.FormatTime(br.Last), Services: make([]BrokeServiceJSON, 0, len(br.Services))}
		for k := range br.Services {
			sv := &br.Services[k]
			sj := BrokeServiceJSON{Leg: string(sv.Role), Proto: flows.ProtoName(sv.Proto), Conversations: sv.Conversations, Packets: sv.Packets,
				First: o.FormatTime(sv.First), Last: o.FormatTime(sv.Last), Peers: sv.Peers, TopPeers: make([]BrokePeerJSON, 0, len(sv.TopPeers))}
			if sv.HasPort {
				p := sv.Port
				sj.Port = &p
			}
			for _, g := range sv.TopPeers {
				sj.TopPeers = append(sj.TopPeers, BrokePeerJSON{Peer: g.Peer.String(), Conversations: g.Conversations, Packets: g.Packets})
			}
			j.Services = append(j.Services, sj)
		}
		out = append(out, j)
	}
	return out
}
