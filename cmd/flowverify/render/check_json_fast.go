package render

import (
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// appendCheckConvJSON appends the compact JSON object of one check
// conversation, byte for byte what an Encoder with SetEscapeHTML(false)
// produces for o.CheckConvJSON(cr) (without its newline), without
// reflection (check_json_fast_test.go compares both).
func (o *Options) appendCheckConvJSON(b []byte, cr *replay.ConvResult) []byte {
	return o.appendConvJSON(b, cr, &compactLayout)
}

// compactLayout is the compact layout, shared: a compact layout is only
// read (its caches and scratch serve the indented ones).
var compactLayout convLayout

// appendCheckConvJSONIndented appends the same object as the json
// document holds it: indented as json.Indent(prefix "    ", indent "  ")
// indents the compact object, written directly rather than indented after
// (check_json_fast_test.go compares both).
func (o *Options) appendCheckConvJSONIndented(b []byte, cr *replay.ConvResult) []byte {
	if o.indented == nil {
		o.indented = newConvLayout("    ", "  ")
	}
	return o.appendConvJSON(b, cr, o.indented)
}

// convLayout lays out the punctuation of a conversation's JSON: compact
// (in is nil) or indented, the object's members at depth 1. Values that
// come compact (endpoints, cached checks, the class) are indented by sub.
type convLayout struct {
	in      *jsonIndenter
	sub     [5]*jsonIndenter // sub[d] indents a compact value that starts at depth d
	scratch []byte
	// checks caches the indented checks (see appendLaidOutCheck).
	checks checkCache
}

// newConvLayout returns an indented layout.
func newConvLayout(prefix, indent string) *convLayout {
	l := &convLayout{in: newJSONIndenter(prefix, indent)}
	for d := range l.sub {
		l.sub[d] = newJSONIndenter(prefix+strings.Repeat(indent, d), indent)
	}
	return l
}

// key appends a member name at depth d, after a comma unless first.
func (l *convLayout) key(b []byte, d int, first bool, name string) []byte {
	if !first {
		b = append(b, ',')
	}
	if l.in != nil {
		b = l.in.newline(b, d)
	}
	b = append(b, '"')
	b = append(b, name...)
	if l.in != nil {
		return append(b, '"', ':', ' ')
	}
	return append(b, '"', ':')
}

// member is key with the name given as it is written compact, in
// quotes with its colon, after a comma unless it is an object's first
// member (`"id":`, `,"proto":`): compact, one copy of a constant (the
// members of every listed conversation pass here).
func (l *convLayout) member(b []byte, d int, lit string) []byte {
	if l.in == nil {
		return append(b, lit...)
	}
	return l.memberIndented(b, d, lit)
}

// memberIndented is member for an indented layout: the comma, the
// newline and indentation, the name and its colon, and a space.
func (l *convLayout) memberIndented(b []byte, d int, lit string) []byte {
	if lit[0] == ',' {
		b = append(b, ',')
		lit = lit[1:]
	}
	b = l.in.newline(b, d)
	return append(append(b, lit...), ' ')
}

// elem starts an array element at depth d, after a comma unless first.
func (l *convLayout) elem(b []byte, d int, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	if l.in != nil {
		b = l.in.newline(b, d)
	}
	return b
}

// close ends an object or array (c) whose members were at depth d+1;
// empty ones stay {} and [].
func (l *convLayout) close(b []byte, d int, empty bool, c byte) []byte {
	if l.in != nil && !empty {
		b = l.in.newline(b, d)
	}
	return append(b, c)
}

// value appends v, a compact JSON value written by render, starting at depth d.
func (l *convLayout) value(b []byte, d int, render func([]byte) []byte) []byte {
	if l.in == nil {
		return render(b)
	}
	l.scratch = render(l.scratch[:0])
	return l.sub[d].append(b, l.scratch)
}

// appendConvJSON appends the conversation object laid out by l.
func (o *Options) appendConvJSON(b []byte, cr *replay.ConvResult, l *convLayout) []byte {
	c := cr.Conv
	ports := c.HasPorts()
	b = append(b, '{')
	b = l.member(b, 1, `"id":`)
	b = strconv.AppendInt(b, int64(c.ID), 10)
	b = l.member(b, 1, `,"proto":`)
	b = appendJSONString(b, flows.ProtoName(c.Proto), false)
	b = l.member(b, 1, `,"client":`)
	b = l.appendLaidOutEndpoint(b, 1, c.Client, ports)
	b = l.member(b, 1, `,"server":`)
	b = l.appendLaidOutEndpoint(b, 1, c.Server, ports)
	b = l.member(b, 1, `,"state":`)
	b = appendJSONString(b, string(c.State), false)
	b = l.member(b, 1, `,"evidence":`)
	b = appendJSONString(b, string(c.Evidence), false)
	b = l.member(b, 1, `,"confidence":`)
	b = appendJSONString(b, string(c.Confidence), false)
	b = l.member(b, 1, `,"status":`)
	b = appendJSONString(b, string(cr.Status), false)
	b = l.member(b, 1, `,"request":`)
	b = o.appendLegJSON(b, &cr.Request, ports, l)
	b = l.member(b, 1, `,"response":`)
	b = o.appendLegJSON(b, &cr.Response, ports, l)
	b = l.member(b, 1, `,"explanations":`)
	b = append(b, '[')
	ss := o.sentences(cr)
	for i, s := range ss {
		b = l.elem(b, 2, i == 0)
		b = appendJSONString(b, s, false)
	}
	b = l.close(b, 1, len(ss) == 0, ']')
	b = l.member(b, 1, `,"fixes":`)
	b = append(b, '[')
	for i, f := range cr.Fixes {
		b = l.elem(b, 2, i == 0)
		b = strconv.AppendInt(b, int64(f), 10)
	}
	b = l.close(b, 1, len(cr.Fixes) == 0, ']')
	if cj := o.classJSON(cr.Class, cr.Conv); cj != nil {
		b = l.member(b, 1, `,"class":`)
		b = l.value(b, 1, func(b []byte) []byte { return appendClassJSON(b, cj) })
	}
	return l.close(b, 0, false, '}')
}

// appendCount appends n in decimal, as strconv.AppendUint does: a leg's
// counters are mostly 0 or 1 (a flood's conversations hold one packet),
// written as one byte without a call.
func appendCount(b []byte, n uint64) []byte {
	if n < 10 {
		return append(b, byte('0'+n))
	}
	return strconv.AppendUint(b, n, 10)
}

// appendClassJSON appends j as encoding/json writes a ClassJSON (rule
// and acl omitted when empty).
func appendClassJSON(b []byte, j *ClassJSON) []byte {
	b = append(b, `{"class":`...)
	b = appendJSONString(b, j.Class, false)
	b = append(b, `,"cause":`...)
	b = appendJSONString(b, j.Cause, false)
	if j.Rule != 0 {
		b = append(b, `,"rule":`...)
		b = strconv.AppendInt(b, int64(j.Rule), 10)
	}
	if j.ACL != "" {
		b = append(b, `,"acl":`...)
		b = appendJSONString(b, j.ACL, false)
	}
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, j.Detail, false)
	return append(b, '}')
}

// appendLegJSON appends o.legJSON(lg, ports) as encoding/json would,
// laid out by l (its members at depth 2).
func (o *Options) appendLegJSON(b []byte, lg *replay.Leg, ports bool, l *convLayout) []byte {
	b = append(b, '{')
	b = l.member(b, 2, `"from":`)
	b = l.appendLaidOutEndpoint(b, 2, lg.From, ports)
	b = l.member(b, 2, `,"to":`)
	b = l.appendLaidOutEndpoint(b, 2, lg.To, ports)
	b = l.member(b, 2, `,"verdict":`)
	if lg.Verdict == "" {
		b = append(b, `"none"`...)
	} else {
		b = appendJSONString(b, string(lg.Verdict), false)
	}
	if lg.Reason != "" {
		b = l.member(b, 2, `,"reason":`)
		b = appendJSONString(b, lg.Reason, false)
	}
	b = l.member(b, 2, `,"checks":`)
	b = append(b, '[')
	for i := range lg.Checks {
		b = l.elem(b, 3, i == 0)
		b = o.appendLaidOutCheck(b, l, 3, &lg.Checks[i])
	}
	b = l.close(b, 2, len(lg.Checks) == 0, ']')
	for _, m := range [...]struct {
		lit string
		n   uint64
	}{{`,"packets":`, lg.Packets}, {`,"allowed":`, lg.Allowed}, {`,"denied":`, lg.Denied}, {`,"exempt":`, lg.Exempt},
		{`,"not_filtered":`, lg.NotFiltered}, {`,"uncertain":`, lg.Uncertain}, {`,"icmp_errors":`, lg.ICMPErrors}} {
		b = l.member(b, 2, m.lit)
		b = appendCount(b, m.n)
	}
	b = o.appendTimeMember(b, l, `,"first":`, lg.First)
	if lg.Packets > 0 {
		b = o.appendFrameMember(b, l, `,"first_frame":`, lg.FirstFrame)
	}
	b = o.appendTimeMember(b, l, `,"first_denied":`, lg.FirstDenied)
	if lg.Denied > 0 {
		b = o.appendFrameMember(b, l, `,"first_denied_frame":`, lg.FirstDeniedFrame)
	}
	return l.close(b, 1, false, '}')
}

// appendTimeMember appends the leg member lit (see convLayout.member) and
// t, or nothing for the zero time (omitempty).
func (o *Options) appendTimeMember(b []byte, l *convLayout, lit string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendRFC3339JSON(l.member(b, 2, lit), t, o.Nano)
}

// appendFrameMember appends the leg member lit (see convLayout.member)
// and a FrameJSON.
func (o *Options) appendFrameMember(b []byte, l *convLayout, lit string, f flows.FrameRef) []byte {
	b = l.member(b, 2, lit)
	b = append(b, '{')
	b = l.member(b, 3, `"file":`)
	b = o.appendFileJSON(b, f.File)
	b = l.member(b, 3, `,"frame":`)
	b = strconv.AppendInt(b, f.Frame, 10)
	return l.close(b, 2, false, '}')
}

// appendFileJSON appends the name of file i (o.file) as a JSON string,
// escaped once per file.
func (o *Options) appendFileJSON(b []byte, i int) []byte {
	if i < 0 || i >= len(o.Files) {
		return append(b, `""`...)
	}
	if o.fileJSON == nil {
		o.fileJSON = make([][]byte, len(o.Files))
	}
	if o.fileJSON[i] == nil {
		o.fileJSON[i] = appendJSONString(nil, o.Files[i], false)
	}
	return append(b, o.fileJSON[i]...)
}

// maxCachedChecks bounds the check cache (distinct rules × subnets ×
// directions: a few hundred in practice).
const maxCachedChecks = 1 << 14

// checkCache remembers the JSON of each distinct check (every
// conversation of a capture meets the same few rules).
type checkCache struct {
	// last are the checks met last: comparing is cheaper than hashing strings.
	last [4]recentCheck
	m    map[replay.Check][]byte
}

// recentCheck is one entry of checkCache.last.
type recentCheck struct {
	check replay.Check
	json  []byte
}

// get returns the JSON remembered for c.
func (cc *checkCache) get(c *replay.Check) ([]byte, bool) {
	for i := range cc.last {
		if l := &cc.last[i]; l.json != nil && l.check == *c {
			return l.json, true
		}
	}
	js, ok := cc.m[*c]
	if ok {
		cc.remember(c, js)
	}
	return js, ok
}

// put remembers js (copied) as the JSON of c.
func (cc *checkCache) put(c *replay.Check, js []byte) {
	js = append([]byte(nil), js...)
	if cc.m == nil {
		cc.m = map[replay.Check][]byte{}
	}
	if len(cc.m) < maxCachedChecks {
		cc.m[*c] = js
	}
	cc.remember(c, js)
}

// remember makes c the most recent check.
func (cc *checkCache) remember(c *replay.Check, js []byte) {
	copy(cc.last[1:], cc.last[:len(cc.last)-1])
	cc.last[0] = recentCheck{*c, js}
}

// appendCachedCheckJSON is appendCheckJSON, remembering each distinct
// check's bytes.
func (o *Options) appendCachedCheckJSON(b []byte, c *replay.Check) []byte {
	if js, ok := o.checks.get(c); ok {
		return append(b, js...)
	}
	start := len(b)
	b = appendCheckJSON(b, c)
	o.checks.put(c, b[start:])
	return b
}

// appendLaidOutCheck appends check c as an array element at depth d laid
// out by l, remembering the indented bytes too (l's checks hold those of
// one depth only: checks appear at one depth).
func (o *Options) appendLaidOutCheck(b []byte, l *convLayout, d int, c *replay.Check) []byte {
	if l.in == nil {
		return o.appendCachedCheckJSON(b, c)
	}
	if js, ok := l.checks.get(c); ok {
		return append(b, js...)
	}
	start := len(b)
	b = l.value(b, d, func(b []byte) []byte { return o.appendCachedCheckJSON(b, c) })
	l.checks.put(c, b[start:])
	return b
}

// appendLaidOutEndpoint appends e (as appendEndpointJSON writes it) as a
// value at depth d laid out by l: indented directly, not compact then
// indented.
func (l *convLayout) appendLaidOutEndpoint(b []byte, d int, e flows.Endpoint, ports bool) []byte {
	if l.in == nil {
		return appendEndpointJSON(b, e, ports, false)
	}
	// The address as appendEndpointJSON writes it: between `{"addr":` and `}`.
	l.scratch = appendEndpointJSON(l.scratch[:0], e, false, false)
	b = append(b, '{')
	b = l.member(b, d+1, `"addr":`)
	b = append(b, l.scratch[len(`{"addr":`):len(l.scratch)-1]...)
	if ports {
		b = l.member(b, d+1, `,"port":`)
		b = strconv.AppendUint(b, uint64(e.Port), 10)
	}
	return l.close(b, d, false, '}')
}

// appendCheckJSON appends NewCheckJSON(c) as encoding/json would.
func appendCheckJSON(b []byte, c *replay.Check) []byte {
	j := NewCheckJSON(c)
	b = append(b, `{"acl":`...)
	b = appendJSONString(b, j.ACL, false)
	b = append(b, `,"subnet":`...)
	b = appendJSONString(b, j.Subnet, false)
	if j.SubnetID != "" {
		b = append(b, `,"subnet_id":`...)
		b = appendJSONString(b, j.SubnetID, false)
	}
	b = append(b, `,"direction":`...)
	b = appendJSONString(b, j.Direction, false)
	b = append(b, `,"rule":`...)
	b = strconv.AppendInt(b, int64(j.Rule), 10)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, j.Action, false)
	if j.RuleText != "" {
		b = append(b, `,"rule_text":`...)
		b = appendJSONString(b, j.RuleText, false)
	}
	if j.Uncertain {
		b = append(b, `,"uncertain":true`...)
	}
	return append(b, '}')
}
