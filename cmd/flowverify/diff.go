package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl/replay"
)

func runDiff(env *runEnv, args []string) int {
	const cmd = "diff"
	fs := newFlagSet(env, cmd, "--nacl OLD --nacl-new NEW [--subnet CIDR... | --subnets FILE] [flags] CAPTURE...")
	cf := addCaptureFlags(fs)
	rf := addReplayFlags(fs)
	oldPath := fs.String("nacl", "", "the NACL in force today (any format check reads); required")
	newPath := fs.String("nacl-new", "", "the proposed NACL; required")
	aclNew := fs.String("acl-new", "", "ACL ID or Name in --nacl-new when it holds several (default: --acl)")
	format := fs.String("format", "text", "output format: text, json or csv")
	failOn := fs.String("fail-on", "deny", "exit 1 when: deny (some conversation becomes denied) or never")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(*format, "text", "json", "csv"); err != nil {
		return fail(env, cmd, err)
	}
	if *failOn != "deny" && *failOn != "never" {
		return fail(env, cmd, fmt.Errorf("unknown --fail-on %q (want deny or never)", *failOn))
	}
	if *oldPath == "" || *newPath == "" {
		return fail(env, cmd, fmt.Errorf("--nacl OLD and --nacl-new NEW are both required"))
	}
	if *aclNew == "" {
		*aclNew = rf.acl
	}
	win, err := rf.window()
	if err != nil {
		return fail(env, cmd, err)
	}
	oldFile, err := readNACL(env, cmd, *oldPath, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	newFile, err := readNACL(env, cmd, *newPath, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	in, err := openReplayInput(env, cf, fs.Args(), false)
	if err != nil {
		return fail(env, cmd, err)
	}
	defer in.close()
	if err := in.record(cf, win); err != nil {
		return fail(env, cmd, err)
	}
	defer in.stream.Close()
	oldTopo, notes, err := rf.topology(env, cmd, oldFile, rf.acl, in.rec)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl: %w", err))
	}
	// The new topology uses the same subnets (no second host detection).
	nrf := *rf
	if rf.subnetsFile == "" {
		nrf.subnets = nil
		for _, p := range oldTopo.CIDRs() {
			nrf.subnets = append(nrf.subnets, p.String())
		}
	}
	newTopo, _, err := nrf.topology(discardEnv{}.env(env), cmd, newFile, *aclNew, in.rec)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl-new: %w", err))
	}
	oldJudge, err := replay.NewJudge(oldTopo)
	if err != nil {
		return fail(env, cmd, err)
	}
	newJudge, err := replay.NewJudge(newTopo)
	if err != nil {
		return fail(env, cmd, err)
	}
	// diff shows no fixes: skip the classes, change sets and proof.
	noFixes := replay.ReportOptions{NoFixes: true}
	oldRep, newRep := replay.SummarizeWith(oldJudge, in.rec, noFixes), replay.SummarizeWith(newJudge, in.rec, noFixes)
	d, err := replay.Compare(oldRep, newRep)
	if err != nil {
		return fail(env, cmd, err)
	}
	co := &checkOutput{env: env, in: in, rep: newRep, topo: newTopo, nano: in.anyNano()}
	ro := co.renderOptions()
	w := bufio.NewWriter(env.stdout)
	dv := render.Diff{Options: ro, Diff: d, OldName: *oldPath, NewName: *newPath, Notes: notes}
	switch *format {
	case "json":
		err = dv.WriteJSON(w)
	case "csv":
		err = dv.WriteCSV(w)
	default:
		err = dv.WriteText(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	if in.problems(env, cmd) {
		return exitError
	}
	if d.PacketsNewlyDenied > 0 && *failOn != "never" {
		return exitFindings
	}
	return exitOK
}

// discardEnv lets the second topology call run without printing notices twice.
type discardEnv struct{}

func (discardEnv) env(e *runEnv) *runEnv {
	c := *e
	c.stderr = io.Discard
	return &c
}
