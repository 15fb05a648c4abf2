package main

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/flowcheck"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/spf13/pflag"
)

// flowLogFlags are the flags for reading VPC Flow Logs.
type flowLogFlags struct {
	interfaces string
	format     string
	records    bool
}

// addFlowLogFlags registers the flow-log flags on fs.
func addFlowLogFlags(fs *pflag.FlagSet) *flowLogFlags {
	fl := &flowLogFlags{}
	fs.StringVar(&fl.interfaces, "interfaces", "", "flow logs: 'aws ec2 describe-network-interfaces' JSON, to place interfaces whose records lack subnet-id")
	fs.StringVar(&fl.format, "flowlog-format", "", "flow logs: the log format of files without a header line (CloudWatch Logs exports), e.g. '${version} ${srcaddr} ...'; default: the version-2 default format")
	fs.BoolVar(&fl.records, "records", false, "flow logs: print one JSON object per record, in input order (needs --format jsonl)")
	return fl
}

// maxExamples is how many records of each kind a report quotes.
const maxExamples = 20

// flowLogInputs reports whether the inputs are flow logs (files or
// directories recognised by content). Mixing flow logs and captures is an
// error.
func flowLogInputs(paths []string) (bool, error) {
	n := 0
	for _, p := range paths {
		if p == "-" || mustSpool(p) {
			continue // sniffing a pipe or FIFO would consume what the capture reader needs
		}
		if ok, _ := flowlog.Detect(p); ok {
			n++
		}
	}
	switch {
	case n == 0:
		return false, nil
	case n < len(paths):
		return false, errors.New("some inputs are VPC Flow Logs and some are not: give either captures or flow logs")
	}
	return true, nil
}

// runCheckFlowLogs is `check` over VPC Flow Logs: the NACL verdict of each
// record at its interface, the attribution of its logged action and the
// per-rule hits.
func runCheckFlowLogs(env *runEnv, cmd string, o checkOpts, rf *replayFlags, fl *flowLogFlags, file *aclfile.File, paths []string) int {
	if o.packets {
		return fail(env, cmd, errors.New("--packets is for captures; for flow logs use --records --format jsonl"))
	}
	if fl.records && o.format != "jsonl" {
		return fail(env, cmd, errors.New("--records needs --format jsonl"))
	}
	if len(rf.subnets) == 0 && rf.subnetsFile == "" {
		return fail(env, cmd, errors.New("flow logs need --subnet CIDR (simple mode) or --subnets FILE (VPC mode): the capture host cannot be detected from flow logs"))
	}
	win, err := rf.window()
	if err != nil {
		return fail(env, cmd, err)
	}
	topo, pl, err := rf.topology(file, rf.acl, nil)
	if err != nil {
		return fail(env, cmd, err)
	}
	printPlacement(env, cmd, "", pl, nil)
	judge, err := replay.NewJudge(topo)
	if err != nil {
		return fail(env, cmd, err)
	}
	var ifaces []replay.InterfaceInfo
	if fl.interfaces != "" {
		if ifaces, err = replay.ReadInterfaces(fl.interfaces); err != nil {
			return fail(env, cmd, err)
		}
	}
	opts := flowcheck.Options{Log: flowlog.Options{Format: fl.format}, Window: win, Interfaces: ifaces, MaxExamples: maxExamples}
	res, err := flowcheck.Run(paths, judge, opts)
	if err != nil {
		return fail(env, cmd, err)
	}
	rep := &render.FlowCheckReport{Report: res, Notes: render.PlacementNotes(pl)}

	w := bufio.NewWriterSize(env.stdout, 64<<10)
	switch {
	case fl.records:
		pw := render.NewPacketWriter(&render.Options{})
		err = res.Records(paths, judge, opts, func(v *flowcheck.RecordVisit) error {
			_, err := w.Write(pw.FlowRecordJSON(v))
			return err
		})
	case o.format == "json":
		err = render.WriteFlowCheckJSON(w, rep)
	case o.format == "jsonl":
		err = render.WriteFlowHitsJSONL(w, rep.Hits)
	case o.format == "csv":
		err = render.WriteFlowHitsCSV(w, rep.Hits)
	default:
		err = render.WriteFlowCheckText(w, rep, env.stdoutIsTerminal)
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	for i := range rep.Problems {
		fmt.Fprintf(env.stderr, "flowverify %s: %s\n", cmd, rep.Problems[i].Error())
	}
	if !rep.Summary.Complete() {
		return exitError
	}
	if rep.Totals.Deny > 0 && o.failOn != "never" {
		return exitFindings
	}
	return exitOK
}

// runFlowsFlowLogs is `flows` over VPC Flow Logs: the conversations built
// from the records, in the order of their first record.
func runFlowsFlowLogs(env *runEnv, format, logFormat string, paths []string) int {
	const cmd = "flows"
	rd, err := flowlog.Open(paths, flowlog.Options{Format: logFormat})
	if err != nil {
		return fail(env, cmd, err)
	}
	var convs []render.FlowLogConversationJSON
	pairer := flowlog.NewPairer(flowlog.PairConfig{}, flowlog.InOrder(func(c *flowlog.Conversation) {
		convs = append(convs, render.NewFlowLogConversationJSON(c))
	}))
	for rec := rd.Next(); rec != nil; rec = rd.Next() {
		pairer.Add(rec)
	}
	pairer.Finish()
	rd.Close()
	sum, problems := rd.Summary(), rd.Problems()
	w := bufio.NewWriterSize(env.stdout, 64<<10)
	err = render.WriteFlowLogConversations(w, format, convs, sum, problems, env.stdoutIsTerminal)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	for i := range problems {
		fmt.Fprintf(env.stderr, "flowverify %s: %s\n", cmd, problems[i].Error())
	}
	if !sum.Complete() {
		return exitError
	}
	return exitOK
}

// runDiffFlowLogs is `diff` over VPC Flow Logs: the records whose verdict
// at the logging interface changes between the two NACLs, grouped by flow
// (interface, protocol, source, destination with ports).
func runDiffFlowLogs(env *runEnv, cmd, format, failOn string, oldTopo, newTopo *replay.Topology, ifaces []replay.InterfaceInfo, logFormat string, win replay.Window, paths []string) int {
	oldJudge, err := replay.NewJudge(oldTopo)
	if err != nil {
		return fail(env, cmd, err)
	}
	newJudge, err := replay.NewJudge(newTopo)
	if err != nil {
		return fail(env, cmd, err)
	}
	rep, err := flowcheck.Diff(paths, oldJudge, newJudge, flowcheck.Options{Log: flowlog.Options{Format: logFormat}, Window: win, Interfaces: ifaces})
	if err != nil {
		return fail(env, cmd, err)
	}
	w := bufio.NewWriterSize(env.stdout, 64<<10)
	err = render.WriteFlowDiff(w, format, rep, env.stdoutIsTerminal)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	for i := range rep.Problems {
		fmt.Fprintf(env.stderr, "flowverify %s: %s\n", cmd, rep.Problems[i].Error())
	}
	if !rep.Summary.Complete() {
		return exitError
	}
	if rep.NewlyDenied > 0 && failOn != "never" {
		return exitFindings
	}
	return exitOK
}

// diffFlowLogs places both NACLs and runs runDiffFlowLogs.
func diffFlowLogs(env *runEnv, cmd, format, failOn string, rf *replayFlags, fl *flowLogFlags, oldFile, newFile *aclfile.File, aclNew string, paths []string) int {
	if fl.records {
		return fail(env, cmd, errors.New("--records is for check"))
	}
	if len(rf.subnets) == 0 && rf.subnetsFile == "" {
		return fail(env, cmd, errors.New("flow logs need --subnet CIDR (simple mode) or --subnets FILE (VPC mode)"))
	}
	oldTopo, oldPl, err := rf.topology(oldFile, rf.acl, nil)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl: %w", err))
	}
	printPlacement(env, cmd, "", oldPl, nil)
	newTopo, newPl, err := rf.topology(newFile, aclNew, nil)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl-new: %w", err))
	}
	printPlacement(env, cmd, "--nacl-new: ", newPl, oldPl)
	var ifaces []replay.InterfaceInfo
	if fl.interfaces != "" {
		if ifaces, err = replay.ReadInterfaces(fl.interfaces); err != nil {
			return fail(env, cmd, err)
		}
	}
	win, err := rf.window()
	if err != nil {
		return fail(env, cmd, err)
	}
	return runDiffFlowLogs(env, cmd, format, failOn, oldTopo, newTopo, ifaces, fl.format, win, paths)
}
