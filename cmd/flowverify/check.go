package main

import (
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
)

// checkOpts are the parsed flags of `flowverify check`.
type checkOpts struct {
	nacl    string
	format  string
	packets bool
	failOn  string
	// fixAll asks for fixes for every denied conversation, not only breakage.
	fixAll bool
	// writeFixed is where the patched ACLs go; fixedFormat their format.
	writeFixed  string
	fixedFormat string
	// list chooses the conversations the report lists.
	list listFlags
}

func runCheck(env *runEnv, args []string) int {
	const cmd = "check"
	fs := newFlagSet(env, cmd, "--nacl FILE [--subnet CIDR... | --subnets FILE] [flags] CAPTURE... (- for stdin) | FLOW-LOGS...")
	cf := addCaptureFlags(fs)
	rf := addReplayFlags(fs)
	fl := addFlowLogFlags(fs)
	var o checkOpts
	fs.StringVar(&o.nacl, "nacl", "", "NACL file (describe-network-acls JSON, Terraform, CloudFormation, native text); required")
	fs.StringVar(&o.format, "format", "text", "output format: text, json, jsonl, csv, sarif (SARIF 2.1.0: one result per denying rule, at its line) or html (one self-contained page: summary, what broke with a timeline, fixes, rule hits, the listed conversations)")
	fs.BoolVar(&o.packets, "packets", false, "also list every IP packet with its verdict (jsonl: one object per packet, in capture order)")
	fs.StringVar(&o.failOn, "fail-on", "deny", "exit 1 when: deny (some packet is denied) or never")
	fs.BoolVar(&o.fixAll, "fix-all", false, "fix every denied conversation, not only breakage (also intended and unclear ones)")
	fs.StringVar(&o.writeFixed, "write-fixed", "", "write the patched ACL(s) to FILE, or one file per ACL to DIR, once the proof passed")
	fs.StringVar(&o.fixedFormat, "fixed-format", "", "format of --write-fixed: the format the NACL was read in (default), aws-json, terraform, cloudformation, text, or cli (aws ec2 create-network-acl-entry commands)")
	addListFlags(fs, &o.list)
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	sel, err := o.list.selection()
	if err != nil {
		return fail(env, cmd, err)
	}
	if err := checkFormat(o.format, "text", "json", "jsonl", "csv", "sarif", "html"); err != nil {
		return fail(env, cmd, err)
	}
	if o.format == "html" && o.packets {
		return fail(env, cmd, errors.New("--packets has no HTML form (use --format jsonl or csv)"))
	}
	if o.format == "sarif" && o.packets {
		return fail(env, cmd, errors.New("--packets has no SARIF form (use --format jsonl or csv)"))
	}
	if o.failOn != "deny" && o.failOn != "never" {
		return fail(env, cmd, fmt.Errorf("unknown --fail-on %q (want deny or never)", o.failOn))
	}
	if o.nacl == "" {
		return fail(env, cmd, fmt.Errorf("--nacl FILE is required"))
	}
	if o.fixedFormat != "" && o.writeFixed == "" {
		return fail(env, cmd, fmt.Errorf("--fixed-format needs --write-fixed FILE|DIR"))
	}
	win, err := rf.window()
	if err != nil {
		return fail(env, cmd, err)
	}
	file, err := readNACL(env, cmd, o.nacl, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	if isFlowLog, err := flowLogInputs(fs.Args()); err != nil {
		return fail(env, cmd, err)
	} else if isFlowLog {
		if o.format == "sarif" {
			return fail(env, cmd, errors.New("--format sarif is for captures; flow logs have no rule-line report yet (use json)"))
		}
		if o.format == "html" {
			return fail(env, cmd, errors.New("--format html is for captures; flow logs have no HTML report yet (use json)"))
		}
		if sel.Match != nil {
			return fail(env, cmd, errors.New("--where, --status and --conversation apply to captures, not to flow logs"))
		}
		return runCheckFlowLogs(env, cmd, o, rf, fl, file, fs.Args())
	}
	in, err := openReplayInput(env, cf, fs.Args(), o.packets)
	if err != nil {
		return fail(env, cmd, err)
	}
	defer in.close()
	if err := in.record(cf, win); err != nil {
		return fail(env, cmd, err)
	}
	defer in.stream.Close()
	topo, pl, err := rf.topology(file, rf.acl, in.rec)
	if err != nil {
		return fail(env, cmd, err)
	}
	printPlacement(env, cmd, "", pl, nil)
	var fixedFmt aclfile.Format
	if o.writeFixed != "" {
		if fixedFmt, err = fixedFormat(o.fixedFormat, file.Format); err != nil {
			return fail(env, cmd, err)
		}
	}
	judge, err := replay.NewJudge(topo)
	if err != nil {
		return fail(env, cmd, err)
	}
	var table *render.CheckTable
	var observe func(*replay.ConvResult)
	if o.format == "text" {
		table = render.NewCheckTable(topo, in.rec.NumConversations())
		observe = table.Observe
	}
	rep := replay.SummarizeWith(judge, in.rec, replay.ReportOptions{FixAll: o.fixAll, Observe: observe})
	rep.InferredResolvers = pl.Resolvers
	writeFailed := false
	if o.writeFixed != "" {
		files, warnings, err := writeFixed(rep, o.writeFixed, fixedFmt)
		for _, f := range files {
			fmt.Fprintf(env.stderr, "flowverify %s: wrote the patched ACL(s) as %s to %s\n", cmd, fixedFmt, f)
		}
		for _, w := range warnings {
			fmt.Fprintf(env.stderr, "flowverify %s: warning: --write-fixed: %s\n", cmd, w)
		}
		switch {
		case errors.Is(err, errNothingToWrite):
			fmt.Fprintf(env.stderr, "flowverify %s: notice: --write-fixed: %v\n", cmd, err)
		case err != nil:
			fmt.Fprintf(env.stderr, "flowverify %s: --write-fixed: %v\n", cmd, err)
			writeFailed = true
		}
	}
	out := &checkOutput{env: env, in: in, rep: rep, topo: topo, table: table, notes: render.PlacementNotes(pl), nano: in.anyNano(), sel: sel, width: o.list.textWidth(env)}
	w := render.NewOutput(env.stdout, 64<<10)
	out.w = w
	denied := rep.Summary.Denied > 0
	if o.format == "sarif" {
		c := render.Check{Report: rep, Topology: topo}
		if err := c.WriteSARIF(w, in.sarifRun()); err != nil {
			return fail(env, cmd, err)
		}
	} else if err := out.write(o.format, o.packets, func(emit func(*capture.Packet, replay.PacketResult) error) error {
		// The report is written: let the second pass reuse its memory.
		out.rep = nil
		return in.secondPass(cf, judge, emit)
	}); err != nil {
		w.Flush()
		return fail(env, cmd, err)
	}
	if err := w.Flush(); err != nil {
		return fail(env, cmd, err)
	}
	if in.problems(env, cmd) || writeFailed {
		return exitError
	}
	if denied && o.failOn != "never" {
		return exitFindings
	}
	return exitOK
}

// secondPass reopens the inputs and calls emit for every in-window IP
// packet in capture order.
// The second pass must read what the first read: a file that changed in
// between (still being written, truncated, replaced) makes the listing
// disagree with the report, so it is an error naming the file.
func (in *replayInput) secondPass(cf *captureFlags, j *replay.Judge, emit func(*capture.Packet, replay.PacketResult) error) error {
	if betweenPasses != nil {
		betweenPasses(in.paths)
	}
	s, err := cf.openStream(in.paths)
	if err != nil {
		return err
	}
	defer s.Close()
	pp := replay.NewPacketPass(j, cf.cfg, in.rec)
	in.rec = nil // the pass keeps what it needs (one bit per conversation)
	if err := pp.Stream(s, emit); err != nil {
		return err
	}
	for i, f := range s.Files() {
		if i < len(in.files) && f.Records != in.files[i].Records {
			return fmt.Errorf("%s changed between the two passes: %d records on the first, %d on the second; the packet listing does not match the report (copy the file first, or leave out --packets)",
				in.fileName(i), in.files[i].Records, f.Records)
		}
	}
	return nil
}

// betweenPasses, when set (by tests), runs before the second pass.
var betweenPasses func(paths []string)

// checkOutput renders a check report in the requested format.
type checkOutput struct {
	env  *runEnv
	in   *replayInput
	rep  *replay.Report
	topo *replay.Topology
	// table is the text table measured while summarizing (text format only).
	table *render.CheckTable
	// notes say where the NACLs were placed (printed before the report's).
	notes []string
	nano  bool
	w     *render.Output
	// sel chooses the conversations listed.
	sel render.ConvSelect
	// width is the text width (0: no wrapping).
	width int
}

// renderOptions returns the options for the replay renderers.
func (o *checkOutput) renderOptions() *render.Options {
	names := make([]string, len(o.in.files))
	for i := range o.in.files {
		names[i] = o.in.fileName(i)
	}
	return &render.Options{Files: names, Nano: o.nano, FileNano: o.in.nano, Colour: o.env.stdoutIsTerminal, Width: o.width, Notes: o.notes,
		Select: o.sel, Incomplete: o.in.incomplete(), Inputs: o.in.files}
}

// write prints the report; with --packets, pass2 streams the packets.
func (o *checkOutput) write(format string, packets bool, pass2 func(emit func(*capture.Packet, replay.PacketResult) error) error) error {
	ro := o.renderOptions()
	// o.w buffers standard output (an Output: listing chunks found safe
	// may go straight to the TermWriter under it).
	c := render.Check{Options: ro, Report: o.rep, Topology: o.topo, Table: o.table}
	return c.Write(o.w, format, packets, pass2)
}
