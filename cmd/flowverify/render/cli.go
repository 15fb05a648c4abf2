package render

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// CommandDoc is a command as help, the man page and the completion
// scripts describe it.
type CommandDoc struct {
	Name    string
	Summary string
	// Synopsis is what follows the command's name ("--nacl FILE ...").
	Synopsis string
	// Examples are command lines; text after "  # " is a comment.
	Examples []string
	// Exits says what exit codes 0, 1 and 2 mean ("" for never).
	Exits [3]string
	// Flags are the command's flags (needed by the man page and the
	// completion scripts only).
	Flags *pflag.FlagSet
}

// findDoc returns the command called name, or nil.
func findDoc(commands []CommandDoc, name string) *CommandDoc {
	for i := range commands {
		if commands[i].Name == name {
			return &commands[i]
		}
	}
	return nil
}

// CompletionShells are the shells `flowverify completion` writes for.
var CompletionShells = []string{"bash", "zsh", "fish"}

// WriteUsage writes the command list of `flowverify help` to w, with
// the first example of check and lint.
func WriteUsage(w io.Writer, commands []CommandDoc) error {
	var b bytes.Buffer
	fmt.Fprintln(&b, "flowverify: replay packet captures against AWS VPC Network ACLs")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Usage: flowverify COMMAND [flags] [args]")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Examples:")
	for _, name := range []string{"check", "lint"} {
		if c := findDoc(commands, name); c != nil {
			fmt.Fprintf(&b, "  %s\n", c.Examples[0])
		}
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "'flowverify help COMMAND' (or COMMAND --help) shows a command's flags, examples and exit codes;")
	fmt.Fprintln(&b, "'flowverify --version' the version; 'flowverify man' the manual page.")
	fmt.Fprintln(&b, "Exit codes: 0 ok, 1 findings (denied packets, lint findings), 2 error.")
	_, err := w.Write(b.Bytes())
	return err
}

// WriteCommandHelp writes the help of command name: synopsis, then, when
// c (its description, may be nil) is given, summary, flags, examples and
// exit codes.
func WriteCommandHelp(w io.Writer, name, synopsis string, c *CommandDoc, fs *pflag.FlagSet) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Usage: flowverify %s %s\n", name, synopsis)
	ok := c != nil
	if ok {
		fmt.Fprintf(&b, "\n%s\n", upperFirst(c.Summary))
	}
	fmt.Fprintf(&b, "\nFlags:\n%s", fs.FlagUsages())
	if ok {
		if len(c.Examples) > 0 {
			fmt.Fprintf(&b, "\nExamples:\n")
			for _, e := range c.Examples {
				fmt.Fprintf(&b, "  %s\n", e)
			}
		}
		fmt.Fprintf(&b, "\nExit codes:\n")
		for code, text := range c.Exits {
			if text != "" {
				fmt.Fprintf(&b, "  %d  %s\n", code, text)
			}
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// complFlag is one flag as the completion scripts see it.
type complFlag struct {
	name, short, desc string
	// value: the flag takes a value (completed as a file name);
	// repeat: it may be given several times.
	value, repeat bool
}

// complFlags lists c's visible flags, by name.
func complFlags(c *CommandDoc) []complFlag {
	var out []complFlag
	c.Flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		t := f.Value.Type()
		out = append(out, complFlag{name: f.Name, short: f.Shorthand, desc: shortDesc(f.Usage), value: f.NoOptDefVal == "" && t != "bool",
			repeat: strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")})
	})
	return out
}

// shortDesc is the first clause of a flag's usage, without the characters
// the shells' completion syntaxes treat specially.
func shortDesc(usage string) string {
	s := usage
	for _, sep := range []string{"; ", " ("} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune("[]:'\"`\\$\n", r) {
			return -1
		}
		return r
	}, s)
	if len(s) > 70 {
		s = s[:67] + "..."
	}
	return s
}

// positionalChoices are the words a command takes as arguments, where
// they are not file names.
func positionalChoices(commands []CommandDoc, name string) []string {
	switch name {
	case "completion":
		return CompletionShells
	case "help":
		names := make([]string, len(commands))
		for i, c := range commands {
			names[i] = c.Name
		}
		return names
	}
	return nil
}

// commandNames lists the commands and help.
func commandNames(commands []CommandDoc) []string {
	names := positionalChoices(commands, "help")
	return append(names, "help")
}

// BashCompletion is the bash completion script for commands (with their flags).
func BashCompletion(commands []CommandDoc) string {
	var b bytes.Buffer
	b.WriteString(`# bash completion for flowverify; load with: source <(flowverify completion bash)
_flowverify() {
    local cur prev cmd flags valued
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "` + strings.Join(commandNames(commands), " ") + ` --help --version" -- "$cur"))
        return
    fi
    cmd="${COMP_WORDS[1]}"
    case "$cmd" in
`)
	for _, name := range []string{"completion", "help"} {
		fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", name, strings.Join(positionalChoices(commands, name), " "))
	}
	for i := range commands {
		c := &commands[i]
		if c.Name == "completion" {
			continue
		}
		var all, valued []string
		for _, f := range complFlags(c) {
			all = append(all, "--"+f.name)
			if f.value {
				valued = append(valued, "--"+f.name)
				if f.short != "" {
					valued = append(valued, "-"+f.short)
				}
			}
		}
		fmt.Fprintf(&b, "        %s) flags=%q; valued=%q ;;\n", c.Name, strings.Join(all, " "), " "+strings.Join(valued, " ")+" ")
	}
	b.WriteString(`        *) return ;;
    esac
    if [[ "$cur" != -* && "$valued" == *" $prev "* ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$flags --help" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -o bashdefault -F _flowverify flowverify
`)
	return b.String()
}

// ZshCompletion is the zsh completion script for commands (an
// autoloadable _flowverify function, or sourced).
func ZshCompletion(commands []CommandDoc) string {
	var b bytes.Buffer
	b.WriteString("#compdef flowverify\n# zsh completion for flowverify: flowverify completion zsh > \"${fpath[1]}/_flowverify\"\n")
	b.WriteString("_flowverify() {\n  local -a commands\n  commands=(\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "    '%s:%s'\n", c.Name, shortDesc(c.Summary))
	}
	b.WriteString("    'help:show the help of a command'\n  )\n")
	b.WriteString(`  if (( CURRENT == 2 )); then
    if [[ $words[CURRENT] == -* ]]; then
      _values 'option' '--help[show help]' '--version[print the version]'
    else
      _describe -t commands 'flowverify command' commands
    fi
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
    help) _describe -t commands 'flowverify command' commands ;;
    completion) _values 'shell' bash zsh fish ;;
`)
	for i := range commands {
		c := &commands[i]
		if c.Name == "completion" {
			continue
		}
		fmt.Fprintf(&b, "    %s)\n      _arguments -s \\\n", c.Name)
		for _, f := range complFlags(c) {
			spec := "--" + f.name
			if f.repeat {
				spec = "*" + spec
			}
			if f.value {
				spec += "=[" + f.desc + "]:" + f.name + ":_files"
			} else {
				spec += "[" + f.desc + "]"
			}
			fmt.Fprintf(&b, "        '%s' \\\n", spec)
		}
		b.WriteString("        '--help[show help]' \\\n        '*:file:_files'\n      ;;\n")
	}
	b.WriteString(`  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _flowverify "$@"
else
  compdef _flowverify flowverify
fi
`)
	return b.String()
}

// FishCompletion is the fish completion script for commands.
func FishCompletion(commands []CommandDoc) string {
	var b bytes.Buffer
	b.WriteString("# fish completion for flowverify: flowverify completion fish > ~/.config/fish/completions/flowverify.fish\n")
	b.WriteString("complete -c flowverify -f\n")
	b.WriteString("complete -c flowverify -n __fish_use_subcommand -l help -d 'show help'\n")
	b.WriteString("complete -c flowverify -n __fish_use_subcommand -l version -d 'print the version'\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "complete -c flowverify -n __fish_use_subcommand -a %s -d '%s'\n", c.Name, shortDesc(c.Summary))
	}
	b.WriteString("complete -c flowverify -n __fish_use_subcommand -a help -d 'show the help of a command'\n")
	for _, name := range []string{"completion", "help"} {
		fmt.Fprintf(&b, "complete -c flowverify -n '__fish_seen_subcommand_from %s' -a '%s'\n", name, strings.Join(positionalChoices(commands, name), " "))
	}
	for i := range commands {
		c := &commands[i]
		if slices.Contains([]string{"completion"}, c.Name) {
			continue
		}
		cond := "'__fish_seen_subcommand_from " + c.Name + "'"
		for _, f := range complFlags(c) {
			line := "complete -c flowverify -n " + cond + " -l " + f.name
			if f.short != "" {
				line += " -s " + f.short
			}
			if f.value {
				line += " -r -F"
			}
			fmt.Fprintf(&b, "%s -d '%s'\n", line, f.desc)
		}
		fmt.Fprintf(&b, "complete -c flowverify -n %s -F\n", cond)
	}
	return b.String()
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

// ManPage is the flowverify(1) page in man(7) roff, made from commands,
// their flags and their examples (the same definitions help prints).
func ManPage(version string, commands []CommandDoc) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, ".TH FLOWVERIFY 1 \"\" \"flowverify %s\" \"User Commands\"\n", roff(version))
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
		fmt.Fprintf(&b, ".SS \"%s\"\n", c.Name)
		fmt.Fprintf(&b, ".B flowverify %s\n%s\n.PP\n%s\n", c.Name, roff(c.Synopsis), roff(upperFirst(c.Summary)+"."))
		c.Flags.VisitAll(func(f *pflag.Flag) {
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
		if len(c.Examples) > 0 {
			b.WriteString(".PP\nExamples:\n.PP\n.RS\n.nf\n")
			for _, e := range c.Examples {
				b.WriteString(roff(e) + "\n")
			}
			b.WriteString(".fi\n.RE\n")
		}
		b.WriteString(".PP\nExit status:\n")
		for code, text := range c.Exits {
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
