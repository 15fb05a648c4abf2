// Package where parses and evaluates report filters: a small expression
// over conversations in the words tcpdump users already type, which needs
// no libpcap (unlike --filter, a BPF filter applied to the capture in the
// pcap build):
//
//	[src|dst] host ADDR        an endpoint's address is ADDR
//	[src|dst] net CIDR         an endpoint's address is in CIDR (net ADDR: /32 or /128)
//	[src|dst] port N           a TCP/UDP endpoint's port is N
//	[src|dst] portrange A-B    a TCP/UDP endpoint's port is in A..B
//	tcp | udp | icmp | icmp6   the protocol (icmp6 also spelled icmpv6)
//	ip | ip6                   the IP version
//	not E, !E, E and F, E && F, E or F, E || F, ( E )
//
// src is the conversation's client (the side that started it) and dst its
// server; without src or dst either endpoint matches. As in tcpdump, not
// binds tighter than and, and tighter than or; "tcp port 80" is
// "tcp and port 80"; and a bare value after and/or repeats the last
// qualifiers ("port 80 or 443", "host 10.0.0.1 or 10.0.0.2").
package where

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
)

// MaxLen bounds the expression's length, MaxDepth its nesting.
const (
	MaxLen   = 4096
	MaxDepth = 64
)

// Expr is a parsed filter.
type Expr struct {
	n    node
	text string
}

// String returns the expression as given.
func (e *Expr) String() string { return e.text }

// Match reports whether conversation c (which needs Proto, Version,
// Client and Server) matches.
func (e *Expr) Match(c *flows.Conversation) bool { return e.n.match(c) }

// Error is a parse error at a 1-based column of the expression.
type Error struct {
	Column int
	Reason string
}

// Error formats "column N: REASON".
func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Column, e.Reason) }

type node interface {
	match(c *flows.Conversation) bool
}

// Dir selects the endpoints a primitive looks at.
type dir uint8

const (
	dirAny dir = iota
	dirSrc
	dirDst
)

// endpoints returns the endpoints d selects.
func (d dir) endpoints(c *flows.Conversation) []flows.Endpoint {
	switch d {
	case dirSrc:
		return []flows.Endpoint{c.Client}
	case dirDst:
		return []flows.Endpoint{c.Server}
	}
	return []flows.Endpoint{c.Client, c.Server}
}

type (
	notNode struct{ x node }
	andNode struct{ x, y node }
	orNode  struct{ x, y node }
	// netNode matches an endpoint address in a prefix (host: a single address).
	netNode struct {
		d dir
		p netip.Prefix
	}
	portNode struct {
		d        dir
		from, to uint16
	}
	protoNode   struct{ proto uint8 }
	versionNode struct{ v uint8 }
)

func (n notNode) match(c *flows.Conversation) bool     { return !n.x.match(c) }
func (n andNode) match(c *flows.Conversation) bool     { return n.x.match(c) && n.y.match(c) }
func (n orNode) match(c *flows.Conversation) bool      { return n.x.match(c) || n.y.match(c) }
func (n protoNode) match(c *flows.Conversation) bool   { return c.Proto == n.proto }
func (n versionNode) match(c *flows.Conversation) bool { return c.Version == n.v }

func (n netNode) match(c *flows.Conversation) bool {
	for _, e := range n.d.endpoints(c) {
		if n.p.Contains(e.Addr.Unmap()) {
			return true
		}
	}
	return false
}

func (n portNode) match(c *flows.Conversation) bool {
	if !c.HasPorts() {
		return false
	}
	for _, e := range n.d.endpoints(c) {
		if e.Port >= n.from && e.Port <= n.to {
			return true
		}
	}
	return false
}

// token is one word of the expression and its 1-based column.
type token struct {
	s   string
	col int
}

// lex splits the expression into words, parentheses and operators.
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			out = append(out, token{s[i : i+1], i + 1})
			i++
		case c == '!':
			out = append(out, token{"not", i + 1})
			i++
		case c == '&' || c == '|':
			if i+1 >= len(s) || s[i+1] != c {
				return nil, &Error{i + 1, fmt.Sprintf("%q: write %c%c (or and/or)", c, c, c)}
			}
			op := "and"
			if c == '|' {
				op = "or"
			}
			out = append(out, token{op, i + 1})
			i += 2
		case c > ' ' && c < 0x7f:
			j := i
			for j < len(s) && s[j] > ' ' && s[j] < 0x7f && !strings.ContainsRune("()!&|", rune(s[j])) {
				j++
			}
			out = append(out, token{strings.ToLower(s[i:j]), i + 1})
			i = j
		default:
			return nil, &Error{i + 1, fmt.Sprintf("unexpected character %q", rune(c))}
		}
	}
	return out, nil
}

// parser is a recursive-descent parser over the tokens:
//
//	or    = and { "or" and }
//	and   = unary { "and" unary }
//	unary = "not" unary | "(" or ")" | primitive
type parser struct {
	toks  []token
	i     int
	end   int // column after the last character
	depth int
	// last are the qualifiers of the previous primitive, for a bare value.
	last struct {
		d    dir
		kind string
		set  bool
	}
}

// Parse parses a filter expression.
func Parse(s string) (*Expr, error) {
	if len(s) > MaxLen {
		return nil, &Error{MaxLen + 1, fmt.Sprintf("expression longer than %d bytes", MaxLen)}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, &Error{1, "empty expression"}
	}
	p := &parser{toks: toks, end: len(s) + 1}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		return nil, &Error{t.col, fmt.Sprintf("unexpected %q: want and, or or the end", t.s)}
	}
	return &Expr{n: n, text: s}, nil
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{col: p.end}, false
}

func (p *parser) next() (token, bool) {
	t, ok := p.peek()
	if ok {
		p.i++
	}
	return t, ok
}

func (p *parser) or() (node, error) {
	return p.binary("or", p.and, func(x, y node) node { return orNode{x, y} })
}

func (p *parser) and() (node, error) {
	return p.binary("and", p.unary, func(x, y node) node { return andNode{x, y} })
}

// binary parses operand { op operand }, left-associative.
func (p *parser) binary(op string, operand func() (node, error), join func(x, y node) node) (node, error) {
	x, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		if t, ok := p.peek(); !ok || t.s != op {
			return x, nil
		}
		p.i++
		y, err := operand()
		if err != nil {
			return nil, err
		}
		x = join(x, y)
	}
}

func (p *parser) unary() (node, error) {
	t, ok := p.next()
	if !ok {
		return nil, &Error{t.col, "expression ends early: want a primitive (host, net, port, portrange, tcp, udp, icmp, icmp6, ip, ip6), not or ("}
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, &Error{t.col, fmt.Sprintf("nested more than %d deep", MaxDepth)}
	}
	switch t.s {
	case "not":
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	case "(":
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		c, ok := p.next()
		if !ok || c.s != ")" {
			return nil, &Error{c.col, fmt.Sprintf("missing ) for the ( at column %d", t.col)}
		}
		return x, nil
	}
	p.i--
	return p.primitive()
}

// primitive parses [src|dst] KIND VALUE, a protocol or version word, or
// a bare value repeating the previous qualifiers.
func (p *parser) primitive() (node, error) {
	t, _ := p.next()
	switch t.s {
	case "tcp", "udp", "icmp", "icmp6", "icmpv6":
		proto := map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "icmpv6": 58}[t.s]
		var n node = protoNode{proto}
		// "tcp port 80": the protocol qualifies the primitive after it.
		if q, ok := p.peek(); ok && (q.s == "port" || q.s == "portrange" || q.s == "src" || q.s == "dst") {
			y, err := p.primitive()
			if err != nil {
				return nil, err
			}
			n = andNode{n, y}
		}
		return n, nil
	case "ip":
		return versionNode{4}, nil
	case "ip6":
		return versionNode{6}, nil
	}
	d := dirAny
	switch t.s {
	case "src":
		d = dirSrc
	case "dst":
		d = dirDst
	}
	kindTok := t
	if d != dirAny {
		var ok bool
		if kindTok, ok = p.next(); !ok {
			return nil, &Error{kindTok.col, "expression ends after " + t.s + ": want host, net, port or portrange"}
		}
	}
	switch kindTok.s {
	case "host", "net", "port", "portrange":
	default:
		if d == dirAny && p.last.set && startsValue(kindTok.s) {
			// A bare value: "port 80 or 443".
			p.i--
			return p.value(p.last.d, p.last.kind)
		}
		if d != dirAny {
			return nil, &Error{kindTok.col, fmt.Sprintf("unexpected %q after %s: want host, net, port or portrange", kindTok.s, t.s)}
		}
		return nil, &Error{kindTok.col, fmt.Sprintf("unknown word %q: want host, net, port, portrange, src, dst, tcp, udp, icmp, icmp6, ip, ip6, not or (", kindTok.s)}
	}
	p.last.d, p.last.kind, p.last.set = d, kindTok.s, true
	return p.value(d, kindTok.s)
}

// startsValue reports whether s looks like an address, prefix or port.
func startsValue(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || strings.ContainsRune(s, ':'))
}

// value parses the value of a host, net, port or portrange primitive.
func (p *parser) value(d dir, kind string) (node, error) {
	v, ok := p.next()
	if !ok || v.s == "(" || v.s == ")" || v.s == "and" || v.s == "or" || v.s == "not" {
		return nil, &Error{v.col, "want a value after " + kind}
	}
	switch kind {
	case "host":
		pf, ok := hostPrefix(v.s)
		if !ok {
			return nil, &Error{v.col, fmt.Sprintf("host %q: want an IPv4 or IPv6 address (names are not resolved)", v.s)}
		}
		return netNode{d, pf}, nil
	case "net":
		if pf, err := netip.ParsePrefix(v.s); err == nil {
			if pf.Masked() != pf {
				return nil, &Error{v.col, fmt.Sprintf("net %s has host bits set (did you mean %s?)", v.s, pf.Masked())}
			}
			if pf.Addr().Is4In6() {
				return nil, &Error{v.col, fmt.Sprintf("net %s: write IPv4 prefixes as a.b.c.d/n", v.s)}
			}
			return netNode{d, pf}, nil
		}
		pf, ok := hostPrefix(v.s)
		if !ok {
			return nil, &Error{v.col, fmt.Sprintf("net %q: want a prefix such as 10.0.0.0/8 or 2001:db8::/32", v.s)}
		}
		return netNode{d, pf}, nil
	case "port":
		n, err := port(v.s)
		if err != nil {
			return nil, &Error{v.col, "port " + err.Error()}
		}
		return portNode{d, n, n}, nil
	}
	from, to, ok := strings.Cut(v.s, "-")
	if !ok {
		return nil, &Error{v.col, fmt.Sprintf("portrange %q: want FROM-TO such as 1024-65535", v.s)}
	}
	a, err := port(from)
	if err != nil {
		return nil, &Error{v.col, "portrange " + err.Error()}
	}
	b, err := port(to)
	if err != nil {
		return nil, &Error{v.col, "portrange " + err.Error()}
	}
	if a > b {
		return nil, &Error{v.col, fmt.Sprintf("portrange %s: %d is above %d", v.s, a, b)}
	}
	return portNode{d, a, b}, nil
}

// hostPrefix parses an address (without zone) as a one-address prefix.
func hostPrefix(s string) (netip.Prefix, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// port parses a port number 0-65535.
func port(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q: want a number 0-65535 (names are not resolved)", s)
	}
	return uint16(n), nil
}
