package main

import (
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether f is a character device (a terminal), so that
// colour is used only there. NO_COLOR (https://no-color.org) disables it.
func isTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
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
