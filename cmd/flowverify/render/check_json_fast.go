package render

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// appendCheckConvJSON appends the compact JSON object of one check
// conversation, byte for byte what an Encoder with SetEscapeHTML(false)
// produces for o.CheckConvJSON(cr) (without its newline), without
// reflection (check_json_fast_test.go compares both).
func (o *Options) appendCheckConvJSON(b []byte, cr *replay.ConvResult) []byte {
	c := cr.Conv
	ports := c.HasPorts()
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(c.ID), 10)
	b = append(b, `,"proto":`...)
	b = appendJSONString(b, flows.ProtoName(c.Proto), false)
	b = append(b, `,"client":`...)
	b = appendEndpointJSON(b, c.Client, ports, false)
	b = append(b, `,"server":`...)
	b = appendEndpointJSON(b, c.Server, ports, false)
	b = append(b, `,"state":`...)
	b = appendJSONString(b, string(c.State), false)
	b = append(b, `,"evidence":`...)
	b = appendJSONString(b, string(c.Evidence), false)
	b = append(b, `,"confidence":`...)
	b = appendJSONString(b, string(c.Confidence), false)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(cr.Status), false)
	b = append(b, `,"request":`...)
	b = o.appendLegJSON(b, &cr.Request, ports)
	b = append(b, `,"response":`...)
	b = o.appendLegJSON(b, &cr.Response, ports)
	b = append(b, `,"explanations":[`...)
	for i, s := range o.sentences(cr) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s, false)
	}
	b = append(b, `],"fixes":[`...)
	for i, f := range cr.Fixes {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(f), 10)
	}
	b = append(b, ']')
	if cj := o.classJSON(cr.Class, cr.Conv); cj != nil {
		// Only denied conversations have a class: encoding/json is cheap
		// enough there, and keeps the shape in one place (ClassJSON).
		b = append(b, `,"class":`...)
		b = appendMarshalled(b, cj)
	}
	return append(b, '}')
}

// appendMarshalled appends v as encoding/json writes it without HTML
// escaping (as the check encoders are set up).
func appendMarshalled(b []byte, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return append(b, "null"...)
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendLegJSON appends o.legJSON(l, ports) as encoding/json would.
func (o *Options) appendLegJSON(b []byte, l *replay.Leg, ports bool) []byte {
	b = append(b, `{"from":`...)
	b = appendEndpointJSON(b, l.From, ports, false)
	b = append(b, `,"to":`...)
	b = appendEndpointJSON(b, l.To, ports, false)
	b = append(b, `,"verdict":`...)
	if l.Verdict == "" {
		b = append(b, `"none"`...)
	} else {
		b = appendJSONString(b, string(l.Verdict), false)
	}
	if l.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, l.Reason, false)
	}
	b = append(b, `,"checks":[`...)
	for i := range l.Checks {
		if i > 0 {
			b = append(b, ',')
		}
		b = o.appendCachedCheckJSON(b, &l.Checks[i])
	}
	b = append(b, `],"packets":`...)
	b = strconv.AppendUint(b, l.Packets, 10)
	b = append(b, `,"allowed":`...)
	b = strconv.AppendUint(b, l.Allowed, 10)
	b = append(b, `,"denied":`...)
	b = strconv.AppendUint(b, l.Denied, 10)
	b = append(b, `,"exempt":`...)
	b = strconv.AppendUint(b, l.Exempt, 10)
	b = append(b, `,"not_filtered":`...)
	b = strconv.AppendUint(b, l.NotFiltered, 10)
	b = append(b, `,"uncertain":`...)
	b = strconv.AppendUint(b, l.Uncertain, 10)
	b = append(b, `,"icmp_errors":`...)
	b = strconv.AppendUint(b, l.ICMPErrors, 10)
	b = o.appendTimeMember(b, `,"first":`, l.First)
	if l.Packets > 0 {
		b = o.appendFrameMember(b, `,"first_frame":`, l.FirstFrame)
	}
	b = o.appendTimeMember(b, `,"first_denied":`, l.FirstDenied)
	if l.Denied > 0 {
		b = o.appendFrameMember(b, `,"first_denied_frame":`, l.FirstDeniedFrame)
	}
	return append(b, '}')
}

// appendTimeMember appends name and t, or nothing for the zero time (omitempty).
func (o *Options) appendTimeMember(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendRFC3339JSON(append(b, name...), t, o.Nano)
}

// appendFrameMember appends name and a FrameJSON.
func (o *Options) appendFrameMember(b []byte, name string, f flows.FrameRef) []byte {
	b = append(b, name...)
	b = append(b, `{"file":`...)
	b = appendJSONString(b, o.file(f.File), false)
	b = append(b, `,"frame":`...)
	b = strconv.AppendInt(b, f.Frame, 10)
	return append(b, '}')
}

// maxCachedChecks bounds the check cache (distinct rules × subnets ×
// directions: a few hundred in practice).
const maxCachedChecks = 1 << 14

// appendCachedCheckJSON is appendCheckJSON, remembering each distinct
// check's bytes (every conversation of a capture meets the same few rules).
func (o *Options) appendCachedCheckJSON(b []byte, c *replay.Check) []byte {
	// The last checks met first: comparing is cheaper than hashing strings.
	for i := range o.lastChecks {
		if l := &o.lastChecks[i]; l.json != nil && l.check == *c {
			return append(b, l.json...)
		}
	}
	if js, ok := o.checkJSON[*c]; ok {
		o.rememberCheck(c, js)
		return append(b, js...)
	}
	start := len(b)
	b = appendCheckJSON(b, c)
	if o.checkJSON == nil {
		o.checkJSON = map[replay.Check][]byte{}
	}
	js := append([]byte(nil), b[start:]...)
	if len(o.checkJSON) < maxCachedChecks {
		o.checkJSON[*c] = js
	}
	o.rememberCheck(c, js)
	return b
}

// recentCheck is one entry of Options.lastChecks.
type recentCheck struct {
	check replay.Check
	json  []byte
}

// rememberCheck makes c the most recent check.
func (o *Options) rememberCheck(c *replay.Check, js []byte) {
	copy(o.lastChecks[1:], o.lastChecks[:len(o.lastChecks)-1])
	o.lastChecks[0] = recentCheck{*c, js}
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
