package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

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
	q := replay.ExplainQuery{ACL: acl, Packet: &pkt.Packet, Subnets: cidrs, VPCCIDRs: vpc, AllRules: allRules}
	if direction != "" {
		if q.Direction, err = nacl.ParseDirection(direction); err != nil {
			return fail(env, cmd, fmt.Errorf("--direction: %w", err))
		}
		q.HasDirection = true
	}
	x, err := replay.Explain(q)
	var de *replay.DirectionError
	var se *replay.SubnetError
	switch {
	case errors.As(err, &de):
		return fail(env, cmd, fmt.Errorf("--direction %s contradicts --subnet: the packet is %s for that subnet", de.Want, de.Got))
	case errors.As(err, &se):
		return fail(env, cmd, fmt.Errorf("--subnet: %w", err))
	case err != nil:
		return fail(env, cmd, err)
	}
	res := render.NewExplain(x, render.ExplainInput{Packet: &pkt, ACL: acl, File: naclPath, Subnets: subnets, VPCCIDRs: vpc, Direction: direction})
	code := exitOK
	if res.Verdict == nacl.Deny.String() {
		code = exitFindings
	}
	return finishExplain(env, cmd, format, res, code)
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
