package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/spf13/pflag"
)

// newFlagSet returns a pflag set that reports errors instead of exiting;
// --help prints the command's help (synopsis, summary, flags, examples,
// exit codes) on standard output.
func newFlagSet(env *runEnv, name, synopsis string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.SortFlags = true
	fs.Usage = func() {
		var doc *render.CommandDoc
		if c, ok := lookup(name); ok {
			d := c.doc(false)
			doc = &d
		}
		_ = render.WriteCommandHelp(env.stdout, name, synopsis, doc, fs) // help is best effort; the exit code is 0 either way
	}
	if env.def != nil {
		env.def.flags, env.def.synopsis = fs, synopsis
	}
	return fs
}

// parseFlags parses args; it returns (exit code, false) when the command
// should stop (help requested: 0, bad flags: 2). An unknown flag gets the
// closest known one as a suggestion.
func parseFlags(env *runEnv, fs *pflag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, false
		}
		msg := err.Error()
		var ne *pflag.NotExistError
		if errors.As(err, &ne) && ne.GetSpecifiedShortnames() == "" {
			if s := suggestFlag(fs, ne.GetSpecifiedName()); s != "" {
				msg += " (did you mean --" + s + "?)"
			}
		}
		fmt.Fprintf(env.stderr, "flowverify %s: %s\nRun 'flowverify help %s' for usage.\n", fs.Name(), msg, fs.Name())
		return exitError, false
	}
	return 0, true
}

// unknownCommand reports an unknown command, with the closest one.
func unknownCommand(env *runEnv, name string) int {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	msg := fmt.Sprintf("flowverify: unknown command %q", name)
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	fmt.Fprintf(env.stderr, "%s\nRun 'flowverify help' for the list of commands.\n", msg)
	return exitError
}

// suggestFlag returns the flag of fs closest to name, "" if none is close.
func suggestFlag(fs *pflag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	return suggest(strings.TrimLeft(name, "-"), names)
}

// suggest returns the candidate closest to s by edit distance, or one
// that s is a prefix of; "" when none is within half of s's length
// (at least 1, at most 3 edits). Ties go to the first candidate in sorted
// order, so the suggestion is deterministic.
func suggest(s string, candidates []string) string {
	if s == "" {
		return ""
	}
	sorted := slices.Clone(candidates)
	slices.Sort(sorted)
	best, bestD := "", max(1, min(3, len(s)/2))+1
	for _, c := range sorted {
		d := levenshtein.Distance(strings.ToLower(s), strings.ToLower(c), nil)
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" && len(s) >= 3 {
		for _, c := range sorted {
			if strings.HasPrefix(c, s) {
				return c
			}
		}
	}
	return best
}

// commandDef is what a command's run function defines: its flags and
// its synopsis ("--nacl FILE ... CAPTURE...").
type commandDef struct {
	flags    *pflag.FlagSet
	synopsis string
}

// define returns the flags and synopsis of command c, by running it with
// --help into nowhere: they are defined once, in the command's run
// function, and help, the man page and the completions all read them.
func define(c *command) commandDef {
	var d commandDef
	c.run(&runEnv{stdin: bytes.NewReader(nil), stdout: io.Discard, stderr: io.Discard, def: &d}, []string{"--help"})
	if d.flags == nil {
		d.flags = pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	}
	return d
}

// doc describes c for help; with flags, also its flags and synopsis
// (from define, which runs the command with --help).
func (c *command) doc(flags bool) render.CommandDoc {
	d := render.CommandDoc{Name: c.name, Summary: c.summary, Examples: c.examples, Exits: c.exits}
	if flags {
		def := define(c)
		d.Flags, d.Synopsis = def.flags, def.synopsis
	}
	return d
}

// commandDocs describes every command, in the order of commands.
func commandDocs(flags bool) []render.CommandDoc {
	docs := make([]render.CommandDoc, len(commands))
	for i := range commands {
		docs[i] = commands[i].doc(flags)
	}
	return docs
}

// usage prints the command list to w.
func usage(w io.Writer) error { return render.WriteUsage(w, commandDocs(false)) }
