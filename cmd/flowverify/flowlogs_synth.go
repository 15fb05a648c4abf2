package main

import (
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/synth"
)

// runSynthFlowLogs is `synth` over VPC Flow Logs: the conversations built
// from the records are synthesized as captured conversations are, and the
// records (one packet shape each) are replayed against the result. A TCP
// conversation whose requests were all REJECTed is a refused connection
// and stays shut (unless --include-failed); one whose replies only were
// REJECTed (a NACL dropping the return leg) is allowed.
func runSynthFlowLogs(env *runEnv, sf *synthFlags, opts synth.Options, logFormat string, paths []string) int {
	const cmd = "synth"
	if len(opts.Subnets) == 0 {
		return fail(env, cmd, errors.New("flow logs need --subnet CIDR: the capture host cannot be detected from flow logs"))
	}
	in, err := synth.ReadFlowLogs(paths, flowlog.Options{Format: logFormat})
	if err != nil {
		return fail(env, cmd, err)
	}
	for i := range in.Problems {
		fmt.Fprintf(env.stderr, "flowverify %s: %s\n", cmd, in.Problems[i].Error())
	}
	obs := in.Observations
	opts.Observations = obs
	res, err := synth.Synthesize(in.Conversations, opts)
	if err != nil {
		return fail(env, cmd, err)
	}
	check, err := synth.SelfCheck(res, obs)
	if err != nil {
		return fail(env, cmd, err)
	}
	if err := writeSynthReport(env, sf, res, check); err != nil {
		return fail(env, cmd, err)
	}
	if !check.OK() {
		return fail(env, cmd, fmt.Errorf("BUG: the self-check replay denied %d records of conversations the generated ACL should allow; no ACL written (please report this with the flow logs)", check.FailedPackets))
	}
	if err := writeSynthACL(env, sf, res.ACL); err != nil {
		return fail(env, cmd, err)
	}
	if !in.Summary.Complete() {
		fmt.Fprintln(env.stderr, "flowverify synth: error: the input is incomplete (see above): rules cover only what was read")
		return exitError
	}
	if res.HasConflicts() {
		return exitFindings
	}
	return exitOK
}
