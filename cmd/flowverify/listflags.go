package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/where"
	"github.com/flowverify/flowverify/nacl/replay"
)

// listFlags choose the conversations a report lists: --all, --limit,
// --status, --conversation (and --where, see where.go).
type listFlags struct {
	all           bool
	limit         int
	status        string
	conversations []string
	where         string
	// width is --width: the text width (0 unlimited; -1: the terminal's).
	width int
}

// defaultLimit is the default --limit of the text listings.
const defaultLimit = 50

// addListFlags registers the listing flags of check on fs.
func addListFlags(fs *pflag.FlagSet, l *listFlags) {
	fs.BoolVar(&l.all, "all", false, "text: list every conversation, not only the affected ones (those with a denied packet)")
	fs.IntVar(&l.limit, "limit", defaultLimit, "text: list at most N conversations and N broken ones (0: no limit); json, jsonl and csv list every conversation the filters keep")
	fs.StringVar(&l.status, "status", "", "list only conversations of this status: denied or affected (any packet denied), ok, request-denied, response-denied, both-denied, exempt, not-filtered (comma-separated)")
	addWhereFlags(fs, l)
	fs.IntVar(&l.width, "width", -1, "text: wrap sentences and notes at N columns (0: never wrap); default: the terminal's width when stdout is a terminal, else no wrapping")
}

// textWidth is the width text reports wrap at: --width when given, else
// the terminal's (0, no wrapping, when stdout is not a terminal).
func (l *listFlags) textWidth(env *runEnv) int {
	if l.width >= 0 {
		return l.width
	}
	return env.termWidth
}

// addWhereFlags registers --where and --conversation on fs.
func addWhereFlags(fs *pflag.FlagSet, l *listFlags) {
	fs.StringArrayVar(&l.conversations, "conversation", nil, "list only conversation ID (repeatable, or comma-separated; the IDs of `flowverify flows`)")
	fs.StringVar(&l.where, "where", "", "list only conversations matching EXPR, a tcpdump-like expression that needs no libpcap: host, net, port, portrange, tcp|udp|icmp|icmp6, src|dst, and|or|not, parentheses (see README); unlike --filter (libpcap builds only), it filters the report, not the capture")
}

// selection turns the flags into a render.ConvSelect.
func (l *listFlags) selection() (render.ConvSelect, error) {
	sel := render.ConvSelect{All: l.all, Limit: l.limit}
	if l.limit < 0 {
		return sel, fmt.Errorf("--limit %d: want 0 (no limit) or more", l.limit)
	}
	if l.width < -1 {
		return sel, fmt.Errorf("--width %d: want 0 (no wrapping) or more", l.width)
	}
	var tests []func(*flows.Conversation, replay.Status) bool
	var desc []string
	if l.status != "" {
		st, err := render.ParseStatus(l.status)
		if err != nil {
			return sel, fmt.Errorf("--status: %w", err)
		}
		tests = append(tests, func(_ *flows.Conversation, s replay.Status) bool { return st(s) })
		desc = append(desc, "--status "+l.status)
	}
	if len(l.conversations) > 0 {
		ids := map[int]bool{}
		for _, v := range l.conversations {
			for _, f := range strings.Split(v, ",") {
				id, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(f), "#"))
				if err != nil || id < 1 {
					return sel, fmt.Errorf("--conversation %q: want a conversation ID (1, 2, ...)", f)
				}
				ids[id] = true
			}
		}
		tests = append(tests, func(c *flows.Conversation, _ replay.Status) bool { return ids[c.ID] })
		desc = append(desc, "--conversation "+strings.Join(l.conversations, ","))
	}
	if l.where != "" {
		m, err := where.Parse(l.where)
		if err != nil {
			return sel, fmt.Errorf("--where: %w", err)
		}
		tests = append(tests, func(c *flows.Conversation, _ replay.Status) bool { return m.Match(c) })
		desc = append(desc, "--where '"+l.where+"'")
	}
	if len(tests) > 0 {
		sel.Match = func(c *flows.Conversation, s replay.Status) bool {
			for _, t := range tests {
				if !t(c, s) {
					return false
				}
			}
			return true
		}
		sel.Describe = strings.Join(desc, " ")
	}
	return sel, nil
}

// incomplete lists the inputs that could not be read to their end.
func (in *replayInput) incomplete() []render.IncompleteFile {
	if in.stream == nil {
		return nil
	}
	return render.IncompleteFiles(in.files, in.paths, in.stream.Problems())
}
