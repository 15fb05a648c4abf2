package synth

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
)

func FuzzParseEphemeral(f *testing.F) {
	for _, s := range []string{"linux", "windows", "iana", "aws-managed", "1024-65535", "0-0", "65535-65535", "5-3", "a-b", "-", "", "70000-70001", " 1 - 2 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseEphemeral(s)
		if err != nil {
			if c != nil {
				t.Fatalf("error with a result: %v", err)
			}
			if !strings.Contains(err.Error(), "ephemeral") {
				t.Fatalf("error does not name the option: %v", err)
			}
			return
		}
		if c.Range.From > c.Range.To || c.Name == "" {
			t.Fatalf("ParseEphemeral(%q) = %+v", s, c)
		}
	})
}

func FuzzParseEphemeralFor(f *testing.F) {
	for _, s := range []string{"10.0.3.0/24=aws-managed", "0.0.0.0/0=linux", "2001:db8::/32=1024-65535", "10.0.3.5/24=windows", "=linux", "10.0.0.0/8=", "10.0.0.0/33=linux", "x=y=z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEphemeralFor(s)
		if err != nil {
			if !strings.Contains(err.Error(), "ephemeral") {
				t.Fatalf("error does not name the option: %v", err)
			}
			return
		}
		if !e.Prefix.IsValid() || e.Prefix != e.Prefix.Masked() || e.Choice.Range.From > e.Choice.Range.To || e.Choice.Name == "" {
			t.Fatalf("ParseEphemeralFor(%q) = %+v", s, e)
		}
	})
}

func FuzzParseHoldout(f *testing.F) {
	for _, s := range []string{"20%", "20", " 1% ", "99%", "0%", "100%", "12.5%", "-5%", "NaN%", "1e1%", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseHoldout(s)
		if err != nil {
			if !strings.Contains(err.Error(), "holdout") {
				t.Fatalf("error does not name the option: %v", err)
			}
			return
		}
		if !(v >= 0.01 && v <= 0.99) && v != 0 {
			t.Fatalf("ParseHoldout(%q) = %v", s, v)
		}
	})
}

func FuzzParsePeerMode(f *testing.F) {
	for _, s := range []string{"intent", "exact", "subnet", "EXACT", " subnet ", "", "all"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParsePeerMode(s)
		if err != nil {
			if !strings.Contains(err.Error(), "peers") {
				t.Fatalf("error does not name the option: %v", err)
			}
			return
		}
		if !strings.EqualFold(strings.TrimSpace(s), m.String()) {
			t.Fatalf("ParsePeerMode(%q) = %s", s, m)
		}
	})
}

// FuzzSynthesize decodes conversations from bytes (8 per conversation)
// and checks the invariants: no panic, every observed packet of a used
// conversation allowed, counts within budget.
func FuzzSynthesize(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, uint8(20), uint8(8))
	f.Add([]byte("\x06\x01\x02\x03\x50\x00\x90\x10\x11\x05\x02\x09\x00\x35\x01\x02\x01\x03\xff\xff\xff\xff\xff\xff"), uint8(3), uint8(1))
	f.Add([]byte("\x2f\x00\x00\x00\x00\x00\x00\x00\x3a\x80\x80\x80\x80\x80\x80\x80"), uint8(2), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, maxRules, maxPeers uint8) {
		var convs []*flows.Conversation
		for i := 0; i+8 <= len(data) && i < 8*400; i += 8 {
			d := data[i : i+8]
			proto := []uint8{6, 17, 1, 47, 6, 6, 17, 58}[d[0]%8]
			local := netip.AddrFrom4([4]byte{10, 1, 0, d[1] % 8})
			remote := netip.AddrFrom4([4]byte{198, 51, d[2] % 4, d[3]})
			if proto == 58 {
				local = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: d[1] % 8})
				remote = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 2, 14: d[2], 15: d[3]})
			}
			client, server := local, remote
			if d[0]&0x80 != 0 {
				client, server = remote, local
			}
			cport := uint16(d[4])<<8 | uint16(d[5])
			sport := uint16(d[6])<<4 | uint16(d[7]&0x0f)
			var c *flows.Conversation
			if proto == 1 || proto == 58 {
				c = echo(i/8+1, client.String(), server.String())
			} else {
				c = conv(i/8+1, proto, client.String(), cport, server.String(), sport)
			}
			switch d[7] >> 5 {
			case 1:
				c.ToClient = flows.DirStats{}
			case 2:
				c.ToServer = flows.DirStats{}
			case 3:
				c.State = flows.StateRejected
			}
			convs = append(convs, c)
		}
		o := opts("10.1.0.0/24", "2001:db8:1::/64")
		o.MaxRules = 2 + int(maxRules)%(HardMaxRules-1)
		o.MaxPeers = 1 + int(maxPeers)%20
		o.Peers = PeerMode(maxPeers >> 6 % 3)
		o.VPCCIDRs = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
		r, err := Synthesize(convs, o)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, r, observe(convs))
		// Over budget only when closed ports block every merge, with a
		// warning.
		for _, c := range r.Counts {
			if c.Rules > o.MaxRules && !hasMsg(r.Warnings, func(m *Message) bool {
				return m.Kind == MsgOverQuota && m.Direction == c.Direction && m.IPv6 == c.IPv6 && m.Count == c.Rules
			}) {
				t.Fatalf("%+v over budget %d", c, o.MaxRules)
			}
		}
		// The training data replayed as unseen data is allowed.
		u, err := ReplayConversations(r, convs, observe(convs), "training")
		if err != nil || len(u.Denied) > 0 {
			t.Fatalf("training data replayed: %v %+v %+v", err, *u, u.Denied)
		}
	})
}
