package text

import (
	"fmt"
	"strconv"
	"strings"
)

// token is one whitespace-separated word of a line, with its 1-based
// byte column.
type token struct {
	s   string
	col int
}

// splitLine splits a line into tokens and the trailing "# comment" text
// (without the '#', trimmed). Double-quoted tokens may hold spaces and
// '#'; they are unquoted with Go syntax.
func splitLine(line string) ([]token, string, error) {
	var toks []token
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			i++
		case c == '#':
			return toks, strings.TrimSpace(line[i+1:]), nil
		case c == '"':
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(line) {
				return toks, "", fmt.Errorf("column %d: unterminated quoted string", i+1)
			}
			s, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				return toks, "", fmt.Errorf("column %d: bad quoted string %s", i+1, line[i:j+1])
			}
			toks = append(toks, token{s, i + 1})
			i = j + 1
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t\r\v\f#", rune(line[j])) {
				j++
			}
			toks = append(toks, token{line[i:j], i + 1})
			i = j
		}
	}
	return toks, "", nil
}

// quote returns s unchanged when it is a plain word, else Go-quoted.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r <= ' ' || r == '#' || r == '"' || r == '\\' || r > '~' {
			return strconv.Quote(s)
		}
	}
	return s
}
