// Command flowverify replays packet captures against AWS VPC Network ACLs:
// it rebuilds conversations (flows), shows which packets a stateless NACL
// would drop (check, diff), lints and explains NACLs (lint, explain), and
// generates the minimal NACL that allows the recorded traffic (synth).
//
// Exit codes: 0 ok, 1 findings (denied packets, lint errors, ...), 2 error
// (bad usage, unreadable or incomplete input).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
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
// (with newFlagSet) and returns the exit code. The help, the man page and
// the shell completions are all made from these values and from the flags
// run defines (see define): run must create its flags with newFlagSet and
// call parseFlags before doing anything else, so that --help only prints.
type command struct {
	name    string
	summary string
	// examples are command lines shown by help and the man page; text
	// after "  # " is a comment.
	examples []string
	// exits says what exit codes 0, 1 and 2 mean ("" for 1: never).
	exits [3]string
	run   func(env *runEnv, args []string) int
}

// runEnv carries the process's streams so that commands can be tested.
type runEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutIsTerminal enables colour in text output.
	stdoutIsTerminal bool
	// termWidth is the terminal's width in columns when stdout is a
	// terminal, else 0 (text is not wrapped).
	termWidth int
	// def, when not nil, receives the flags and synopsis a command
	// defines (see define).
	def *commandDef
}

// commands is every subcommand, in the order 'flowverify help' lists
// them (by name). A new command is one more value here. It is set in
// init because completion and man read it.
var commands []command

// Exit code meanings shared by several commands.
const (
	exitErrorText      = "error: bad usage, unreadable NACL or input, or an incomplete capture (a file not read to its end; what was read is still reported)"
	exitErrorUsageText = "error: bad usage or unreadable input"
)

func init() {
	commands = []command{
		{name: "check", summary: "replay captures against a NACL: which packets would it drop, by which rule, and the fix", run: runCheck,
			examples: []string{
				"flowverify check --nacl pcaps/webserver.nacl --subnet 10.0.1.0/24 --vpc-cidr 10.0.0.0/16 pcaps/webserver.pcap",
				"tcpdump -i eth0 -w - | flowverify check --nacl acls.json --subnet 10.0.1.0/24 -  # from standard input",
				"flowverify check --nacl infra/network --subnets subnets.json --format sarif capture.pcapng > check.sarif",
				"flowverify check --nacl acls.json --subnets subnets.json --vpc-cidr 10.0.0.0/16 AWSLogs/  # VPC Flow Logs",
			},
			exits: [3]string{"nothing denied", "some packet is denied (--fail-on never: 0)", exitErrorText}},
		{name: "completion", summary: "print a shell completion script (bash, zsh or fish)", run: runCompletion,
			examples: []string{
				"source <(flowverify completion bash)  # bash, this shell",
				"flowverify completion zsh > \"${fpath[1]}/_flowverify\"  # zsh",
				"flowverify completion fish > ~/.config/fish/completions/flowverify.fish  # fish",
			},
			exits: [3]string{"the script was printed", "", exitErrorUsageText}},
		{name: "diff", summary: "replay captures against an old and a new NACL: which conversations become denied or allowed", run: runDiff,
			examples: []string{
				"flowverify diff --nacl today.json --nacl-new proposed.tf --subnet 10.0.1.0/24 last-week.pcap",
				"flowverify diff --nacl old.json --nacl-new new.json --subnets subnets.json --format sarif capture.pcap > diff.sarif",
			},
			exits: [3]string{"nothing becomes denied", "some packet becomes denied (--fail-on never: 0)", exitErrorText}},
		{name: "explain", summary: "show how a NACL judges one packet, rule by rule", run: runExplain,
			examples: []string{
				"flowverify explain --nacl pcaps/webserver.nacl --subnet 10.0.1.0/24 \"tcp 192.0.2.80:80 > 10.0.1.10:40000\"",
				"flowverify explain --nacl acls.json --direction in \"icmp 0.0.0.0 > 10.0.1.10 type 3 code 4\"",
			},
			exits: [3]string{"the packet is allowed (or not filtered)", "the packet is denied", exitErrorUsageText}},
		{name: "flows", summary: "rebuild the TCP/UDP/ICMP conversations of captures, with client/server and evidence", run: runFlows,
			examples: []string{
				"flowverify flows pcaps/webserver.pcap",
				"flowverify flows --format jsonl a.pcap b.pcapng.gz",
				"zcat x.pcap.gz | flowverify flows -",
			},
			exits: [3]string{"ok", "", exitErrorText}},
		{name: "gencap", summary: "write a large synthetic capture for benchmarks (developer tool)", run: runGencap,
			examples: []string{"flowverify gencap --out /tmp/big.pcap --size 2GB"},
			exits:    [3]string{"the capture was written", "", exitErrorUsageText}},
		{name: "lint", summary: "find NACL rules that never apply or change nothing, quota and stateless-reply problems", run: runLint,
			examples: []string{
				"flowverify lint --nacl acls.json",
				"aws ec2 describe-network-acls | flowverify lint --nacl -",
				"flowverify lint --nacl infra/network --var-file prod.tfvars  # a Terraform module directory",
				"flowverify lint --nacl infra/network --format sarif --fail-on warning > nacl.sarif  # CI with code-scanning annotations",
			},
			exits: [3]string{"no finding at the --fail-on severity (default error) or worse", "such a finding", exitErrorUsageText}},
		{name: "man", summary: "print the flowverify(1) manual page (roff), made from the same definitions as help", run: runMan,
			examples: []string{
				"flowverify man | man -l -",
				"flowverify man > /usr/local/share/man/man1/flowverify.1",
			},
			exits: [3]string{"the page was printed", "", exitErrorUsageText}},
		{name: "sql", summary: "print SQL (Athena, Trino, Spark, DuckDB) giving the NACL verdict of every flow-log record and per-rule hits", run: runSQL,
			examples: []string{"flowverify sql --nacl acls.json --subnets subnets.json --dialect athena"},
			exits:    [3]string{"the SQL was printed", "", exitErrorUsageText}},
		{name: "synth", summary: "generate the minimal NACL that allows the recorded traffic", run: runSynth,
			examples: []string{
				"flowverify synth --subnet 10.0.1.0/24 pcaps/webserver.pcap",
				"flowverify synth --subnet 10.0.1.0/24 --validate next-week.pcap last-week.pcap",
			},
			exits: [3]string{"the ACL was generated and its replays passed", "a conflict, or a --validate replay denied traffic", exitErrorText}},
	}
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
	if colour {
		env.termWidth = terminalWidth(os.Stdout)
	}
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

// startProfile writes a CPU profile to $FLOWVERIFY_CPUPROFILE and an
// execution trace (which goroutine ran, waited or blocked when: `go tool
// trace`) to $FLOWVERIFY_TRACE when they are set (developer aids); it
// returns the stop function.
func startProfile(stderr io.Writer) func() {
	var stops []func() error
	start := func(env string, begin func(io.Writer) error, end func()) {
		path := os.Getenv(env)
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err == nil {
			if err = begin(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "flowverify: %s: %v\n", env, err)
			return
		}
		stops = append(stops, func() error {
			end()
			if err := f.Close(); err != nil {
				return fmt.Errorf("%s: %w", env, err)
			}
			return nil
		})
	}
	start("FLOWVERIFY_CPUPROFILE", pprof.StartCPUProfile, pprof.StopCPUProfile)
	start("FLOWVERIFY_TRACE", trace.Start, trace.Stop)
	return func() {
		for _, stop := range stops {
			if err := stop(); err != nil {
				fmt.Fprintf(stderr, "flowverify: %v\n", err)
			}
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
			return unknownCommand(env, args[1])
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
		return unknownCommand(env, args[0])
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
