package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

func init() {
	register(&command{
		name:    "explain",
		summary: "show how a NACL judges one packet, rule by rule",
		run:     runExplain,
	})
}

// explainResult is the JSON form of an explanation.
type explainResult struct {
	Packet    string        `json:"packet"`
	ACL       string        `json:"acl"`
	ACLName   string        `json:"acl_name,omitempty"`
	File      string        `json:"file"`
	Subnets   []string      `json:"subnets,omitempty"`
	Direction string        `json:"direction,omitempty"`
	Filtered  bool          `json:"filtered"`
	Reason    string        `json:"reason"`
	Steps     []explainStep `json:"steps"`
	Verdict   string        `json:"verdict"`
	Rule      int           `json:"rule,omitempty"`
	Default   bool          `json:"default_rule,omitempty"`
	Position  string        `json:"position,omitempty"`
	Uncertain bool          `json:"uncertain"`
	Notes     []string      `json:"notes,omitempty"`
}

// explainStep is one rule considered.
type explainStep struct {
	Rule      int    `json:"rule"`
	Direction string `json:"direction"`
	Action    string `json:"action"`
	Match     string `json:"match"`
	Matched   bool   `json:"matched"`
	Miss      string `json:"miss,omitempty"`
	Why       string `json:"why"`
	Uncertain bool   `json:"uncertain,omitempty"`
	Position  string `json:"position,omitempty"`
	Comment   string `json:"comment,omitempty"`
}

func runExplain(env *runEnv, args []string) int {
	const cmd = "explain"
	fs := newFlagSet(env, cmd, `--nacl FILE [--acl ID|NAME] (--subnet CIDR... | --direction in|out) "PROTO SRC > DST [type T code C]"`)
	var (
		naclPath, sel, naclFormat, format, direction string
		subnets                                      []string
		allRules                                     bool
	)
	fs.StringVar(&naclPath, "nacl", "", "NACL file (describe-network-acls JSON, Terraform, CloudFormation, native text); required")
	fs.StringVar(&sel, "acl", "", "ACL ID or Name tag when the file holds several")
	fs.StringVar(&naclFormat, "nacl-format", "auto", "NACL file format: auto, aws-json, terraform, terraform-json, cloudformation, text")
	fs.StringSliceVar(&subnets, "subnet", nil, "CIDR of the subnet behind the NACL (repeatable, e.g. its IPv4 and IPv6 CIDRs); sets the direction")
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
	var cidrs []netip.Prefix
	for _, s := range subnets {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return fail(env, cmd, fmt.Errorf("--subnet %q: not a CIDR", s))
		}
		cidrs = append(cidrs, p.Masked())
	}
	file, err := readNACL(env, cmd, naclPath, naclFormat)
	if err != nil {
		return fail(env, cmd, err)
	}
	acl, err := file.Select(sel)
	if err != nil {
		return fail(env, cmd, err)
	}
	res := explainResult{Packet: pkt.String(), ACL: acl.ID, ACLName: acl.Name, File: naclPath, Subnets: subnets, Steps: []explainStep{}}
	dir, filtered, reason, err := explainDirection(pkt.Packet, cidrs, direction)
	if err != nil {
		return fail(env, cmd, err)
	}
	res.Filtered, res.Reason = filtered, reason
	if filtered && len(cidrs) > 0 {
		if why := exemption(acl, cidrs, &pkt.Packet); why != "" {
			res.Filtered, res.Reason = false, why
		}
	}
	if !res.Filtered {
		res.Verdict = "not-filtered"
		return finishExplain(env, cmd, format, &res, exitOK)
	}
	res.Direction = dir.String()
	ev := nacl.Compile(acl)
	steps := ev.Trace(dir, &pkt.Packet)
	if allRules {
		steps = ev.TraceFull(dir, &pkt.Packet)
	}
	for _, st := range steps {
		es := explainStep{Rule: st.RuleNumber, Direction: dir.String(), Action: st.Action.String(), Matched: st.Matched, Miss: st.Miss.String(), Why: st.Why, Uncertain: st.Uncertain}
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
		res.Steps = append(res.Steps, es)
		if st.Uncertain {
			res.Uncertain = true
		}
	}
	d := ev.Evaluate(dir, &pkt.Packet)
	res.Verdict, res.Rule, res.Default = d.Action.String(), d.RuleNumber, d.IsDefault()
	if !d.IsDefault() {
		res.Position = acl.Entries[d.Entry].Pos.String()
	}
	if res.Uncertain {
		res.Notes = append(res.Notes, "the packet is a non-first fragment (or its ICMP type is unknown): AWS does not document how NACLs treat such fragments; entries that need the port or ICMP type were treated as not matching (UNCONFIRMED)")
	}
	code := exitOK
	if d.Action == nacl.Deny {
		code = exitFindings
	}
	return finishExplain(env, cmd, format, &res, code)
}

// explainDirection decides which rules judge the packet: inbound when the
// destination is in the subnet and the source is not, outbound in the
// opposite case; otherwise the NACL does not filter it.
func explainDirection(p nacl.Packet, cidrs []netip.Prefix, flag string) (nacl.Direction, bool, string, error) {
	if len(cidrs) == 0 {
		d, err := nacl.ParseDirection(flag)
		if err != nil {
			return 0, false, "", fmt.Errorf("--direction: %w", err)
		}
		return d, true, "direction given with --direction", nil
	}
	in := func(a netip.Addr) (netip.Prefix, bool) {
		for _, c := range cidrs {
			if c.Contains(a) {
				return c, true
			}
		}
		return netip.Prefix{}, false
	}
	sp, srcIn := in(p.Src)
	dp, dstIn := in(p.Dst)
	var d nacl.Direction
	switch {
	case srcIn && dstIn:
		return 0, false, fmt.Sprintf("source and destination are both in subnet %s: NACLs do not filter traffic within a subnet", sp), nil
	case !srcIn && !dstIn:
		return 0, false, fmt.Sprintf("neither %s nor %s is in subnet %s: the packet does not cross this NACL", p.Src, p.Dst, strings.Join(prefixStrings(cidrs), ", ")), nil
	case dstIn:
		d = nacl.Ingress
	default:
		d = nacl.Egress
	}
	if flag != "" {
		fd, err := nacl.ParseDirection(flag)
		if err != nil {
			return 0, false, "", fmt.Errorf("--direction: %w", err)
		}
		if fd != d {
			return 0, false, "", fmt.Errorf("--direction %s contradicts --subnet: the packet is %s for that subnet", fd, d)
		}
	}
	if d == nacl.Ingress {
		return d, true, fmt.Sprintf("inbound: destination %s is in subnet %s and the source is outside; inbound rules match the source address and the destination port", p.Dst, dp), nil
	}
	return d, true, fmt.Sprintf("outbound: source %s is in subnet %s and the destination is outside; outbound rules match the destination address and the destination port", p.Src, sp), nil
}

// exemption asks the replay package whether AWS filters this traffic at
// all (instance metadata, Amazon DNS, Time Sync, ...); "" when it does.
func exemption(acl *nacl.ACL, cidrs []netip.Prefix, p *nacl.Packet) string {
	j, err := replay.NewJudge(&replay.Topology{Subnets: []replay.Subnet{{ID: "subnet", CIDRs: cidrs, ACL: acl}}})
	if err != nil {
		return ""
	}
	jd := j.Judge(p)
	if jd.Verdict == replay.Exempt || (jd.Verdict == replay.NotFiltered && jd.Reason != replay.ReasonSameSubnet && jd.Reason != replay.ReasonNotCrossing) {
		why := "AWS network ACLs do not filter this traffic (" + jd.Reason + ")"
		if n, ok := replay.ExemptNotes[jd.Reason]; ok {
			why += ": " + n
		}
		return why
	}
	return ""
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
func finishExplain(env *runEnv, cmd, format string, res *explainResult, code int) int {
	var err error
	if format == "json" {
		err = writeJSON(env.stdout, res)
	} else {
		err = writeExplainText(env.stdout, res, env.stdoutIsTerminal)
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	return code
}

// writeExplainText prints the explanation for people.
func writeExplainText(w io.Writer, res *explainResult, colour bool) error {
	label := res.ACL
	if res.ACLName != "" && res.ACLName != res.ACL {
		label += " (" + res.ACLName + ")"
	}
	fmt.Fprintf(w, "packet:    %s\n", res.Packet)
	fmt.Fprintf(w, "nacl:      %s from %s\n", label, res.File)
	if !res.Filtered {
		fmt.Fprintf(w, "verdict:   %s: %s\n", colourText("NOT FILTERED", ansiYellow, colour), res.Reason)
		return nil
	}
	fmt.Fprintf(w, "direction: %s\n\n", res.Reason)
	t := newTextTable("RULE", "DIR", "ACTION", "MATCHES", "RESULT").alignRight(0)
	for _, s := range res.Steps {
		rule := fmt.Sprint(s.Rule)
		if s.Rule >= nacl.DefaultRuleIPv4 {
			rule = "*" + rule
		}
		result := "no: " + s.Why
		switch {
		case s.Matched:
			result = "MATCH, decides"
		case s.Miss == nacl.MissNotReached.String() || s.Miss == nacl.MissDirection.String():
			result = s.Why
		}
		dir := "in"
		if s.Direction == nacl.Egress.String() {
			dir = "out"
		}
		match := s.Match
		if s.Comment != "" {
			match += "  # " + s.Comment
		}
		t.add(rule, dir, s.Action, match, result)
	}
	t.colour = func(row, col int, cell string) string {
		if col != 4 || !res.Steps[row].Matched {
			return ""
		}
		if res.Steps[row].Action == "allow" {
			return ansiGreen
		}
		return ansiRed
	}
	if err := t.write(w, colour); err != nil {
		return err
	}
	verdict := strings.ToUpper(res.Verdict)
	code := ansiGreen
	if res.Verdict == "deny" {
		code = ansiRed
	}
	by := fmt.Sprintf("%s rule %d", res.Direction, res.Rule)
	if res.Default {
		by = fmt.Sprintf("the implicit default %s rule * (%d): no numbered rule matched", res.Direction, res.Rule)
	} else if res.Position != "" {
		by += " (" + res.Position + ")"
	}
	fmt.Fprintf(w, "\nverdict:   %s by %s\n", colourText(verdict, code, colour), by)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note:      %s\n", n)
	}
	return nil
}
