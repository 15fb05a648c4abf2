package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// completionShells are the shells `flowverify completion` writes for.
var completionShells = []string{"bash", "zsh", "fish"}

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
		script = bashCompletion()
	case "zsh":
		script = zshCompletion()
	case "fish":
		script = fishCompletion()
	default:
		msg := fmt.Sprintf("unknown shell %q (want bash, zsh or fish)", fs.Arg(0))
		if s := suggest(fs.Arg(0), completionShells); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return fail(env, cmd, errors.New(msg))
	}
	if _, err := fmt.Fprint(env.stdout, script); err != nil {
		return fail(env, cmd, err)
	}
	return exitOK
}

// complFlag is one flag as the completion scripts see it.
type complFlag struct {
	name, short, desc string
	// value: the flag takes a value (completed as a file name);
	// repeat: it may be given several times.
	value, repeat bool
}

// complFlags lists c's visible flags, by name.
func complFlags(c *command) []complFlag {
	var out []complFlag
	define(c).flags.VisitAll(func(f *pflag.Flag) {
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
func positionalChoices(name string) []string {
	switch name {
	case "completion":
		return completionShells
	case "help":
		names := make([]string, len(commands))
		for i, c := range commands {
			names[i] = c.name
		}
		return names
	}
	return nil
}

// commandNames lists the commands and help.
func commandNames() []string {
	names := positionalChoices("help")
	return append(names, "help")
}

// bashCompletion is the bash completion script.
func bashCompletion() string {
	var b bytes.Buffer
	b.WriteString(`# bash completion for flowverify; load with: source <(flowverify completion bash)
_flowverify() {
    local cur prev cmd flags valued
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "` + strings.Join(commandNames(), " ") + ` --help --version" -- "$cur"))
        return
    fi
    cmd="${COMP_WORDS[1]}"
    case "$cmd" in
`)
	for _, name := range []string{"completion", "help"} {
		fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", name, strings.Join(positionalChoices(name), " "))
	}
	for i := range commands {
		c := &commands[i]
		if c.name == "completion" {
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
		fmt.Fprintf(&b, "        %s) flags=%q; valued=%q ;;\n", c.name, strings.Join(all, " "), " "+strings.Join(valued, " ")+" ")
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

// zshCompletion is the zsh completion script (an autoloadable _flowverify
// function, or sourced).
func zshCompletion() string {
	var b bytes.Buffer
	b.WriteString("#compdef flowverify\n# zsh completion for flowverify: flowverify completion zsh > \"${fpath[1]}/_flowverify\"\n")
	b.WriteString("_flowverify() {\n  local -a commands\n  commands=(\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "    '%s:%s'\n", c.name, shortDesc(c.summary))
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
		if c.name == "completion" {
			continue
		}
		fmt.Fprintf(&b, "    %s)\n      _arguments -s \\\n", c.name)
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

// fishCompletion is the fish completion script.
func fishCompletion() string {
	var b bytes.Buffer
	b.WriteString("# fish completion for flowverify: flowverify completion fish > ~/.config/fish/completions/flowverify.fish\n")
	b.WriteString("complete -c flowverify -f\n")
	b.WriteString("complete -c flowverify -n __fish_use_subcommand -l help -d 'show help'\n")
	b.WriteString("complete -c flowverify -n __fish_use_subcommand -l version -d 'print the version'\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "complete -c flowverify -n __fish_use_subcommand -a %s -d '%s'\n", c.name, shortDesc(c.summary))
	}
	b.WriteString("complete -c flowverify -n __fish_use_subcommand -a help -d 'show the help of a command'\n")
	for _, name := range []string{"completion", "help"} {
		fmt.Fprintf(&b, "complete -c flowverify -n '__fish_seen_subcommand_from %s' -a '%s'\n", name, strings.Join(positionalChoices(name), " "))
	}
	for i := range commands {
		c := &commands[i]
		if slices.Contains([]string{"completion"}, c.name) {
			continue
		}
		cond := "'__fish_seen_subcommand_from " + c.name + "'"
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
