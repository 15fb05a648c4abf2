package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// explainPlan is one check to trace: the direction, the subnet it guards
// ("" with --direction alone) and why the packet meets it.
type explainPlan struct {
	dir    nacl.Direction
	subnet string
	reason string
}

func runExplain(env *runEnv, args []string) int {
	const cmd = "explain"
	fs := newFlagSet(env, cmd, `--nacl FILE [--acl ID|NAME] (--subnet CIDR... [--vpc-cidr CIDR...] | --direction in|out) "PROTO SRC > DST [type T code C]"`)
	var (
		naclPath, sel, naclFormat, format, direction string
		subnets, vpcFlags                            []string
		allRules                                     bool
	)
	fs.StringVar(&naclPath, "nacl", "", "NACL file (describe-network-acls JSON, Terraform, CloudFormation, native text); required")
	fs.StringVar(&sel, "acl", "", "ACL ID or Name tag when the file holds several")
	fs.StringVar(&naclFormat, "nacl-format", "auto", "NACL file format: auto, aws-json, terraform, terraform-json, cloudformation, text")
	var nf naclFlags
	addNACLFlags(fs, &nf)
	fs.StringSliceVar(&subnets, "subnet", nil, "CIDR of a subnet behind the NACL (repeatable: each CIDR is its own subnet, except one IPv4 plus one IPv6 CIDR, which form one dual-stack subnet); sets the direction")
	fs.StringArrayVar(&vpcFlags, "vpc-cidr", nil, "VPC CIDR (repeatable): the first IPv4 one is the primary CIDR, whose base+2 address is the Amazon DNS resolver, which NACLs never filter")
	fs.StringVar(&direction, "direction", "", "in or out: judge against these rules without a subnet")
	fs.StringVar(&format, "format", "text", "output format: text or json")
	fs.BoolVar(&allRules, "all-rules", false, "also list the rules evaluation never reached and the other direction's rules")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(format, "text", "json"); err != nil {
		return fail(env, cmd, err)
	}
	if naclPath == "" {
		return fail(env, cmd, errors.New("--nacl FILE is required"))
	}
	if fs.NArg() == 0 {
		return fail(env, cmd, errors.New(`no packet given, e.g. "tcp 198.51.100.20:80 > 10.0.1.10:34372"`))
	}
	if len(subnets) == 0 && direction == "" {
		return fail(env, cmd, errors.New("give --subnet CIDR (the subnet behind the NACL) or --direction in|out"))
	}
	pkt, err := nacl.ParsePacket(strings.Join(fs.Args(), " "))
	if err != nil {
		return fail(env, cmd, err)
	}
	cidrs, err := parsePrefixes("subnet", subnets)
	if err != nil {
		return fail(env, cmd, err)
	}
	if len(subnets) > 0 && len(cidrs) == 0 {
		return fail(env, cmd, errors.New("--subnet: no CIDR given"))
	}
	vpc, err := parsePrefixes("vpc-cidr", vpcFlags)
	if err != nil {
		return fail(env, cmd, err)
	}
	file, err := readNACL(env, cmd, naclPath, naclFormat, &nf, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	acl, err := file.Select(sel)
	if err != nil {
		return fail(env, cmd, err)
	}
	res := render.Explain{Packet: pkt.String(), ACL: acl.ID, ACLName: acl.Name, File: naclPath, Subnets: subnets, VPCCIDRs: prefixStrings(vpc), Steps: []render.ExplainStep{}}
	if len(res.VPCCIDRs) == 0 {
		res.VPCCIDRs = nil
	}
	plans, reason, err := explainPlans(acl, &pkt.Packet, cidrs, vpc, direction)
	if err != nil {
		return fail(env, cmd, err)
	}
	res.Reason = reason
	if len(plans) == 0 {
		res.Verdict = "not-filtered"
		return finishExplain(env, cmd, format, &res, exitOK)
	}
	res.Filtered = true
	ev := nacl.Compile(acl)
	deciding := -1
	for i, pl := range plans {
		c := traceCheck(acl, ev, pl, &pkt.Packet, allRules, len(plans) > 1)
		res.Checks = append(res.Checks, c)
		res.Steps = append(res.Steps, c.Steps...)
		if c.Uncertain {
			res.Uncertain = true
		}
		if deciding < 0 && c.Verdict == nacl.Deny.String() {
			deciding = i
		}
	}
	if deciding < 0 {
		deciding = len(res.Checks) - 1
	}
	d := &res.Checks[deciding]
	res.Direction, res.Verdict, res.Rule, res.Default, res.Position = d.Direction, d.Verdict, d.Rule, d.Default, d.Position
	if len(res.Checks) == 1 {
		res.Checks = nil // the top-level fields say it all
	}
	if res.Uncertain {
		res.Notes = append(res.Notes, "the packet is a non-first fragment (or its ICMP type is unknown): AWS does not document how NACLs treat such fragments; entries that need the port or ICMP type were treated as not matching (UNCONFIRMED)")
	}
	if len(vpc) == 0 {
		for _, a := range []netip.Addr{pkt.Src, pkt.Dst} {
			if looksLikeVPCBase2(a) {
				res.Notes = append(res.Notes, fmt.Sprintf("no --vpc-cidr given: if %s is its VPC's base+2 address (the Amazon DNS resolver), NACLs do not filter this traffic; give --vpc-cidr to have it exempted", a))
				break
			}
		}
	}
	code := exitOK
	if res.Verdict == nacl.Deny.String() {
		code = exitFindings
	}
	return finishExplain(env, cmd, format, &res, code)
}

// looksLikeVPCBase2 reports whether a could be the Amazon DNS resolver of
// a VPC whose CIDR is not known: an IPv4 address ending in .2.
func looksLikeVPCBase2(a netip.Addr) bool {
	return a.Is4() && a.As4()[3] == 2
}

// traceCheck traces p through acl's rules of one direction. With several
// checks, --all-rules leaves out the other direction's rules (another
// check lists them).
func traceCheck(acl *nacl.ACL, ev *nacl.Evaluator, pl explainPlan, p *nacl.Packet, allRules, several bool) render.ExplainCheck {
	c := render.ExplainCheck{Subnet: pl.subnet, Direction: pl.dir.String(), Reason: pl.reason, Steps: []render.ExplainStep{}}
	steps := ev.Trace(pl.dir, p)
	if allRules {
		steps = ev.TraceFull(pl.dir, p)
	}
	for _, st := range steps {
		if several && st.Miss == nacl.MissDirection {
			continue
		}
		es := render.ExplainStep{Rule: st.RuleNumber, Direction: pl.dir.String(), Action: st.Action.String(), Matched: st.Matched, Miss: st.Miss.String(), Why: st.Why, Uncertain: st.Uncertain}
		if st.Entry >= 0 {
			e := &acl.Entries[st.Entry]
			es.Direction = e.Direction.String()
			es.Match, es.Position, es.Comment = e.MatchText(), e.Pos.String(), e.Comment
		} else {
			es.Match = "all 0.0.0.0/0 (implicit default)"
			if st.RuleNumber == nacl.DefaultRuleIPv6 {
				es.Match = "all ::/0 (implicit default)"
			}
		}
		c.Steps = append(c.Steps, es)
		if st.Uncertain {
			c.Uncertain = true
		}
	}
	d := ev.Evaluate(pl.dir, p)
	c.Verdict, c.Rule, c.Default = d.Action.String(), d.RuleNumber, d.IsDefault()
	if !d.IsDefault() {
		c.Position = acl.Entries[d.Entry].Pos.String()
	}
	return c
}

// explainPlans decides which checks judge the packet, the way check does
// (replay.Judge): from a subnet to outside the subnet's outbound rules,
// from outside into a subnet its inbound rules, from one given subnet to
// another both (outbound, then inbound, even though one NACL guards both).
// Traffic inside one subnet, traffic crossing no given subnet and traffic
// AWS never filters meet no check; reason says why. Without --subnet the
// packet meets the --direction rules unless AWS never filters it.
func explainPlans(acl *nacl.ACL, p *nacl.Packet, cidrs, vpc []netip.Prefix, flag string) ([]explainPlan, string, error) {
	var fd nacl.Direction
	if flag != "" {
		d, err := nacl.ParseDirection(flag)
		if err != nil {
			return nil, "", fmt.Errorf("--direction: %w", err)
		}
		fd = d
	}
	topo := &replay.Topology{VPCCIDRs: vpc}
	if len(cidrs) > 0 {
		t, err := replay.SimpleTopology(acl, cidrs, vpc)
		if err != nil {
			return nil, "", err
		}
		topo = t
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		return nil, "", fmt.Errorf("--subnet: %w", err)
	}
	jd := j.Judge(p)
	if len(cidrs) == 0 {
		if jd.Verdict == replay.Exempt {
			return nil, notFilteredWhy(jd.Reason), nil
		}
		return []explainPlan{{dir: fd, reason: "direction given with --direction"}}, "", nil
	}
	switch jd.Verdict {
	case replay.Exempt:
		return nil, notFilteredWhy(jd.Reason), nil
	case replay.NotFiltered:
		switch jd.Reason {
		case replay.ReasonSameSubnet:
			_, sp, _ := j.SubnetOf(p.Src)
			return nil, fmt.Sprintf("source and destination are both in subnet %s: NACLs do not filter traffic within a subnet", sp), nil
		case replay.ReasonNotCrossing:
			where := "subnet " + strings.Join(prefixStrings(cidrs), ", ")
			if len(topo.Subnets) > 1 {
				where = "any given subnet (" + strings.Join(prefixStrings(topo.CIDRs()), ", ") + ")"
			}
			return nil, fmt.Sprintf("neither %s nor %s is in %s: the packet does not cross this NACL", p.Src, p.Dst, where), nil
		}
		return nil, notFilteredWhy(jd.Reason), nil
	}
	var plans []explainPlan
	for i := 0; i < jd.NCheck; i++ {
		c := &jd.Checks[i]
		pl := explainPlan{dir: c.Direction, subnet: c.Subnet.String()}
		if c.Direction == nacl.Ingress {
			pl.reason = fmt.Sprintf("inbound: destination %s is in subnet %s and the source is outside; inbound rules match the source address and the destination port", p.Dst, c.Subnet)
		} else {
			pl.reason = fmt.Sprintf("outbound: source %s is in subnet %s and the destination is outside; outbound rules match the destination address and the destination port", p.Src, c.Subnet)
		}
		plans = append(plans, pl)
	}
	reason := ""
	if len(plans) == 1 {
		reason = plans[0].reason
	} else {
		plans[0].reason = fmt.Sprintf("outbound: source %s leaves subnet %s; outbound rules match the destination address and the destination port", p.Src, plans[0].subnet)
		plans[1].reason = fmt.Sprintf("inbound: destination %s enters subnet %s; inbound rules match the source address and the destination port", p.Dst, plans[1].subnet)
		reason = fmt.Sprintf("between subnets: source %s is in subnet %s and destination %s in subnet %s; the packet meets the source subnet's outbound rules, then the destination subnet's inbound rules (two subnets sharing one NACL still get both checks)",
			p.Src, plans[0].subnet, p.Dst, plans[1].subnet)
	}
	if flag != "" {
		var kept []explainPlan
		for _, pl := range plans {
			if pl.dir == fd {
				kept = append(kept, pl)
			}
		}
		if len(kept) == 0 {
			return nil, "", fmt.Errorf("--direction %s contradicts --subnet: the packet is %s for that subnet", fd, plans[0].dir)
		}
		if len(kept) < len(plans) {
			reason = kept[0].reason + " (--direction " + flag + " shows only this check of the two the packet meets)"
			kept[0].reason = reason
		}
		plans = kept
	}
	return plans, reason, nil
}

// notFilteredWhy is the message for traffic AWS never filters.
func notFilteredWhy(reason string) string {
	why := "AWS network ACLs do not filter this traffic (" + reason + ")"
	if n, ok := replay.ExemptNotes[reason]; ok {
		why += ": " + n
	}
	return why
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// finishExplain prints the result and returns code (exitError when
// printing fails).
func finishExplain(env *runEnv, cmd, format string, res *render.Explain, code int) int {
	err := res.Write(env.stdout, format, env.stdoutIsTerminal)
	if err != nil {
		return fail(env, cmd, err)
	}
	return code
}
