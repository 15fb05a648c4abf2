package main

import (
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
)

func runCompletion(env *runEnv, args []string) int {
	const cmd = "completion"
	fs := newFlagSet(env, cmd, "bash|zsh|fish")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return fail(env, cmd, errors.New("give one shell: bash, zsh or fish"))
	}
	var script string
	switch fs.Arg(0) {
	case "bash":
		script = render.BashCompletion(commandDocs(true))
	case "zsh":
		script = render.ZshCompletion(commandDocs(true))
	case "fish":
		script = render.FishCompletion(commandDocs(true))
	default:
		msg := fmt.Sprintf("unknown shell %q (want bash, zsh or fish)", fs.Arg(0))
		if s := suggest(fs.Arg(0), render.CompletionShells); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return fail(env, cmd, errors.New(msg))
	}
	if _, err := fmt.Fprint(env.stdout, script); err != nil {
		return fail(env, cmd, err)
	}
	return exitOK
}
