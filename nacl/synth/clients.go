package synth

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
)

// clientKey is a client group: one client address and transport.
type clientKey struct {
	addr  netip.Addr
	proto uint8
}

// clientPorts accumulates the observed ports of one client group.
type clientPorts struct {
	convs  int32
	lo, hi uint16 // over ports >= 1024; valid when high
	high   bool
	// chosen is the index of the group's range in Result.Clients.
	chosen int32
	// outIdx is the index of the group in Result.OutsideForced.
	outIdx int32
	low    map[uint16]struct{} // ports below 1024 (fit no profile)
	out    map[uint16]struct{} // ports outside a forced range
}

func (g *clientPorts) add(port uint16, forced *EphemeralChoice) {
	g.convs++
	if forced != nil && !forced.Range.Contains(port) {
		if g.out == nil {
			g.out = map[uint16]struct{}{}
		}
		g.out[port] = struct{}{}
	}
	if port < 1024 {
		if g.low == nil {
			g.low = map[uint16]struct{}{}
		}
		g.low[port] = struct{}{}
		return
	}
	if !g.high {
		g.lo, g.hi, g.high = port, port, true
		return
	}
	g.lo, g.hi = min(g.lo, port), max(g.hi, port)
}

func sortedPorts(m map[uint16]struct{}) []uint16 {
	out := make([]uint16, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// fallbackRange is used when observed client ports fit no profile.
var fallbackRange = nacl.PortRange{From: 1024, To: 65535}

// minOSEvidence is how many conversations of one client it takes to pick
// a narrow OS profile (windows-2003, freebsd) that an AWS-managed sender's
// ports (spread over 1024-65535) would also fit: from a few ports the two
// cannot be told apart, and the narrow pick would break the next
// connection.
const minOSEvidence = 16

// Response ranges for public clients of unknown OS (Options.Peers intent).
var (
	modernClients = nacl.PortRange{From: 32768, To: 65535}
	anyClient     = nacl.PortRange{From: 1024, To: 65535}
)

// Profile names of the ranges above.
const (
	ProfileModernClient = "modern-client" // 32768-65535
	ProfileAnyClient    = "any-client"    // 1024-65535
)

// choose decides the group's response range. public says the client is
// a remote host in public address space whose OS is unknown (intent
// mode). It returns a warning or a note without the client (so that many
// clients share one line) and an example naming the client ("" when there
// is nothing to say).
func (g *clientPorts) choose(k clientKey, forced *EphemeralChoice, public bool) (cr ClientRange, warning, note, example string) {
	cr = ClientRange{Client: k.addr, Proto: k.proto, Convs: int(g.convs)}
	if g.high {
		cr.Lo, cr.Hi = g.lo, g.hi
	} else if len(g.low) > 0 {
		ps := sortedPorts(g.low)
		cr.Lo, cr.Hi = ps[0], ps[len(ps)-1]
	}
	pn := flows.ProtoName(k.proto)
	switch {
	case forced != nil:
		cr.Profile, cr.Range, cr.Forced = forced.Name, forced.Range, true
		cr.Outside = sortedPorts(g.out)
		if len(cr.Outside) > 0 {
			warning = fmt.Sprintf("%s client ports outside the forced %s range %s get no rule: their replies will be denied (see \"Replies outside the forced ephemeral range\")", pn, forced.Name, cr.Range)
			example = fmt.Sprintf("%s (%s)", k.addr, PortList(cr.Outside))
		}
	case !g.high:
		// Only ports below 1024: a symmetric service (NTP 123<->123, IKE
		// 500<->500, DNS 53<->53). Allow exactly those.
		cr.Profile = "exact"
		cr.Outside = sortedPorts(g.low)
		note = fmt.Sprintf("%s client ports below 1024 fit no ephemeral profile (symmetric service ports): allowed exactly", pn)
		example = fmt.Sprintf("%s (%s)", k.addr, PortList(cr.Outside))
	case len(g.low) > 0:
		cr.Profile, cr.Range = "fallback", fallbackRange
		cr.Outside = sortedPorts(g.low)
		warning = fmt.Sprintf("%s client ports below 1024 and above fit no ephemeral profile; falling back to %s plus exact rules for the low ports", pn, fallbackRange)
		example = fmt.Sprintf("%s (%s and %d-%d)", k.addr, PortList(cr.Outside), g.lo, g.hi)
	default:
		cr.Profile, cr.Range, note = narrowest(g.lo, g.hi)
		if note != "" {
			note = pn + " client " + note
		}
		switch {
		case cr.Profile == "aws-managed":
			note = fmt.Sprintf("%s client ports spread beyond every OS range (below 10000 and above 5000): an AWS-managed sender (Elastic Load Balancing, NAT gateway, Lambda) or a tuned host; aws-managed %s", pn, cr.Range)
		case (cr.Profile == "freebsd" || cr.Profile == "windows-2003") && g.convs < minOSEvidence:
			note = fmt.Sprintf("%s client ports fit the %s range, but fewer than %d conversations cannot tell that OS from an AWS-managed sender (ports spread over 1024-65535): aws-managed %s so that the next connection holds",
				pn, cr.Profile, minOSEvidence, anyClient)
			cr.Profile, cr.Range = "aws-managed", anyClient
		case public && g.lo >= modernClients.From:
			cr.Profile, cr.Range = ProfileModernClient, modernClients
			note = fmt.Sprintf("public %s clients of unknown OS: %s covers Linux (32768-60999), Windows Vista and later, macOS and the IANA range (49152-65535), as in the AWS example NACL; not FreeBSD (10000-65535) or Windows Server 2003 (1025-5000) clients: --ephemeral 0.0.0.0/0=aws-managed opens 1024-65535 for them", pn, modernClients)
		case public:
			cr.Profile, cr.Range = ProfileAnyClient, anyClient
			note = fmt.Sprintf("public %s clients of unknown OS, using ports below 32768: %s covers every client OS", pn, anyClient)
		}
		if note != "" {
			example = fmt.Sprintf("%s (%d-%d)", k.addr, g.lo, g.hi)
		}
	}
	return cr, warning, note, example
}

// narrowest returns the narrowest profile covering lo..hi. When another
// covering profile is neither a superset nor a subset of it, the
// observations cannot tell the two operating systems apart (ports
// 49152-60999 fit both linux and windows), so the union of both is used
// and a note says so.
func narrowest(lo, hi uint16) (string, nacl.PortRange, string) {
	p, ok := ephemeral.Narrowest([]uint16{lo, hi})
	if !ok {
		return "fallback", fallbackRange, ""
	}
	r := nacl.PortRange{From: p.From, To: p.To}
	names := []string{p.Name}
	for _, q := range ephemeral.Profiles {
		if q.Name == p.Name || !q.Contains(lo) || !q.Contains(hi) {
			continue
		}
		sub := q.From >= p.From && q.To <= p.To
		sup := q.From <= p.From && q.To >= p.To
		if sub || sup || (q.From >= r.From && q.To <= r.To) {
			continue
		}
		r.From, r.To = min(r.From, q.From), max(r.To, q.To)
		names = append(names, q.Name)
	}
	name := strings.Join(names, "+")
	if len(names) == 1 {
		return name, r, ""
	}
	return name, r, fmt.Sprintf("ports fit both %s; allowing their union %s", strings.Join(names, " and "), r)
}

// PortList lists ports as the reports print them: "80,443", the first 8
// of more with their count ("1,2,...,8,... (12 in all)").
func PortList(ps []uint16) string {
	var b strings.Builder
	for i, p := range ps {
		if i == 8 {
			fmt.Fprintf(&b, ",... (%d in all)", len(ps))
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, p)
	}
	return b.String()
}
