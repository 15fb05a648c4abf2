package main

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl/replay"
)

func runDiff(env *runEnv, args []string) int {
	const cmd = "diff"
	fs := newFlagSet(env, cmd, "--nacl OLD --nacl-new NEW [--subnet CIDR... | --subnets FILE] [flags] CAPTURE... | FLOW-LOGS...")
	cf := addCaptureFlags(fs)
	rf := addReplayFlags(fs)
	fl := addFlowLogFlags(fs)
	oldPath := fs.String("nacl", "", "the NACL in force today (any format check reads); required")
	newPath := fs.String("nacl-new", "", "the proposed NACL; required")
	aclNew := fs.String("acl-new", "", "ACL ID or Name in --nacl-new when it holds several (default: --acl)")
	format := fs.String("format", "text", "output format: text, json, jsonl (one change per line), csv or sarif (SARIF 2.1.0: one result per rule of the new NACL that changes a verdict, at its line)")
	var list listFlags
	addWhereFlags(fs, &list)
	fs.IntVar(&list.limit, "limit", defaultLimit, "text: list at most N changed legs (0: no limit); json, jsonl and csv list every change the filters keep")
	failOn := fs.String("fail-on", "deny", "exit 1 when: deny (some conversation becomes denied) or never")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(*format, "text", "json", "jsonl", "csv", "sarif"); err != nil {
		return fail(env, cmd, err)
	}
	sel, err := list.selection()
	if err != nil {
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
	if *format == "jsonl" && len(fs.Args()) > 0 {
		if isFlowLog, _ := flowLogInputs(fs.Args()); isFlowLog {
			return fail(env, cmd, fmt.Errorf("--format jsonl: flow-log diffs are written as text, json or csv"))
		}
	}
	oldFile, err := readNACL(env, cmd, *oldPath, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	newFile, err := readNACL(env, cmd, *newPath, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	if isFlowLog, err := flowLogInputs(fs.Args()); err != nil {
		return fail(env, cmd, err)
	} else if isFlowLog {
		if *format == "sarif" {
			return fail(env, cmd, errors.New("--format sarif is for captures; flow logs have no rule-line report yet (use json)"))
		}
		return diffFlowLogs(env, cmd, *format, *failOn, rf, fl, oldFile, newFile, *aclNew, fs.Args())
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
	oldTopo, oldPl, err := rf.topology(oldFile, rf.acl, in.rec)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl: %w", err))
	}
	printPlacement(env, cmd, "", oldPl, nil)
	// The new topology uses the same subnets (no second host detection).
	nrf := *rf
	if rf.subnetsFile == "" {
		nrf.subnets = nil
		for _, p := range oldTopo.CIDRs() {
			nrf.subnets = append(nrf.subnets, p.String())
		}
	}
	newTopo, newPl, err := nrf.topology(newFile, *aclNew, in.rec)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl-new: %w", err))
	}
	printPlacement(env, cmd, "--nacl-new: ", newPl, oldPl) // what placing the old ACLs did not say already
	d, err := replay.CompareTopologies(oldTopo, newTopo, in.rec)
	if err != nil {
		return fail(env, cmd, err)
	}
	co := &checkOutput{env: env, in: in, topo: newTopo, nano: in.anyNano(), sel: sel}
	ro := co.renderOptions()
	w := bufio.NewWriter(env.stdout)
	dv := render.Diff{Options: ro, Diff: d, OldName: *oldPath, NewName: *newPath, Notes: render.PlacementNotes(oldPl)}
	switch *format {
	case "json":
		err = dv.WriteJSON(w)
	case "jsonl":
		err = dv.WriteJSONL(w)
	case "csv":
		err = dv.WriteCSV(w)
	case "sarif":
		err = dv.WriteSARIF(w, in.sarifRun())
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
