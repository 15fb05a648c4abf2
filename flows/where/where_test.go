package where

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
)

func conv(proto uint8, client, server string) *flows.Conversation {
	c := &flows.Conversation{Proto: proto, Version: 4}
	for i, s := range []string{client, server} {
		var e flows.Endpoint
		if ap, err := netip.ParseAddrPort(s); err == nil {
			e = flows.Endpoint{Addr: ap.Addr(), Port: ap.Port()}
		} else {
			e = flows.Endpoint{Addr: netip.MustParseAddr(s)}
		}
		if e.Addr.Is6() {
			c.Version = 6
		}
		if i == 0 {
			c.Client = e
		} else {
			c.Server = e
		}
	}
	return c
}

func TestMatch(t *testing.T) {
	web := conv(6, "10.0.1.10:50382", "192.0.2.80:443")
	dns := conv(17, "10.0.1.10:36488", "10.0.0.2:53")
	ping := conv(1, "10.0.1.10", "192.0.2.80")
	v6 := conv(58, "2001:db8::1", "2001:db8:1::2")
	for _, c := range []struct {
		expr string
		want [4]bool // web, dns, ping, v6
	}{
		{"host 192.0.2.80", [4]bool{true, false, true, false}},
		{"src host 10.0.1.10", [4]bool{true, true, true, false}},
		{"dst host 10.0.1.10", [4]bool{false, false, false, false}},
		{"net 10.0.0.0/16", [4]bool{true, true, true, false}},
		{"dst net 10.0.0.0/24", [4]bool{false, true, false, false}},
		{"net 2001:db8::/32", [4]bool{false, false, false, true}},
		{"port 443", [4]bool{true, false, false, false}},
		{"port 53 or 443", [4]bool{true, true, false, false}},
		{"dst port 50382", [4]bool{false, false, false, false}},
		{"src port 50382", [4]bool{true, false, false, false}},
		{"portrange 1024-65535", [4]bool{true, true, false, false}},
		{"dst portrange 0-1023", [4]bool{true, true, false, false}},
		{"tcp", [4]bool{true, false, false, false}},
		{"udp port 53", [4]bool{true && false, true, false, false}},
		{"tcp port 53", [4]bool{false, false, false, false}},
		{"icmp or icmp6", [4]bool{false, false, true, true}},
		{"icmpv6", [4]bool{false, false, false, true}},
		{"ip6", [4]bool{false, false, false, true}},
		{"not tcp", [4]bool{false, true, true, true}},
		{"!tcp && !udp", [4]bool{false, false, true, true}},
		{"host 192.0.2.80 and not icmp", [4]bool{true, false, false, false}},
		{"(tcp or udp) and dst net 10.0.0.0/8", [4]bool{false, true, false, false}},
		{"tcp or udp and dst net 10.0.0.0/8", [4]bool{true, true, false, false}}, // and binds tighter
		{"not (tcp or udp)", [4]bool{false, false, true, true}},
		{"host 10.0.0.2 or 192.0.2.80", [4]bool{true, true, true, false}},
		{"HOST 192.0.2.80 AND PORT 443", [4]bool{true, false, false, false}},
		{"net 10.0.1.10", [4]bool{true, true, true, false}},
	} {
		e, err := Parse(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		for i, cv := range []*flows.Conversation{web, dns, ping, v6} {
			if got := e.Match(cv); got != c.want[i] {
				t.Errorf("%q on conversation %d: %v, want %v", c.expr, i, got, c.want[i])
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"", "column 1: empty expression"},
		{"host", "column 5: want a value after host"},
		{"host example.com", `column 6: host "example.com": want an IPv4 or IPv6 address`},
		{"port http", `column 6: port "http": want a number 0-65535`},
		{"port 65536", `column 6: port "65536"`},
		{"portrange 9-1", "column 11: portrange 9-1: 9 is above 1"},
		{"portrange 80", `column 11: portrange "80": want FROM-TO`},
		{"net 10.0.0.1/8", "column 5: net 10.0.0.1/8 has host bits set (did you mean 10.0.0.0/8?)"},
		{"(tcp", "column 5: missing ) for the ( at column 1"},
		{"tcp)", `column 4: unexpected ")"`},
		{"tcp and", "column 8: expression ends early"},
		{"tcp & udp", `column 5: '&': write &&`},
		{"bogus", `column 1: unknown word "bogus"`},
		{"src tcp", `column 5: unexpected "tcp" after src`},
		{"src", "column 4: expression ends after src"},
		{"tcp udp", `column 5: unexpected "udp"`},
		{"host 10.0.0.1 é", "column 15: unexpected character"},
		{strings.Repeat("(", MaxDepth+1) + "tcp" + strings.Repeat(")", MaxDepth+1), "nested more than 64 deep"},
	} {
		_, err := Parse(c.expr)
		var pe *Error
		if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.expr, err, c.want)
		}
	}
}

// FuzzParse: any input parses or fails with a positioned error, never
// panics; a parsed expression matches without panicking and parses again.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"host 10.0.0.1", "src net 10.0.0.0/8 and not port 22", "(tcp or udp) && dst portrange 1024-65535",
		"icmp6 or ip6", "port 80 or 443", "!(", "host ::1", "tcp port 80"} {
		f.Add(s)
	}
	cs := []*flows.Conversation{conv(6, "10.0.1.10:50382", "192.0.2.80:443"), conv(1, "::1", "::2")}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Column < 1 || pe.Column > len(s)+1+MaxLen {
				t.Fatalf("%q: error without a column: %v", s, err)
			}
			return
		}
		for _, c := range cs {
			e.Match(c)
		}
		if e.String() != s {
			t.Fatalf("String() = %q", e.String())
		}
	})
}
