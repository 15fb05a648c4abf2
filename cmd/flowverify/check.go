package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
)

func init() {
	register(&command{
		name:    "check",
		summary: "replay captures against a NACL: which packets would it drop, by which rule, and the fix",
		run:     runCheck,
	})
}

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
}

func runCheck(env *runEnv, args []string) int {
	const cmd = "check"
	fs := newFlagSet(env, cmd, "--nacl FILE [--subnet CIDR... | --subnets FILE] [flags] CAPTURE... (- for stdin)")
	cf := addCaptureFlags(fs)
	rf := addReplayFlags(fs)
	var o checkOpts
	fs.StringVar(&o.nacl, "nacl", "", "NACL file (describe-network-acls JSON, Terraform, CloudFormation, native text); required")
	fs.StringVar(&o.format, "format", "text", "output format: text, json, jsonl or csv")
	fs.BoolVar(&o.packets, "packets", false, "also list every IP packet with its verdict (jsonl: one object per packet, in capture order)")
	fs.StringVar(&o.failOn, "fail-on", "deny", "exit 1 when: deny (some packet is denied) or never")
	fs.BoolVar(&o.fixAll, "fix-all", false, "fix every denied conversation, not only breakage (also intended and unclear ones)")
	fs.StringVar(&o.writeFixed, "write-fixed", "", "write the patched ACL(s) to FILE, or one file per ACL to DIR, once the proof passed")
	fs.StringVar(&o.fixedFormat, "fixed-format", "", "format of --write-fixed: the format the NACL was read in (default), aws-json, terraform, cloudformation, text, or cli (aws ec2 create-network-acl-entry commands)")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(o.format, "text", "json", "jsonl", "csv"); err != nil {
		return fail(env, cmd, err)
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
	file, err := readNACL(env, cmd, o.nacl, rf.naclFormat)
	if err != nil {
		return fail(env, cmd, err)
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
	topo, notes, err := rf.topology(env, cmd, file, rf.acl, in.rec)
	if err != nil {
		return fail(env, cmd, err)
	}
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
	rep := replay.SummarizeWith(judge, in.rec, replay.ReportOptions{FixAll: o.fixAll})
	rep.Notes = append(notes, rep.Notes...)
	rep.Headlines = append(rf.headlines, rep.Headlines...)
	writeFailed := false
	if o.writeFixed != "" {
		files, err := writeFixed(rep, o.writeFixed, fixedFmt)
		for _, f := range files {
			fmt.Fprintf(env.stderr, "flowverify %s: wrote the patched ACL(s) as %s to %s\n", cmd, fixedFmt, f)
		}
		if err != nil {
			fmt.Fprintf(env.stderr, "flowverify %s: --write-fixed: %v\n", cmd, err)
			writeFailed = true
		}
	}
	out := &checkOutput{env: env, in: in, rep: rep, topo: topo, nano: in.anyNano()}
	w := bufio.NewWriterSize(env.stdout, 64<<10)
	out.w = w
	denied := rep.Summary.Denied > 0
	if err := out.write(o, func(emit func(*capture.Packet, replay.PacketResult) error) error {
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
func (in *replayInput) secondPass(cf *captureFlags, j *replay.Judge, emit func(*capture.Packet, replay.PacketResult) error) error {
	s, err := cf.openStream(in.paths)
	if err != nil {
		return err
	}
	defer s.Close()
	pp := replay.NewPacketPass(j, cf.cfg, in.rec)
	in.rec = nil // the pass keeps what it needs (one bit per conversation)
	var p capture.Packet
	for s.Next(&p) == nil {
		r, ok := pp.Next(&p)
		if !ok {
			continue
		}
		if err := emit(&p, r); err != nil {
			return err
		}
	}
	return nil
}

// checkOutput renders a check report in the requested format.
type checkOutput struct {
	env  *runEnv
	in   *replayInput
	rep  *replay.Report
	topo *replay.Topology
	nano bool
	w    *bufio.Writer
}

// renderOptions returns the options for the replay renderers.
func (o *checkOutput) renderOptions() *replay.RenderOptions {
	names := make([]string, len(o.in.files))
	for i := range o.in.files {
		names[i] = o.in.fileName(i)
	}
	return &replay.RenderOptions{Files: names, Nano: o.nano, FileNano: o.in.nano, Colour: o.env.stdoutIsTerminal}
}

// write prints the report; with --packets, pass2 streams the packets.
func (o *checkOutput) write(opts checkOpts, pass2 func(emit func(*capture.Packet, replay.PacketResult) error) error) error {
	ro := o.renderOptions()
	pw := replay.NewPacketWriter(ro)
	switch opts.format {
	case "json":
		if !opts.packets {
			return ro.WriteReportJSON(o.w, o.rep, o.topo, nil)
		}
		// Stream the packets as a last member of the document.
		return ro.WriteReportJSON(o.w, o.rep, o.topo, func(io.Writer) error {
			o.w.WriteString("  \"packets\": [")
			first := true
			err := pass2(func(p *capture.Packet, r replay.PacketResult) error {
				if !first {
					o.w.WriteByte(',')
				}
				first = false
				o.w.WriteString("\n    ")
				line := pw.JSON(p, &r)
				_, err := o.w.Write(line[:len(line)-1])
				return err
			})
			if err != nil {
				return err
			}
			if !first {
				o.w.WriteString("\n  ")
			}
			_, err = o.w.WriteString("]")
			return err
		})
	case "jsonl":
		if opts.packets {
			return pass2(func(p *capture.Packet, r replay.PacketResult) error {
				_, err := o.w.Write(pw.JSON(p, &r))
				return err
			})
		}
		jl := newJSONLines(o.w)
		return o.rep.EachConversation(func(cr *replay.ConvResult) error { return jl.write(ro.ConvJSON(cr)) })
	case "csv":
		cw := csv.NewWriter(o.w)
		if opts.packets {
			if err := cw.Write(replay.PacketCSVHeader); err != nil {
				return err
			}
			err := pass2(func(p *capture.Packet, r replay.PacketResult) error { return cw.Write(pw.CSV(p, &r)) })
			cw.Flush()
			if err != nil {
				return err
			}
			return cw.Error()
		}
		if err := cw.Write(replay.ConvCSVHeader); err != nil {
			return err
		}
		if err := ro.EachConvCSVRow(o.rep, cw.Write); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	if err := ro.WriteText(o.w, o.rep, o.topo); err != nil {
		return err
	}
	if !opts.packets {
		return nil
	}
	o.w.WriteString("\nPACKETS\n")
	return pass2(func(p *capture.Packet, r replay.PacketResult) error {
		_, err := o.w.Write(pw.Text(p, &r))
		return err
	})
}
