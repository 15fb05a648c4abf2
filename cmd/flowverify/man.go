package main

import (
	"fmt"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
)

func runMan(env *runEnv, args []string) int {
	const cmd = "man"
	fs := newFlagSet(env, cmd, "")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, cmd, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if _, err := env.stdout.Write(render.ManPage(versionString(), commandDocs(true))); err != nil {
		return fail(env, cmd, err)
	}
	return exitOK
}
