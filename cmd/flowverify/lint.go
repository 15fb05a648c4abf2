package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/lint"
)

func runLint(env *runEnv, args []string) int {
	const cmd = "lint"
	fs := newFlagSet(env, cmd, "--nacl FILE [--acl ID|NAME] [--nacl-format F] [--format text|json|sarif] [--fail-on error|warning|info|never] [--ephemeral PROFILES]")
	var (
		naclPath, sel, naclFormat, format, failOn string
		profiles                                  []string
	)
	fs.StringVar(&naclPath, "nacl", "", "NACL file (describe-network-acls JSON, Terraform, CloudFormation, native text), a Terraform module directory, or - for standard input; required")
	fs.StringVar(&sel, "acl", "", "lint only the ACL with this ID or Name tag (default: every ACL in the file)")
	fs.StringVar(&naclFormat, "nacl-format", "auto", "NACL file format: auto, aws-json, terraform, terraform-json, cloudformation, text")
	fs.StringVar(&format, "format", "text", "output format: text, json or sarif (SARIF 2.1.0, for code-scanning UIs)")
	fs.StringVar(&failOn, "fail-on", "error", "exit 1 when a finding of this severity or worse exists: error, warning, info, or never")
	fs.StringSliceVar(&profiles, "ephemeral", nil, "client ephemeral profiles replies must reach (comma-separated: "+lintProfileNames()+"; default all)")
	var nf naclFlags
	addNACLFlags(fs, &nf)
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(format, "text", "json", "sarif"); err != nil {
		return fail(env, cmd, err)
	}
	failSevs, err := lintFailOn(failOn)
	if err != nil {
		return fail(env, cmd, err)
	}
	if naclPath == "" {
		return fail(env, cmd, errors.New("--nacl FILE is required"))
	}
	if fs.NArg() > 0 {
		return fail(env, cmd, fmt.Errorf("unexpected argument %q (lint reads no captures)", fs.Arg(0)))
	}
	opts, err := lintOptions(profiles)
	if err != nil {
		return fail(env, cmd, err)
	}
	file, err := readNACL(env, cmd, naclPath, naclFormat, &nf, true)
	if err != nil {
		return fail(env, cmd, err)
	}
	acls := file.ACLs
	if sel != "" {
		acl, err := file.Select(sel)
		if err != nil {
			return fail(env, cmd, err)
		}
		acls = []*nacl.ACL{acl}
	}
	if len(acls) == 0 {
		return fail(env, cmd, fmt.Errorf("%s: no network ACL in the file", naclPath))
	}
	doc := render.Lint{File: naclPath, Format: string(file.Format), Counts: lint.Count(nil)}
	for _, acl := range acls {
		fds := lint.Lint(acl, opts)
		if fds == nil {
			fds = []lint.Finding{}
		}
		c := lint.Count(fds)
		for k, v := range c {
			doc.Counts[k] += v
		}
		doc.ACLs = append(doc.ACLs, render.LintACL{ID: acl.ID, Name: acl.Name, Position: acl.Pos.String(), Pos: acl.Pos, Counts: c, Findings: fds})
	}
	if format == "sarif" {
		err = doc.WriteSARIF(env.stdout, render.SARIFRun{Version: versionString()})
	} else {
		err = doc.Write(env.stdout, format, env.stdoutIsTerminal)
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	for _, sev := range failSevs {
		if doc.Counts[sev] > 0 {
			return exitFindings
		}
	}
	return exitOK
}

// lintFailOn returns the severities that make lint exit 1 for --fail-on
// level: that severity and the worse ones.
func lintFailOn(level string) ([]nacl.Severity, error) {
	order := []nacl.Severity{nacl.SevError, nacl.SevWarning, nacl.SevInfo}
	if level == "never" {
		return nil, nil
	}
	for i, s := range order {
		if string(s) == level {
			return order[:i+1], nil
		}
	}
	return nil, fmt.Errorf("unknown --fail-on %q (want error, warning, info or never)", level)
}

// lintProfileNames lists the ephemeral profile names for the flag help.
func lintProfileNames() string {
	names := make([]string, len(ephemeral.Profiles))
	for i, p := range ephemeral.Profiles {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// lintOptions turns the --ephemeral names into lint options.
func lintOptions(names []string) (lint.Options, error) {
	var opts lint.Options
	for _, n := range names {
		p, ok := ephemeral.ByName(strings.TrimSpace(n))
		if !ok {
			return opts, fmt.Errorf("--ephemeral: unknown profile %q (want %s)", n, lintProfileNames())
		}
		opts.Profiles = append(opts.Profiles, p)
	}
	return opts, nil
}
