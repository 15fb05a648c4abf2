package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestHelpEveryCommand(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{"help", c.name}, {c.name, "--help"}, {c.name, "-h"}} {
			out, errs, code := runCLI(t, nil, args...)
			if code != exitOK || errs != "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, errs)
			}
			for _, want := range []string{"Usage: flowverify " + c.name, "Flags:", "Exit codes:\n  0  "} {
				if !strings.Contains(out, want) {
					t.Errorf("%v: help lacks %q:\n%s", args, want, out)
				}
			}
			if len(c.examples) == 0 || !strings.Contains(out, "Examples:\n  "+c.examples[0]) {
				t.Errorf("%v: help has no example", args)
			}
		}
	}
	out, _, code := runCLI(t, nil, "help")
	if code != exitOK || !strings.Contains(out, "completion") || !strings.Contains(out, "man ") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}

// TestExamplesUseRealFlags checks that every example names its command and
// only flags that command defines.
func TestExamplesUseRealFlags(t *testing.T) {
	for i := range commands {
		c := &commands[i]
		fs := define(c).flags
		for _, e := range c.examples {
			line, _, _ := strings.Cut(e, "  # ")
			var seg string
			for s := range strings.SplitSeq(line, "|") {
				if strings.Contains(s, "flowverify "+c.name) {
					seg = s
				}
			}
			if seg == "" {
				t.Errorf("%s: example %q does not run flowverify %s", c.name, e, c.name)
				continue
			}
			for _, w := range strings.Fields(seg) {
				if !strings.HasPrefix(w, "--") {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimPrefix(w, "--"), "=")
				if fs.Lookup(name) == nil {
					t.Errorf("%s: example %q uses unknown flag --%s", c.name, e, name)
				}
			}
		}
	}
}

// TestBundledExamplesRun runs the examples that use only bundled files.
func TestBundledExamplesRun(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	ran := 0
	for _, c := range commands {
		for _, e := range c.examples {
			if strings.ContainsAny(e, "|<>#") || !strings.Contains(e, "pcaps/") {
				continue
			}
			var args []string
			for _, w := range strings.Fields(strings.TrimPrefix(e, "flowverify ")) {
				args = append(args, strings.Trim(w, `"`))
			}
			if c.name == "explain" { // the packet is one argument
				i := len(args) - 5
				args = append(args[:i], strings.Join(args[i:], " "))
			}
			_, errs, code := runCLI(t, nil, args...)
			if code == exitError {
				t.Errorf("%q: exit 2: %s", e, errs)
			}
			ran++
		}
	}
	if ran < 3 {
		t.Errorf("only %d bundled examples ran", ran)
	}
}

func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lnit"}, `unknown command "lnit" (did you mean "lint"?)`},
		{[]string{"chek", "x"}, `(did you mean "check"?)`},
		{[]string{"help", "dif"}, `(did you mean "diff"?)`},
		{[]string{"complete", "bash"}, `(did you mean "completion"?)`},
		{[]string{"lint", "--nacll", "x"}, "unknown flag: --nacll (did you mean --nacl?)"},
		{[]string{"check", "--fromat", "json"}, "(did you mean --format?)"},
		{[]string{"diff", "--nacl-nw", "x"}, "(did you mean --nacl-new?)"},
		{[]string{"completion", "bsh"}, `did you mean "bash"?`},
	} {
		_, errs, code := runCLI(t, nil, tc.args...)
		if code != exitError || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}
	// Nothing close: no suggestion.
	for _, args := range [][]string{{"xyzzy"}, {"lint", "--zzzzzzzz"}} {
		if _, errs, _ := runCLI(t, nil, args...); strings.Contains(errs, "did you mean") {
			t.Errorf("%v: a far-fetched suggestion: %s", args, errs)
		}
	}
}

// completionScript writes flowverify completion SHELL to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	out, errs, code := runCLI(t, nil, "completion", shell)
	if code != exitOK || out == "" {
		t.Fatalf("completion %s: exit %d, %s", shell, code, errs)
	}
	p := filepath.Join(t.TempDir(), "flowverify."+shell)
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompletionBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	p := completionScript(t, "bash")
	// complete WORDS... returns the candidates for the last word.
	complete := func(words ...string) []string {
		t.Helper()
		var script bytes.Buffer
		script.WriteString("source " + p + "\nCOMP_WORDS=(")
		for _, w := range words {
			script.WriteString("'" + w + "' ")
		}
		script.WriteString(")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_flowverify\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
		cmd := exec.Command("bash", "--norc", "--noprofile", "-c", script.String())
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.Fields(string(out))
	}
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"flowverify", "li"}, "lint"},
		{[]string{"flowverify", "lint", "--fa"}, "--fail-on"},
		{[]string{"flowverify", "check", "--write-f"}, "--write-fixed"},
		{[]string{"flowverify", "completion", "z"}, "zsh"},
		{[]string{"flowverify", "help", "sy"}, "synth"},
	} {
		got := complete(tc.words...)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%v: completions %v, want [%s]", tc.words, got, tc.want)
		}
	}
}

func TestCompletionScriptsParse(t *testing.T) {
	for shell, check := range map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}} {
		t.Run(shell, func(t *testing.T) {
			if _, err := exec.LookPath(check[0]); err != nil {
				t.Skipf("%s not installed", check[0])
			}
			p := completionScript(t, shell)
			if out, err := exec.Command(check[0], append(check[1:], p)...).CombinedOutput(); err != nil {
				t.Errorf("%s rejects the script: %v\n%s", shell, err, out)
			}
		})
	}
}

func TestCompletionFishCompletes(t *testing.T) {
	if _, err := exec.LookPath("fish"); err != nil {
		t.Skip("fish not installed")
	}
	p := completionScript(t, "fish")
	out, err := exec.Command("fish", "--no-config", "-c", "source "+p+"; complete -C 'flowverify lint --fail'").CombinedOutput()
	if err != nil {
		t.Fatalf("fish: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--fail-on") {
		t.Errorf("fish does not complete --fail-on:\n%s", out)
	}
}

func TestCompletionZshCompletes(t *testing.T) {
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("zsh not installed")
	}
	p := completionScript(t, "zsh")
	// Loading the function with compinit registers it for flowverify.
	script := "autoload -U compinit && compinit -u -D && source " + p + " && print -r -- ${_comps[flowverify]}"
	out, err := exec.Command("zsh", "-f", "-c", script).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_flowverify" {
		t.Errorf("zsh did not register _flowverify: %v\n%s", err, out)
	}
}

func TestManPage(t *testing.T) {
	out, errs, code := runCLI(t, nil, "man")
	if code != exitOK || errs != "" {
		t.Fatalf("man: exit %d, %s", code, errs)
	}
	for _, want := range []string{".TH FLOWVERIFY 1", ".SH NAME", ".SH EXIT STATUS", `\fB\-\-fail\-on\fR`, `\fB\-\-write\-fixed\fR`} {
		if !strings.Contains(out, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	for _, c := range commands {
		if !strings.Contains(out, ".SS \""+c.name+"\"") {
			t.Errorf("man page lacks command %s", c.name)
		}
	}
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff not installed")
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww")
	cmd.Stdin = strings.NewReader(out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	text, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, stderr.String())
	}
	// Rendered, the flags read as typed (ASCII hyphens).
	if !strings.Contains(string(text), "--fail-on") {
		t.Errorf("rendered page lacks --fail-on")
	}
}

func TestVersion(t *testing.T) {
	out, _, code := runCLI(t, nil, "--version")
	if code != exitOK || !strings.HasPrefix(out, "flowverify ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	old := version
	version = "v1.2.3"
	defer func() { version = old }()
	if out, _, _ := runCLI(t, nil, "--version"); out != "flowverify v1.2.3\n" {
		t.Errorf("--version with -ldflags version: %q", out)
	}
}
