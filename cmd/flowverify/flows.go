package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

func runFlows(env *runEnv, args []string) int {
	fs := newFlagSet(env, "flows", "[flags] CAPTURE... (pcap, pcapng, .gz; - for stdin) | FLOW-LOGS...")
	cf := addCaptureFlags(fs)
	format := fs.String("format", "text", "output format: text, json, jsonl or csv")
	logFormat := fs.String("flowlog-format", "", "flow logs: the log format of files without a header line (CloudWatch Logs exports)")
	var list listFlags
	addWhereFlags(fs, &list)
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	sel, err := list.selection()
	if err != nil {
		return fail(env, "flows", err)
	}
	if err := checkFormat(*format, "text", "json", "jsonl", "csv"); err != nil {
		return fail(env, "flows", err)
	}
	if isFlowLog, err := flowLogInputs(fs.Args()); err != nil {
		return fail(env, "flows", err)
	} else if isFlowLog {
		if sel.Match != nil {
			return fail(env, "flows", fmt.Errorf("--where and --conversation apply to captures, not to flow logs"))
		}
		return runFlowsFlowLogs(env, *format, *logFormat, fs.Args())
	}
	stream, err := cf.openStream(fs.Args())
	if err != nil {
		return fail(env, "flows", err)
	}
	defer stream.Close()
	stopOnInterrupt(stream, cf.live != "")
	lowGCHeadroom()

	// Conversations are reported as they end (JSONL and CSV print them at
	// once; text and JSON after their summary), so that memory grows with
	// the conversations live at once, however long the capture.
	rep := render.NewFlows(stream, env.stdout, *format, env.stdoutIsTerminal)
	if !stream.Prompt() {
		// Files: rows are formatted on every core, a batch at a time. A
		// live capture or a pipe prints each row when its conversation
		// ends.
		rep.SetWorkers(replay.DefaultWorkers())
	}
	// From a pipe or a live capture (prompt inputs), the rows so far are
	// written out whenever the reading is about to wait for input.
	stream.SetIdle(rep.Idle)
	if m := sel.Match; m != nil {
		rep.SetMatch(func(c *flows.Conversation) bool { return m(c, "") }, sel.Describe)
	}
	sum := flows.StreamConversations(stream, cf.cfg, func(c *flows.Conversation) {
		if !rep.Add(c) {
			stream.Close() // output failed: stop reading
		}
	})
	if err := rep.Close(sum); err != nil {
		return fail(env, "flows", err)
	}
	if reportProblems(env.stderr, "flows", stream) {
		return exitError
	}
	return exitOK
}

// lowGCHeadroom lowers the garbage collector's heap headroom (GOGC=10
// unless GOGC is set): the conversation table is almost all live,
// pointer-free memory that is cheap to mark and allocates nothing per
// packet, so collecting more often costs little and cuts peak memory
// (the default GOGC=100 lets the heap grow to twice the table).
func lowGCHeadroom() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(10)
	}
}

// stopSignals end a live capture: Ctrl-C, and the SIGTERM and SIGHUP that
// timeout, docker stop, systemd and a closed terminal send.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// liveStopped holds the number of the signal that ended a live capture
// (0: none); run turns it into the exit status 128+N after the report.
var liveStopped atomic.Int32

// stopOnInterrupt closes a live stream on SIGINT, SIGTERM or SIGHUP so
// that the report is still written for what was captured; the exit
// status then says the capture was interrupted (see interruptedExit).
func stopOnInterrupt(s *capture.Stream, live bool) {
	if !live {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	go func() {
		sig := <-ch
		signal.Stop(ch)
		if n, ok := sig.(syscall.Signal); ok {
			liveStopped.Store(int32(n))
		}
		s.Close()
	}()
}

// interruptedExit returns the exit status of a command whose live
// capture a signal ended, 128 plus the signal's number as shells report
// it (130 SIGINT, 143 SIGTERM, 129 SIGHUP), with a line on stderr; code
// unchanged otherwise, or when the command failed (exit 2).
func interruptedExit(env *runEnv, name string, code int) int {
	n := liveStopped.Swap(0)
	if n == 0 || code == exitError {
		return code
	}
	fmt.Fprintf(env.stderr, "flowverify %s: live capture ended by %s: the report covers the packets captured until then (exit %d instead of %d)\n",
		name, signalName(syscall.Signal(n)), 128+n, code)
	return 128 + int(n)
}

// signalName names the stop signals as a user types them.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}
