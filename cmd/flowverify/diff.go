package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

func init() {
	register(&command{
		name:    "diff",
		summary: "replay captures against an old and a new NACL: which conversations become denied or allowed",
		run:     runDiff,
	})
}

func runDiff(env *runEnv, args []string) int {
	const cmd = "diff"
	fs := newFlagSet(env, cmd, "--nacl OLD --nacl-new NEW [--subnet CIDR... | --subnets FILE] [flags] CAPTURE...")
	cf := addCaptureFlags(fs)
	rf := addReplayFlags(fs)
	oldPath := fs.String("nacl", "", "the NACL in force today (any format check reads); required")
	newPath := fs.String("nacl-new", "", "the proposed NACL; required")
	aclNew := fs.String("acl-new", "", "ACL ID or Name in --nacl-new when it holds several (default: --acl)")
	format := fs.String("format", "text", "output format: text, json or csv")
	failOn := fs.String("fail-on", "deny", "exit 1 when: deny (some conversation becomes denied) or never")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(*format, "text", "json", "csv"); err != nil {
		return fail(env, cmd, err)
	}
	if *failOn != "deny" && *failOn != "never" {
		return fail(env, cmd, fmt.Errorf("unknown --fail-on %q (want deny or never)", *failOn))
	}
	if *oldPath == "" || *newPath == "" {
		return fail(env, cmd, fmt.Errorf("--nacl OLD and --nacl-new NEW are both required"))
	}
	if *aclNew == "" {
		*aclNew = rf.acl
	}
	win, err := rf.window()
	if err != nil {
		return fail(env, cmd, err)
	}
	oldFile, err := readNACL(env, cmd, *oldPath, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	newFile, err := readNACL(env, cmd, *newPath, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	in, err := openReplayInput(env, cf, fs.Args(), false)
	if err != nil {
		return fail(env, cmd, err)
	}
	defer in.close()
	if err := in.record(cf, win); err != nil {
		return fail(env, cmd, err)
	}
	defer in.stream.Close()
	oldTopo, notes, err := rf.topology(env, cmd, oldFile, rf.acl, in.rec)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl: %w", err))
	}
	// The new topology uses the same subnets (no second host detection).
	nrf := *rf
	if rf.subnetsFile == "" {
		nrf.subnets = nil
		for _, p := range oldTopo.CIDRs() {
			nrf.subnets = append(nrf.subnets, p.String())
		}
	}
	newTopo, _, err := nrf.topology(discardEnv{}.env(env), cmd, newFile, *aclNew, in.rec)
	if err != nil {
		return fail(env, cmd, fmt.Errorf("--nacl-new: %w", err))
	}
	oldJudge, err := replay.NewJudge(oldTopo)
	if err != nil {
		return fail(env, cmd, err)
	}
	newJudge, err := replay.NewJudge(newTopo)
	if err != nil {
		return fail(env, cmd, err)
	}
	oldRep, newRep := replay.Summarize(oldJudge, in.rec), replay.Summarize(newJudge, in.rec)
	d, err := replay.Compare(oldRep, newRep)
	if err != nil {
		return fail(env, cmd, err)
	}
	co := &checkOutput{env: env, in: in, rep: newRep, topo: newTopo, nano: in.anyNano()}
	ro := co.renderOptions()
	w := bufio.NewWriter(env.stdout)
	dv := diffView{ro: ro, d: d, oldName: *oldPath, newName: *newPath, notes: notes}
	switch *format {
	case "json":
		err = writeJSON(w, dv.document())
	case "csv":
		err = writeCSV(w, diffCSVHeader, dv.rows())
	default:
		err = dv.text(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fail(env, cmd, err)
	}
	if in.problems(env, cmd) {
		return exitError
	}
	if d.PacketsNewlyDenied > 0 && *failOn != "never" {
		return exitFindings
	}
	return exitOK
}

// discardEnv lets the second topology call run without printing notices twice.
type discardEnv struct{}

func (discardEnv) env(e *runEnv) *runEnv {
	c := *e
	c.stderr = io.Discard
	return &c
}

// diffView renders a replay.Diff.
type diffView struct {
	ro               *replay.RenderOptions
	d                *replay.Diff
	oldName, newName string
	notes            []string
}

type diffChangeJSON struct {
	Conversation int                 `json:"conversation"`
	Proto        string              `json:"proto"`
	Client       replay.EndpointJSON `json:"client"`
	Server       replay.EndpointJSON `json:"server"`
	Leg          string              `json:"leg"`
	Change       string              `json:"change"`
	Packets      uint64              `json:"packets"`
	First        string              `json:"first"`
	FirstFrame   replay.FrameJSON    `json:"first_frame"`
	OldVerdict   string              `json:"old_verdict"`
	NewVerdict   string              `json:"new_verdict"`
	OldChecks    []replay.CheckJSON  `json:"old_checks"`
	NewChecks    []replay.CheckJSON  `json:"new_checks"`
	Explanation  string              `json:"explanation,omitempty"`
}

type diffSummaryJSON struct {
	Conversations       int    `json:"conversations"`
	Evaluated           uint64 `json:"evaluated"`
	NewlyDenied         int    `json:"conversations_newly_denied"`
	NewlyAllowed        int    `json:"conversations_newly_allowed"`
	PacketsNewlyDenied  uint64 `json:"packets_newly_denied"`
	PacketsNewlyAllowed uint64 `json:"packets_newly_allowed"`
	DeniedOld           uint64 `json:"denied_old"`
	DeniedNew           uint64 `json:"denied_new"`
}

type diffDocument struct {
	Old     string           `json:"old"`
	New     string           `json:"new"`
	Files   []string         `json:"files"`
	Summary diffSummaryJSON  `json:"summary"`
	Changes []diffChangeJSON `json:"changes"`
	Notes   []string         `json:"notes"`
}

func (v *diffView) summary() diffSummaryJSON {
	d := v.d
	return diffSummaryJSON{Conversations: d.New.Summary.Conversations, Evaluated: d.New.Summary.Evaluated,
		NewlyDenied: d.NewlyDenied, NewlyAllowed: d.NewlyAllowed, PacketsNewlyDenied: d.PacketsNewlyDenied,
		PacketsNewlyAllowed: d.PacketsNewlyAllowed, DeniedOld: d.Old.Summary.Denied, DeniedNew: d.New.Summary.Denied}
}

func (v *diffView) document() diffDocument {
	doc := diffDocument{Old: v.oldName, New: v.newName, Files: v.ro.Files, Summary: v.summary(), Changes: []diffChangeJSON{}, Notes: v.allNotes()}
	for i := range v.d.Changes {
		c := &v.d.Changes[i]
		cj := replay.NewConvJSONEndpoints(c.Conv)
		doc.Changes = append(doc.Changes, diffChangeJSON{Conversation: c.Conv.ID, Proto: flows.ProtoName(c.Conv.Proto),
			Client: cj[0], Server: cj[1], Leg: c.Role, Change: c.Kind, Packets: c.Packets, First: v.ro.FormatTime(c.First),
			FirstFrame: replay.FrameJSON{File: v.file(c.FirstFrame.File), Frame: c.FirstFrame.Frame},
			OldVerdict: string(c.OldVerdict), NewVerdict: string(c.NewVerdict),
			OldChecks: replay.ChecksJSON(c.Old), NewChecks: replay.ChecksJSON(c.New), Explanation: c.Explanation})
	}
	return doc
}

func (v *diffView) allNotes() []string {
	out := append([]string{}, v.notes...)
	return append(out, v.d.New.Notes...)
}

func (v *diffView) file(i int) string {
	if i >= 0 && i < len(v.ro.Files) {
		return v.ro.Files[i]
	}
	return ""
}

var diffCSVHeader = []string{"conversation", "proto", "client", "client_port", "server", "server_port", "leg", "change", "packets",
	"first", "first_file", "first_frame", "old_verdict", "old_checks", "new_verdict", "new_checks", "explanation"}

func (v *diffView) rows() [][]string {
	rows := make([][]string, 0, len(v.d.Changes))
	for i := range v.d.Changes {
		c := &v.d.Changes[i]
		cp, sp := "", ""
		if c.Conv.HasPorts() {
			cp, sp = strconv.Itoa(int(c.Conv.Client.Port)), strconv.Itoa(int(c.Conv.Server.Port))
		}
		rows = append(rows, []string{strconv.Itoa(c.Conv.ID), flows.ProtoName(c.Conv.Proto), c.Conv.Client.Addr.String(), cp,
			c.Conv.Server.Addr.String(), sp, c.Role, c.Kind, strconv.FormatUint(c.Packets, 10), v.ro.FormatTime(c.First),
			v.file(c.FirstFrame.File), strconv.FormatInt(c.FirstFrame.Frame, 10), string(c.OldVerdict), replay.ChecksText(c.Old, true),
			string(c.NewVerdict), replay.ChecksText(c.New, true), c.Explanation})
	}
	return rows
}

func (v *diffView) text(w io.Writer) error {
	var b strings.Builder
	s := v.summary()
	fmt.Fprintf(&b, "Diff: %s -> %s over %d conversations (%d IP packets evaluated)\n", v.oldName, v.newName, s.Conversations, s.Evaluated)
	fmt.Fprintf(&b, "Newly denied: %d conversations (%d packets); newly allowed: %d conversations (%d packets)\n",
		s.NewlyDenied, s.PacketsNewlyDenied, s.NewlyAllowed, s.PacketsNewlyAllowed)
	fmt.Fprintf(&b, "Denied packets: %d before, %d after\n", s.DeniedOld, s.DeniedNew)
	for _, kind := range []string{replay.NewlyDenied, replay.NewlyAllowed} {
		first := true
		for i := range v.d.Changes {
			c := &v.d.Changes[i]
			if c.Kind != kind {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s\n", strings.ToUpper(strings.ReplaceAll(kind, "-", " ")))
				first = false
			}
			ports := c.Conv.HasPorts()
			fmt.Fprintf(&b, "#%d %s %s -> %s, %s leg: %d packets, first at %s (%s frame %d)\n", c.Conv.ID, flows.ProtoName(c.Conv.Proto),
				hostPort(c.Conv.Client.Addr.String(), c.Conv.Client.Port, ports, c.Conv.Version == 6),
				hostPort(c.Conv.Server.Addr.String(), c.Conv.Server.Port, ports, c.Conv.Version == 6),
				c.Role, c.Packets, v.ro.FormatTime(c.First), v.file(c.FirstFrame.File), c.FirstFrame.Frame)
			fmt.Fprintf(&b, "  old: %s %s\n  new: %s %s\n", c.OldVerdict, replay.ChecksText(c.Old, true), c.NewVerdict, replay.ChecksText(c.New, true))
			if c.Explanation != "" {
				fmt.Fprintf(&b, "  %s\n", c.Explanation)
			}
		}
	}
	if n := v.allNotes(); len(n) > 0 {
		b.WriteString("\nNOTES\n")
		for _, s := range n {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func hostPort(addr string, port uint16, ports, v6 bool) string {
	if !ports {
		return addr
	}
	if v6 {
		addr = "[" + addr + "]"
	}
	return addr + ":" + strconv.Itoa(int(port))
}
