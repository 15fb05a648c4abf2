package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/lint"
)

func init() {
	register(&command{
		name:    "lint",
		summary: "find NACL rules that never apply or change nothing, quota and stateless-reply problems",
		run:     runLint,
	})
}

// lintDocument is the JSON output of lint (stable; documented in the README).
type lintDocument struct {
	File   string                `json:"file"`
	Format string                `json:"format"`
	ACLs   []lintACLJSON         `json:"acls"`
	Counts map[nacl.Severity]int `json:"counts"`
}

// lintACLJSON is the findings of one ACL.
type lintACLJSON struct {
	ID       string                `json:"id"`
	Name     string                `json:"name,omitempty"`
	Position string                `json:"position,omitempty"`
	Counts   map[nacl.Severity]int `json:"counts"`
	Findings []lint.Finding        `json:"findings"`
}

func runLint(env *runEnv, args []string) int {
	const cmd = "lint"
	fs := newFlagSet(env, cmd, "--nacl FILE [--acl ID|NAME] [--nacl-format F] [--format text|json] [--ephemeral PROFILES]")
	var (
		naclPath, sel, naclFormat, format string
		profiles                          []string
	)
	fs.StringVar(&naclPath, "nacl", "", "NACL file (describe-network-acls JSON, Terraform, CloudFormation, native text), a Terraform module directory, or - for standard input; required")
	fs.StringVar(&sel, "acl", "", "lint only the ACL with this ID or Name tag (default: every ACL in the file)")
	fs.StringVar(&naclFormat, "nacl-format", "auto", "NACL file format: auto, aws-json, terraform, terraform-json, cloudformation, text")
	fs.StringVar(&format, "format", "text", "output format: text or json")
	fs.StringSliceVar(&profiles, "ephemeral", nil, "client ephemeral profiles replies must reach (comma-separated: "+lintProfileNames()+"; default all)")
	var nf naclFlags
	addNACLFlags(fs, &nf)
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(format, "text", "json"); err != nil {
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
	doc := lintDocument{File: naclPath, Format: string(file.Format), Counts: lint.Count(nil)}
	for _, acl := range acls {
		fds := lint.Lint(acl, opts)
		if fds == nil {
			fds = []lint.Finding{}
		}
		c := lint.Count(fds)
		for k, v := range c {
			doc.Counts[k] += v
		}
		doc.ACLs = append(doc.ACLs, lintACLJSON{ID: acl.ID, Name: acl.Name, Position: acl.Pos.String(), Counts: c, Findings: fds})
	}
	if format == "json" {
		err = writeJSON(env.stdout, doc)
	} else {
		err = writeLintText(env.stdout, &doc, env.stdoutIsTerminal)
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	if doc.Counts[nacl.SevError] > 0 {
		return exitFindings
	}
	return exitOK
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

// lintSeverityColour maps severities to ANSI colours.
func lintSeverityColour(s string) string {
	switch nacl.Severity(s) {
	case nacl.SevError:
		return ansiRed
	case nacl.SevWarning:
		return ansiYellow
	}
	return ""
}

// lintRuleText prints a rule number, "*" for the default rules, "-" for none.
func lintRuleText(n int) string {
	switch {
	case n == 0:
		return "-"
	case n == nacl.DefaultRuleIPv4 || n == nacl.DefaultRuleIPv6:
		return "*"
	}
	return strconv.Itoa(n)
}

// lintCountsText formats counts as "1 error, 2 warnings, 0 info".
func lintCountsText(c map[nacl.Severity]int) string {
	plural := func(n int, w string) string {
		if n == 1 || w == "info" {
			return fmt.Sprintf("%d %s", n, w)
		}
		return fmt.Sprintf("%d %ss", n, w)
	}
	return plural(c[nacl.SevError], "error") + ", " + plural(c[nacl.SevWarning], "warning") + ", " + plural(c[nacl.SevInfo], "info")
}

// writeLintText prints, per ACL, a summary line, an aligned table of the
// findings and then each finding's message and fix, numbered as in the table.
func writeLintText(w io.Writer, doc *lintDocument, colour bool) error {
	var b strings.Builder
	for i, a := range doc.ACLs {
		if i > 0 {
			b.WriteString("\n")
		}
		label := a.ID
		if a.Name != "" && a.Name != a.ID {
			label += " (" + a.Name + ")"
		}
		if len(a.Findings) == 0 {
			fmt.Fprintf(&b, "%s: no findings\n", label)
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n\n", label, lintCountsText(a.Counts))
		t := newTextTable("#", "SEVERITY", "DIRECTION", "FAMILY", "RULE", "CODE", "RELATED").alignRight(0, 4)
		t.colour = func(_, col int, cell string) string {
			if col == 1 {
				return lintSeverityColour(cell)
			}
			return ""
		}
		for k, f := range a.Findings {
			rel := make([]string, len(f.Related))
			for j, n := range f.Related {
				rel[j] = lintRuleText(n)
			}
			t.add(strconv.Itoa(k+1), string(f.Severity), f.Direction.String(), f.Family(), lintRuleText(f.Rule), string(f.Code), strings.Join(rel, ","))
		}
		if err := t.write(&b, colour); err != nil {
			return err
		}
		b.WriteString("\n")
		for k, f := range a.Findings {
			pos := ""
			if p := f.Pos.String(); p != "" {
				pos = " [" + p + "]"
			}
			fmt.Fprintf(&b, "%d. %s%s\n   fix: %s\n", k+1, colourText(f.Message, lintSeverityColour(string(f.Severity)), colour), pos, f.Fix)
		}
	}
	if len(doc.ACLs) > 1 {
		fmt.Fprintf(&b, "\n%d ACLs: %s\n", len(doc.ACLs), lintCountsText(doc.Counts))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
