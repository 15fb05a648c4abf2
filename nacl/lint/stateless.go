package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
	"go4.org/netipx"
)

// servicePorts are well-known server ports at or above 1024 (databases,
// caches, web alternates, remote admin, messaging).
var servicePorts = []uint16{1194, 1433, 1521, 1812, 2049, 2181, 2375, 2376, 3000, 3306, 3389, 4500,
	5432, 5439, 5601, 5672, 5985, 5986, 6379, 6443, 8000, 8080, 8443, 8888, 9000, 9090, 9092,
	9200, 9300, 11211, 27017}

// isServiceRange reports whether an allowed port range looks like a
// service (requests), not like a range of client ephemeral ports
// (replies): entirely below 1024, or at most 256 ports wide and holding
// a port below 1024 or a well-known service port.
func isServiceRange(r nacl.PortRange) bool {
	if r.To < 1024 {
		return true
	}
	if int(r.To)-int(r.From) >= 256 {
		return false
	}
	if r.From < 1024 {
		return true
	}
	for _, p := range servicePorts {
		if r.Contains(p) {
			return true
		}
	}
	return false
}

// serviceGroup is the allowed service rules of one direction and family
// for one protocol: their replies are judged together.
type serviceGroup struct {
	proto int
	rules []int      // indexes in the request group
	addrs []interval // merged CIDRs of the rules (the clients)
}

// serviceGroups collects reachable allow rules for TCP/UDP service ports,
// one group per protocol in order of first rule.
func (g *group) serviceGroups() []serviceGroup {
	var out []serviceGroup
	pos := map[int]int{}
	var boxes [][]box
	for i := range g.rules {
		r := &g.rules[i]
		if !r.ok || g.hidden[i] || r.action != nacl.Allow || !matchesPorts(r.entry.Protocol) || !isServiceRange(r.entry.Ports) {
			continue
		}
		p, ok := pos[r.entry.Protocol]
		if !ok {
			p = len(out)
			pos[r.entry.Protocol] = p
			out = append(out, serviceGroup{proto: r.entry.Protocol})
			boxes = append(boxes, nil)
		}
		out[p].rules = append(out[p].rules, i)
		boxes[p] = append(boxes[p], r.box)
	}
	for k := range out {
		out[k].addrs = g.addrUnion(boxes[k])
	}
	return out
}

// replyBoxes is the reply packets to clients at addrs on ports lo..hi.
func replyBoxes(v6 bool, proto int, addrs []interval, lo, hi uint16) []box {
	out := make([]box, len(addrs))
	for i, a := range addrs {
		b := fullBox(v6)
		b[dimProto] = interval{small(uint64(proto)), small(uint64(proto))}
		b[dimAddr] = a
		b[dimPort] = interval{small(uint64(lo)), small(uint64(hi))}
		out[i] = b
	}
	return out
}

// judge decides target by the group's rules and splits the result into
// allowed pieces, deny shares, the allowing rules (indexes) and how many
// packets (as a float, addresses x ports x ...) each of them allows.
func (g *group) judge(target []box) (allowed []box, denied []share, allowRules []int, volumes []float64, err error) {
	shares, err := g.decide(target, 0, nil)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, s := range shares {
		if g.ruleAction(s.rule) == nacl.Allow {
			allowed = append(allowed, s.pieces...)
			allowRules = append(allowRules, s.rule)
			v := 0.0
			for i := range s.pieces {
				v += s.pieces[i].volume()
			}
			volumes = append(volumes, v)
		} else {
			denied = append(denied, s)
		}
	}
	return allowed, denied, allowRules, volumes, nil
}

// returnPathFindings checks that the replies to every allowed service of
// the request group can pass the reply group, for every client profile.
func returnPathFindings(req, rep *group, profiles []ephemeral.Profile, used map[int]bool) []Finding {
	if req.err != nil || rep.err != nil || len(profiles) == 0 {
		return nil
	}
	lo, hi := profiles[0].From, profiles[0].To
	for _, p := range profiles {
		lo, hi = min(lo, p.From), max(hi, p.To)
	}
	var out []Finding
	for _, sg := range req.serviceGroups() {
		first := &req.rules[sg.rules[0]]
		var nums []int
		var ports []string
		for _, i := range sg.rules {
			nums = append(nums, req.rules[i].num)
			if pr := req.rules[i].entry.Ports.String(); !slices.Contains(ports, pr) {
				ports = append(ports, pr)
			}
		}
		peer := addrsText(sg.addrs, req.v6)
		proto := nacl.ProtocolName(sg.proto)
		portWord := "port"
		if len(ports) > 1 || strings.Contains(ports[0], "-") {
			portWord = "ports"
		}
		svc := fmt.Sprintf("%s %s %s (%s %s %s %s %s)", req.dir, plural("rule", len(nums)), ruleList(nums),
			proto, portWord, strings.Join(ports, ", "), fromTo(req.dir), peer)
		allowed, denied, allowRules, allowVolume, err := rep.judge(replyBoxes(req.v6, sg.proto, sg.addrs, lo, hi))
		if err != nil {
			continue
		}
		if len(allowed) == 0 {
			out = append(out, noReturnFinding(req, rep, first, nums, svc, proto, sg.addrs, lo, hi, denied, used))
			continue
		}
		var full, part, none []string
		warn := false
		for _, p := range profiles {
			a, d, _, _, err := rep.judge(replyBoxes(req.v6, sg.proto, sg.addrs, p.From, p.To))
			if err != nil {
				continue
			}
			label := fmt.Sprintf("%s (%d-%d)", p.Name, p.From, p.To)
			switch {
			case len(d) == 0:
				full = append(full, label)
				continue
			case len(a) == 0:
				none = append(none, label+": denied by "+denyRulesText(rep, d))
			default:
				part = append(part, label+": "+deniedPartText(rep, d, sg.addrs))
			}
			if p.Name == "linux" || p.Name == "windows" {
				warn = true
			}
		}
		if len(part)+len(none) == 0 {
			continue
		}
		plan := rep.planReplies(sg.proto, sg.addrs, lo, hi, denied, allowRules, allowVolume, used)
		// Anchor the finding on the first rule whose ports fall short
		// (short rules are allowing rules), else on the allowing rule that
		// lets the most replies through; the other allowing rules are
		// related.
		var anchorIdx int
		if len(plan.short) > 0 {
			anchorIdx = plan.short[0].idx
		} else {
			best := 0
			for k := range allowRules {
				if allowVolume[k] > allowVolume[best] {
					best = k
				}
			}
			anchorIdx = allowRules[best]
		}
		anchor := &rep.rules[anchorIdx]
		var all, relatedNums []int
		for _, i := range allowRules {
			all = append(all, rep.rules[i].num)
			if i != anchorIdx {
				relatedNums = append(relatedNums, rep.rules[i].num)
			}
		}
		slices.Sort(all)
		slices.Sort(relatedNums)
		allowedText := portsText(unionIntervals(allowed, dimPort))
		for _, seg := range rep.portSegments(allowed) {
			if !slices.Equal(seg.addrs, sg.addrs) {
				allowedText += " (some only " + fromTo(rep.dir) + " part of the clients)"
				break
			}
		}
		sev := nacl.SevInfo
		if warn {
			sev = nacl.SevWarning
		}
		msg := fmt.Sprintf("%s %s %s allow%s the replies to %s only on ports %s",
			rep.dir, plural("rule", len(all)), ruleList(all), verbS(len(all)), svc, allowedText)
		if len(full) > 0 {
			msg += "; fully covered: " + strings.Join(full, ", ")
		}
		if len(part) > 0 {
			msg += "; partly: " + strings.Join(part, "; ")
		}
		if len(none) > 0 {
			msg += "; not at all: " + strings.Join(none, "; ")
		}
		if t := plan.text(rep, sg.proto, sg.addrs); t != "" {
			msg += "; " + t
		}
		fix := fmt.Sprintf("to let replies through on ports %d-%d (every client type checked): %s", lo, hi, strings.Join(plan.clauses, "; "))
		out = append(out, Finding{Severity: sev, Code: CodeNarrowEphem, Direction: rep.dir, IPv6: rep.v6,
			Rule: anchor.num, Related: relatedNums, Pos: anchor.entry.Pos, Message: msg, Fix: fix})
	}
	return out
}

// noReturnFinding reports services none of whose replies can pass.
func noReturnFinding(req, rep *group, first *grule, nums []int, svc, proto string, addrs []interval, lo, hi uint16, denied []share, used map[int]bool) Finding {
	limit := firstUserDeny(rep, denied)
	var lines []string
	for _, iv := range addrs {
		for _, p := range netipx.IPRangeFrom(valueAddr(iv.lo, rep.v6), valueAddr(iv.hi, rep.v6)).Prefixes() {
			n := suggestNumber(used, limit)
			if n != 0 {
				used[n] = true
			}
			lines = append(lines, fmt.Sprintf("`%s %s allow %s %s %d-%d`", shortDir(rep.dir), numText(n), proto, p, lo, hi))
		}
	}
	if len(lines) > 4 {
		lines = append(lines[:4], fmt.Sprintf("%d more", len(lines)-4))
	}
	fix := fmt.Sprintf("NACLs are stateless: add %s (every client type; 32768-65535 covers Linux, Windows and macOS clients only)", strings.Join(lines, ", "))
	if limit <= nacl.MaxRuleNumber {
		fix += fmt.Sprintf(", numbered below %s rule %d which denies them now", rep.dir, limit)
	}
	return Finding{Severity: nacl.SevWarning, Code: CodeNoReturnPath, Direction: req.dir, IPv6: req.v6,
		Rule: first.num, Related: nums[1:], Pos: first.entry.Pos,
		Message: fmt.Sprintf("%s allow%s requests, but no %s rule lets the replies reach any client ephemeral port: %s %s %s %s ports %d-%d is denied by %s",
			svc, verbS(len(nums)), rep.dir, rep.dir, proto, fromTo(rep.dir), addrsText(addrs, rep.v6), lo, hi, denyRulesText(rep, denied)),
		Fix: fix,
	}
}

// firstUserDeny returns the lowest user rule number among deny shares, or
// a number above every user rule when only the default rule denies.
func firstUserDeny(g *group, denied []share) int {
	limit := nacl.MaxRuleNumber + 1
	for _, s := range denied {
		if s.rule >= 0 {
			limit = min(limit, g.rules[s.rule].num)
		}
	}
	return limit
}

// denyRulesText names the rules of deny shares: "rule 130 and rule *".
func denyRulesText(g *group, denied []share) string {
	nums := make([]int, len(denied))
	for k, s := range denied {
		nums[k] = g.ruleNum(s.rule)
	}
	return plural("rule", len(nums)) + " " + ruleList(nums)
}

// deniedPartText says which ports, and towards which addresses when not
// all of them, deny shares hold: "ports 61000-65535 denied by rule *" or
// "ports 32768-49151, and 49152-60999 to all but 2001:db8::/32, denied by
// rule *".
func deniedPartText(g *group, denied []share, whole []interval) string {
	var pieces []box
	for _, s := range denied {
		pieces = append(pieces, s.pieces...)
	}
	var parts []string
	for _, seg := range g.portSegments(pieces) {
		t := plural("port", portCount([]interval{seg.ports})) + " " + rangeText(seg.ports)
		if !slices.Equal(seg.addrs, whole) {
			t += " " + fromTo(g.dir) + " " + g.addrsOrComplement(seg.addrs, whole)
		}
		parts = append(parts, t)
	}
	s := strings.Join(parts, ", and ")
	if len(parts) > 1 {
		s += ","
	}
	return s + " denied by " + denyRulesText(g, denied)
}

// addrsOrComplement formats addrs (a part of whole), as "all but X" when
// the complement is the shorter list.
func (g *group) addrsOrComplement(addrs []interval, whole []interval) string {
	var rest []box
	for _, iv := range whole {
		b := fullBox(g.v6)
		b[dimAddr] = iv
		rest = append(rest, b)
	}
	for _, iv := range addrs {
		c := fullBox(g.v6)
		c[dimAddr] = iv
		rest, _ = minusBox(rest, &c)
	}
	comp := g.addrUnion(rest)
	if len(comp) > 0 && len(comp) < len(addrs) {
		return "all but " + addrsText(comp, g.v6)
	}
	return addrsText(addrs, g.v6)
}

// portSegment is a port range over which the denied addresses are the same.
type portSegment struct {
	ports interval
	addrs []interval
}

// portSegments cuts the port dimension of pieces at every piece boundary
// and lists, per segment, the addresses the pieces cover there; adjacent
// segments with the same addresses are merged.
func (g *group) portSegments(pieces []box) []portSegment {
	var cuts []uint64
	for i := range pieces {
		cuts = append(cuts, pieces[i][dimPort].lo.lo, pieces[i][dimPort].hi.lo+1)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []portSegment
	for k := 0; k+1 < len(cuts); k++ {
		seg := interval{small(cuts[k]), small(cuts[k+1] - 1)}
		var in []box
		for i := range pieces {
			if pieces[i][dimPort].lo.lo <= cuts[k] && cuts[k] <= pieces[i][dimPort].hi.lo {
				in = append(in, pieces[i])
			}
		}
		if len(in) == 0 {
			continue
		}
		addrs := g.addrUnion(in)
		if n := len(out); n > 0 && out[n-1].ports.hi.inc() == seg.lo && slices.Equal(out[n-1].addrs, addrs) {
			out[n-1].ports.hi = seg.hi
			continue
		}
		out = append(out, portSegment{seg, addrs})
	}
	return out
}

// portCount returns the number of ports in merged intervals (capped at 2:
// only singular or plural matters).
func portCount(ivs []interval) int {
	if len(ivs) == 1 && ivs[0].lo == ivs[0].hi {
		return 1
	}
	return 2
}

// addrUnion projects pieces onto the address dimension and merges the
// intervals. IPv4-mapped IPv6 addresses are ordinary IPv6 addresses to a
// NACL (an IPv6 packet meets IPv6 entries), so IPv6 space has no hole.
func (g *group) addrUnion(pieces []box) []interval {
	return unionIntervals(pieces, dimAddr)
}

// fromTo returns "from" for inbound and "to" for outbound.
func fromTo(d nacl.Direction) string {
	if d == nacl.Egress {
		return "to"
	}
	return "from"
}

// shortDir returns "in" or "out" as the native format spells directions.
func shortDir(d nacl.Direction) string {
	if d == nacl.Egress {
		return "out"
	}
	return "in"
}

// numText formats a suggested rule number, "N" when none is free.
func numText(n int) string {
	if n == 0 {
		return "N"
	}
	return fmt.Sprint(n)
}

// plural returns word or word+"s".
func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// verbS returns "s" for a singular subject ("rule 100 allows").
func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
