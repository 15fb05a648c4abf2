// Package text reads and writes flowverify's native one-rule-a-line NACL
// format:
//
//	# comment lines and trailing "# comments" are allowed
//	acl acl-0123 name web-server subnets subnet-a,subnet-b
//	in  100 allow tcp    0.0.0.0/0      22
//	in  140 allow icmp   0.0.0.0/0      3:4
//	out 100 allow all    0.0.0.0/0
//
// Fields: DIRECTION RULE-NUMBER ACTION PROTOCOL CIDR [PORTS | ICMP
// TYPE[:CODE]]. An "acl ID [name NAME] [vpc VPC-ID] [subnets A,B]
// [default]" line starts a new ACL; entries before any acl line belong to
// an ACL named after the file.
package text

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/diag"
)

// Parse reads every ACL in data. name is used in positions and messages.
// It returns what it could read even when there are errors; the error
// summarises the error diagnostics, all of which are in the returned
// slice. Parse checks syntax and field values; rule-number ranges and
// duplicates are left to nacl.Validate (aclfile.Read runs it).
func Parse(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	p := &parser{name: name, ids: map[string]bool{}}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	for i, l := range bytes.Split(data, []byte("\n")) {
		p.line(i+1, string(l))
	}
	return p.acls, p.diags, diag.Summary(p.diags)
}

// parser holds the state of one Parse call.
type parser struct {
	name  string
	acls  []*nacl.ACL
	cur   *nacl.ACL
	ids   map[string]bool
	diags []nacl.Diagnostic
}

func (p *parser) diag(sev nacl.Severity, line, col int, field, format string, args ...any) {
	p.diags = append(p.diags, nacl.Diagnostic{
		Severity: sev,
		Pos:      nacl.Pos{File: p.name, Line: line, Col: col},
		Field:    field,
		Msg:      fmt.Sprintf(format, args...),
	})
}

// line parses one line.
func (p *parser) line(n int, text string) {
	toks, comment, err := splitLine(text)
	if err != nil {
		p.diag(nacl.SevError, n, 1, "", "%v", err)
		return
	}
	if len(toks) == 0 {
		return
	}
	if strings.EqualFold(toks[0].s, "acl") {
		p.header(n, toks)
		return
	}
	p.entry(n, toks, comment)
}

// defaultID names the ACL of entries that precede any acl line.
func (p *parser) defaultID() string {
	base := filepath.Base(p.name)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if base == "" || base == "." || base == "/" {
		base = "acl"
	}
	return base
}

// header parses "acl ID [name N] [vpc V] [subnets A,B] [default]".
func (p *parser) header(n int, toks []token) {
	if len(toks) < 2 {
		p.diag(nacl.SevError, n, toks[0].col, "acl", "acl line needs an ID: acl ID [name NAME] [vpc VPC-ID] [subnets A,B] [default]")
		return
	}
	acl := &nacl.ACL{ID: toks[1].s, Pos: nacl.Pos{File: p.name, Line: n, Col: toks[0].col}}
	if p.ids[acl.ID] {
		p.diag(nacl.SevError, n, toks[1].col, "acl", "ACL %q defined twice in this file", acl.ID)
	}
	p.ids[acl.ID] = true
	for i := 2; i < len(toks); i++ {
		key := strings.ToLower(toks[i].s)
		if key == "default" {
			acl.IsDefault = true
			continue
		}
		if key != "name" && key != "vpc" && key != "subnets" {
			p.diag(nacl.SevError, n, toks[i].col, "acl", "unknown acl attribute %q (want name, vpc, subnets or default)", toks[i].s)
			continue
		}
		if i+1 >= len(toks) {
			p.diag(nacl.SevError, n, toks[i].col, key, "%s needs a value", key)
			break
		}
		i++
		v := toks[i].s
		switch key {
		case "name":
			acl.Name = v
		case "vpc":
			acl.VPCID = v
		case "subnets":
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					acl.Subnets = append(acl.Subnets, s)
				}
			}
		}
	}
	p.acls = append(p.acls, acl)
	p.cur = acl
}

// entry parses "DIR NUM ACTION PROTO CIDR [PORTS|TYPE[:CODE]]".
func (p *parser) entry(n int, toks []token, comment string) {
	const usage = "want DIRECTION RULE-NUMBER ACTION PROTOCOL CIDR [PORTS | ICMP-TYPE[:CODE]]"
	fields := []string{"direction", "rule number", "action", "protocol", "cidr"}
	if len(toks) < 5 {
		p.diag(nacl.SevError, n, toks[0].col, fields[len(toks)], "missing %s: %s", fields[len(toks)], usage)
		return
	}
	if len(toks) > 6 {
		p.diag(nacl.SevError, n, toks[6].col, "", "unexpected %q after the rule: %s", toks[6].s, usage)
		return
	}
	e := nacl.Entry{ICMPType: -1, ICMPCode: -1, Comment: comment, Pos: nacl.Pos{File: p.name, Line: n, Col: toks[0].col}}
	ok := true
	bad := func(i int, err error) {
		p.diag(nacl.SevError, n, toks[i].col, fields[i], "%v", err)
		ok = false
	}
	var err error
	if e.Direction, err = nacl.ParseDirection(toks[0].s); err != nil {
		bad(0, err)
	}
	if e.RuleNumber, err = strconv.Atoi(toks[1].s); err != nil {
		bad(1, fmt.Errorf("rule number %q is not an integer", toks[1].s))
	}
	if e.Action, err = nacl.ParseAction(toks[2].s); err != nil {
		bad(2, err)
	}
	if e.Protocol, err = nacl.ParseProtocol(toks[3].s); err != nil {
		bad(3, err)
	}
	var warn string
	if e.CIDR, warn, err = nacl.ParseCIDR(toks[4].s); err != nil {
		bad(4, err)
	} else if warn != "" {
		p.diag(nacl.SevWarning, n, toks[4].col, "cidr", "%s", warn)
	}
	if !ok {
		return
	}
	p.extra(n, toks, &e, &ok)
	if !ok {
		return
	}
	if nacl.IsDefaultRuleNumber(e.RuleNumber) {
		if err := nacl.CheckDefaultEntry(&e); err != nil {
			p.diag(nacl.SevError, n, toks[1].col, "rule number", "%v", err)
		}
		return // implicit: dropped
	}
	e.Normalize()
	if p.cur == nil {
		p.cur = &nacl.ACL{ID: p.defaultID(), Pos: nacl.Pos{File: p.name, Line: n, Col: toks[0].col}}
		p.ids[p.cur.ID] = true
		p.acls = append(p.acls, p.cur)
	}
	p.cur.Entries = append(p.cur.Entries, e)
}

// extra parses the optional sixth field: ports or ICMP type[:code].
func (p *parser) extra(n int, toks []token, e *nacl.Entry, ok *bool) {
	has := len(toks) == 6
	switch {
	case e.UsesPorts():
		if !has {
			p.diag(nacl.SevError, n, toks[4].col+len(toks[4].s), "ports", "%s needs a port range (N or N-M; 0-65535 for all ports)", nacl.ProtocolName(e.Protocol))
			*ok = false
			return
		}
		r, err := nacl.ParsePorts(toks[5].s)
		if err != nil {
			p.diag(nacl.SevError, n, toks[5].col, "ports", "%v", err)
			*ok = false
			return
		}
		e.Ports = r
	case e.UsesICMP():
		if !has {
			return // any type, any code
		}
		t, c, err := parseICMP(toks[5].s)
		if err != nil {
			p.diag(nacl.SevError, n, toks[5].col, "icmp", "%v", err)
			*ok = false
			return
		}
		e.ICMPType, e.ICMPCode = t, c
		if t == -1 && c != -1 {
			p.diag(nacl.SevWarning, n, toks[5].col, "icmp", "code %d is ignored when type is -1 (all types)", c)
		}
	case has:
		what := "ports"
		if e.Protocol == nacl.ProtoICMPv6 {
			what = "the ICMP type/code"
		}
		p.diag(nacl.SevWarning, n, toks[5].col, "ports", "%q ignored: AWS ignores %s for protocol %s with CIDR %s",
			toks[5].s, what, nacl.ProtocolName(e.Protocol), e.CIDR)
	}
}

// parseICMP parses "TYPE" or "TYPE:CODE"; -1 means any.
func parseICMP(s string) (int, int, error) {
	ts, cs, hasCode := strings.Cut(s, ":")
	t, err := strconv.Atoi(ts)
	if err != nil {
		return 0, 0, fmt.Errorf("bad ICMP type %q (want TYPE[:CODE], -1 = any)", s)
	}
	if err := nacl.CheckICMP("type", t); err != nil {
		return 0, 0, err
	}
	c := -1
	if hasCode {
		if c, err = strconv.Atoi(cs); err != nil {
			return 0, 0, fmt.Errorf("bad ICMP code %q (want TYPE[:CODE], -1 = any)", s)
		}
		if err := nacl.CheckICMP("code", c); err != nil {
			return 0, 0, err
		}
	}
	return t, c, nil
}
