package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
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
	if _, err := env.stdout.Write(manPage()); err != nil {
		return fail(env, cmd, err)
	}
	return exitOK
}

// roff escapes s for a roff text line: backslashes, dashes (so that
// flags copy as ASCII hyphens), and a leading dot or quote.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// manPage is the flowverify(1) page in man(7) roff, made from commands,
// their flags and their examples (the same definitions help prints).
func manPage() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, ".TH FLOWVERIFY 1 \"\" \"flowverify %s\" \"User Commands\"\n", roff(versionString()))
	b.WriteString(".SH NAME\nflowverify \\- replay packet captures against AWS VPC Network ACLs\n")
	b.WriteString(".SH SYNOPSIS\n.B flowverify\n.I COMMAND\n[flags] [args]\n.br\n.B flowverify\n\\-\\-version | help [COMMAND]\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roff("flowverify reads packet captures (pcap, pcapng, gzip; - for standard input) and VPC Flow Logs, "+
		"rebuilds conversations with their client and server, and judges them against AWS Network ACLs read from "+
		"describe-network-acls JSON, Terraform, CloudFormation or its own text format. NACLs are stateless: the reply leg "+
		"of every conversation is judged by the other direction's rules, on the client's ephemeral port.") + "\n")
	b.WriteString(".SH COMMANDS\n")
	for i := range commands {
		c := &commands[i]
		d := define(c)
		fmt.Fprintf(&b, ".SS \"%s\"\n", c.name)
		fmt.Fprintf(&b, ".B flowverify %s\n%s\n.PP\n%s\n", c.name, roff(d.synopsis), roff(upperFirst(c.summary)+"."))
		d.flags.VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			name, usage := pflag.UnquoteUsage(f)
			b.WriteString(".TP\n")
			if f.Shorthand != "" {
				fmt.Fprintf(&b, "\\fB\\-%s\\fR, ", f.Shorthand)
			}
			fmt.Fprintf(&b, "\\fB\\-\\-%s\\fR", roff(f.Name))
			if name != "" {
				fmt.Fprintf(&b, " \\fI%s\\fR", roff(name))
			}
			b.WriteString("\n" + roff(usage))
			if f.DefValue != "" && f.DefValue != "[]" && f.DefValue != "false" && f.DefValue != "0" {
				b.WriteString(roff(" (default " + f.DefValue + ")"))
			}
			b.WriteString("\n")
		})
		if len(c.examples) > 0 {
			b.WriteString(".PP\nExamples:\n.PP\n.RS\n.nf\n")
			for _, e := range c.examples {
				b.WriteString(roff(e) + "\n")
			}
			b.WriteString(".fi\n.RE\n")
		}
		b.WriteString(".PP\nExit status:\n")
		for code, text := range c.exits {
			if text != "" {
				fmt.Fprintf(&b, ".TP\n.B %d\n%s\n", code, roff(text))
			}
		}
	}
	b.WriteString(".SH EXIT STATUS\n.TP\n.B 0\nok: nothing denied, no finding at the failing severity, packet allowed\n" +
		".TP\n.B 1\nfindings: some packet denied (check), newly denied (diff), a lint finding at the \\-\\-fail\\-on severity, the packet is denied (explain)\n" +
		".TP\n.B 2\nerror: bad usage, unreadable NACL, or an incomplete capture; the report of everything that was read is still printed first\n")
	b.WriteString(".SH ENVIRONMENT\n.TP\n.B NO_COLOR\nwhen set, text output has no colour (colour is only used on a terminal)\n" +
		".TP\n.B FLOWVERIFY_CPUPROFILE\nwrite a Go CPU profile to this file\n")
	b.WriteString(".SH SEE ALSO\n.BR tcpdump (1),\n.BR tshark (1),\n.BR terraform (1),\n.BR aws (1)\n")
	return b.Bytes()
}
