package main

import (
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal, so that colour is used
// only there (not on /dev/null or another character device that is not
// one). NO_COLOR (https://no-color.org) and TERM=dumb disable it.
func isTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the width of the terminal f in columns, or 0 when it
// cannot be read (then text is not wrapped).
func terminalWidth(f *os.File) int {
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil || w <= 0 {
		return 0
	}
	return w
}
