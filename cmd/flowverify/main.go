// Command flowverify replays packet captures against AWS VPC Network ACLs:
// it rebuilds conversations (flows), shows which packets a stateless NACL
// would drop (check, diff), lints and explains NACLs (lint, explain), and
// generates the minimal NACL that allows the recorded traffic (synth).
//
// Exit codes: 0 ok, 1 findings (denied packets, lint errors, ...), 2 error
// (bad usage, unreadable or incomplete input).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/spf13/pflag"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand: a value in commands. run parses args itself
// (with newFlagSet) and returns the exit code.
type command struct {
	name    string
	summary string
	run     func(env *runEnv, args []string) int
}

// runEnv carries the process's streams so that commands can be tested.
type runEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutIsTerminal enables colour in text output.
	stdoutIsTerminal bool
}

// commands is every subcommand, in the order 'flowverify help' lists
// them (by name). A new command is one more value here.
var commands = []command{
	{name: "check", summary: "replay captures against a NACL: which packets would it drop, by which rule, and the fix", run: runCheck},
	{name: "diff", summary: "replay captures against an old and a new NACL: which conversations become denied or allowed", run: runDiff},
	{name: "explain", summary: "show how a NACL judges one packet, rule by rule", run: runExplain},
	{name: "flows", summary: "rebuild the TCP/UDP/ICMP conversations of captures, with client/server and evidence", run: runFlows},
	{name: "gencap", summary: "write a large synthetic capture for benchmarks (developer tool)", run: runGencap},
	{name: "lint", summary: "find NACL rules that never apply or change nothing, quota and stateless-reply problems", run: runLint},
	{name: "sql", summary: "print SQL (Athena, Trino, Spark, DuckDB) giving the NACL verdict of every flow-log record and per-rule hits", run: runSQL},
	{name: "synth", summary: "generate the minimal NACL that allows the recorded traffic", run: runSynth},
}

// lookup returns the command called name.
func lookup(name string) (*command, bool) {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i], true
		}
	}
	return nil, false
}

func main() {
	colour := isTerminal(os.Stdout)
	env, flush := terminalSafeEnv(os.Stdin, os.Stdout, os.Stderr, colour)
	if stdoutWasClosed(os.Stdout) {
		env.stdout = closedWriter{}
	}
	stop := startProfile(env.stderr)
	code := run(env, os.Args[1:])
	stop()
	if err := flush(); err != nil && code != exitError {
		fmt.Fprintf(os.Stderr, "flowverify: %v\n", err)
		code = exitError
	}
	os.Exit(code)
}

// terminalSafeEnv returns the environment of a run whose every printed
// byte goes through render's escaping writer (terminal safety: input
// files cannot smuggle control characters into any report or message),
// and the function that flushes it at the end.
func terminalSafeEnv(stdin io.Reader, stdout, stderr io.Writer, colour bool) (*runEnv, func() error) {
	out, errw := render.NewTermWriter(stdout, colour), render.NewTermWriter(stderr, false)
	env := &runEnv{stdin: stdin, stdout: out, stderr: errw, stdoutIsTerminal: colour}
	return env, func() error {
		err := out.Flush()
		_ = errw.Flush()
		return err
	}
}

// closedWriter is standard output when the process started with it
// closed: every write fails, so a command that has output to write exits
// 2 saying so instead of exiting 0 with the output gone.
type closedWriter struct{}

func (closedWriter) Write([]byte) (int, error) {
	return 0, errors.New("standard output is closed: the output cannot be written (redirect it to a file or /dev/null)")
}

// startProfile writes a CPU profile to $FLOWVERIFY_CPUPROFILE when it is
// set (a developer aid for `go tool pprof`); it returns the stop function.
func startProfile(stderr io.Writer) func() {
	path := os.Getenv("FLOWVERIFY_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "flowverify: FLOWVERIFY_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "flowverify: FLOWVERIFY_CPUPROFILE: %v\n", err)
		}
	}
}

func run(env *runEnv, args []string) int {
	if len(args) == 0 {
		_ = usage(env.stderr) // exit 2 either way
		return exitError
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				return c.run(env, []string{"--help"})
			}
			fmt.Fprintf(env.stderr, "flowverify: unknown command %q\n", args[1])
			return exitError
		}
		if err := usage(env.stdout); err != nil {
			return fail(env, "help", err)
		}
		return exitOK
	case "--version", "version":
		if _, err := fmt.Fprintf(env.stdout, "flowverify %s\n", versionString()); err != nil {
			return fail(env, "version", err)
		}
		return exitOK
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(env.stderr, "flowverify: unknown command %q (see 'flowverify help')\n", args[0])
		return exitError
	}
	liveStopped.Store(0)
	return interruptedExit(env, c.name, c.run(env, args[1:]))
}

// versionString returns the -ldflags version, or else the module version
// and VCS revision recorded by the Go toolchain.
func versionString() string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = version
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + modified + ")"
	}
	return v + " " + bi.GoVersion
}

// usage prints the command list to w.
func usage(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintln(&b, "flowverify: replay packet captures against AWS VPC Network ACLs")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Usage: flowverify COMMAND [flags] [args]")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "'flowverify help COMMAND' shows a command's flags; 'flowverify --version' the version.")
	fmt.Fprintln(&b, "Exit codes: 0 ok, 1 findings (denied packets, lint errors), 2 error.")
	_, err := w.Write(b.Bytes())
	return err
}

// newFlagSet returns a pflag set that reports errors instead of exiting.
func newFlagSet(env *runEnv, name, synopsis string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.SortFlags = true
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: flowverify %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns (exit code, false) when the command
// should stop (help requested: 0, bad flags: 2).
func parseFlags(env *runEnv, fs *pflag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, false
		}
		fmt.Fprintf(env.stderr, "flowverify %s: %v\n", fs.Name(), err)
		return exitError, false
	}
	return 0, true
}

// fail prints "flowverify CMD: MSG" on stderr and returns exitError.
func fail(env *runEnv, cmd string, err error) int {
	fmt.Fprintf(env.stderr, "flowverify %s: %s\n", cmd, strings.TrimSpace(err.Error()))
	return exitError
}

// checkFormat returns an error unless format is one of allowed.
func checkFormat(format string, allowed ...string) error {
	if slices.Contains(allowed, format) {
		return nil
	}
	return fmt.Errorf("unknown --format %q (want %s)", format, strings.Join(allowed, ", "))
}
