package main

import "os"

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
