package synth

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
)

// Defaults and limits of Options.
const (
	// DefaultMaxRules is AWS's default quota of rules per direction and IP
	// family, which includes the default deny rule.
	DefaultMaxRules = 20
	// HardMaxRules is the largest quota AWS grants.
	HardMaxRules = 40
	// DefaultMaxPeers is how many distinct peers one service may have
	// before its rule is widened to 0.0.0.0/0 (::/0).
	DefaultMaxPeers = 8
	// DefaultFirst and DefaultStep number the generated rules.
	DefaultFirst = 100
	DefaultStep  = 100
)

// Options control a synthesis. The zero value is not usable: start from
// DefaultOptions.
type Options struct {
	// Subnets are the CIDRs of the subnet(s) the generated ACL protects.
	Subnets []netip.Prefix
	// VPCCIDRs are the VPC's CIDR blocks (their base+2 address is the
	// Amazon DNS resolver, whose traffic NACLs never filter).
	VPCCIDRs []netip.Prefix
	// IncludeFailed keeps conversations that never worked (SYN answered
	// by RST, unanswered SYN, incomplete handshake, unanswered ping).
	IncludeFailed bool
	// Ephemeral forces the response range of every client group when set
	// (see ParseEphemeral); nil chooses the narrowest profile per group.
	Ephemeral *EphemeralChoice
	// EphemeralFor forces the response range of the clients inside a
	// prefix (--ephemeral CIDR=PROFILE, e.g. a load balancer subnet marked
	// aws-managed); the most specific prefix wins over Ephemeral.
	EphemeralFor []EphemeralFor
	// PeerPrefix4 and PeerPrefix6 widen each peer address to its /N before
	// aggregation (32 and 128 keep single addresses).
	PeerPrefix4, PeerPrefix6 int
	// MaxPeers is the number of distinct (widened) peers a service may
	// have before its rule allows 0.0.0.0/0 or ::/0.
	MaxPeers int
	// Peers selects how peers are generalised (PeersIntent by default);
	// PeerPrefix4/6 and MaxPeers apply on top of every mode.
	Peers PeerMode
	// PublicPorts are administrative or database ports (see
	// RestrictedPort) that PeersIntent may open to 0.0.0.0/0 (::/0) when
	// public peers reach them; without them such ports keep their
	// observed peers (--public-port).
	PublicPorts []uint16
	// PeerSubnets are modelled subnets outside the protected ones (other
	// tiers of the VPC, from --peer-subnet or --subnets): private peers
	// inside them are generalised to them.
	PeerSubnets []netip.Prefix
	// PMTUD adds an inbound ICMP type 3 code 4 rule (IPv4) and ICMPv6
	// type 2 rule (IPv6, Packet Too Big) for every family with rules.
	PMTUD bool
	// MaxRules is the quota per direction and IP family including the
	// default deny rule, 2..HardMaxRules.
	MaxRules int
	// First and Step number the rules of each direction.
	First, Step int
	// KeepDenies is an existing NACL whose explicit deny rules are carried
	// over, numbered before the generated allows.
	KeepDenies *nacl.ACL
	// ID, Name and Subnet IDs label the generated ACL.
	ID, Name  string
	SubnetIDs []string
	// Learn, when set, selects the conversations to learn from; the others
	// produce no rule, are not counted as excluded and are left out of the
	// self-check (--holdout: see HoldoutCut, Learned and ReplayUnseen).
	Learn func(*flows.Conversation) bool
	// Observations are the distinct packet shapes of the captures (see
	// Recorder). When present, ICMP types of non-echo ICMP conversations
	// and ICMP errors attached to conversations become rules too.
	Observations *Observations
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		PeerPrefix4: 32, PeerPrefix6: 128, MaxPeers: DefaultMaxPeers, PMTUD: true,
		MaxRules: DefaultMaxRules, First: DefaultFirst, Step: DefaultStep,
		ID: "acl-synth", Name: "flowverify-synth",
	}
}

// Validate checks the options and names the offending one.
func (o *Options) Validate() error {
	if len(o.Subnets) == 0 {
		return fmt.Errorf("no subnet given: synthesis needs the CIDR(s) of the subnet the ACL protects")
	}
	if o.MaxRules < 2 || o.MaxRules > HardMaxRules {
		return fmt.Errorf("max rules %d: must be 2..%d (the quota includes the default deny rule; AWS allows at most %d)", o.MaxRules, HardMaxRules, HardMaxRules)
	}
	if o.PeerPrefix4 < 0 || o.PeerPrefix4 > 32 {
		return fmt.Errorf("IPv4 peer prefix /%d: must be 0..32", o.PeerPrefix4)
	}
	if o.PeerPrefix6 < 0 || o.PeerPrefix6 > 128 {
		return fmt.Errorf("IPv6 peer prefix /%d: must be 0..128", o.PeerPrefix6)
	}
	if o.MaxPeers < 1 {
		return fmt.Errorf("max peers %d: must be at least 1", o.MaxPeers)
	}
	if o.First < 1 || o.First > nacl.MaxRuleNumber {
		return fmt.Errorf("first rule number %d: must be 1..%d", o.First, nacl.MaxRuleNumber)
	}
	if o.Step < 1 {
		return fmt.Errorf("rule number step %d: must be at least 1", o.Step)
	}
	// Both families share a direction's rule numbers (AWS documents numbers
	// as unique per direction), so a direction holds up to 2*(MaxRules-1).
	if n := 2 * (o.MaxRules - 1); o.First+(n-1)*o.Step > nacl.MaxRuleNumber {
		return fmt.Errorf("first %d and step %d: up to %d rules per direction would need rule number %d, above %d", o.First, o.Step, n, o.First+(n-1)*o.Step, nacl.MaxRuleNumber)
	}
	for _, p := range o.Subnets {
		if !p.IsValid() {
			return fmt.Errorf("invalid subnet prefix")
		}
	}
	return nil
}

// EphemeralChoice is a forced response port range: a named profile or an
// explicit FROM-TO range.
type EphemeralChoice struct {
	// Name is the profile name, or "custom" for an explicit range.
	Name  string
	Range nacl.PortRange
}

// EphemeralFor is a forced response range for the clients in Prefix.
type EphemeralFor struct {
	Prefix netip.Prefix
	Choice EphemeralChoice
}

// ParseEphemeralFor parses CIDR=PROFILE (PROFILE as in ParseEphemeral).
func ParseEphemeralFor(s string) (EphemeralFor, error) {
	cidr, prof, ok := strings.Cut(s, "=")
	if !ok {
		return EphemeralFor{}, fmt.Errorf("ephemeral %q: want CIDR=PROFILE", s)
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
	if err != nil {
		return EphemeralFor{}, fmt.Errorf("ephemeral %q: %w", s, err)
	}
	c, err := ParseEphemeral(prof)
	if err != nil {
		return EphemeralFor{}, err
	}
	return EphemeralFor{Prefix: p.Masked(), Choice: *c}, nil
}

// ParseEphemeral parses --ephemeral: a profile name of flows/ephemeral
// ("linux", "windows", "iana", ...) or FROM-TO.
func ParseEphemeral(s string) (*EphemeralChoice, error) {
	s = strings.TrimSpace(s)
	if p, ok := ephemeral.ByName(s); ok {
		return &EphemeralChoice{Name: p.Name, Range: nacl.PortRange{From: p.From, To: p.To}}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if ok {
		f, err1 := strconv.ParseUint(strings.TrimSpace(from), 10, 16)
		t, err2 := strconv.ParseUint(strings.TrimSpace(to), 10, 16)
		if err1 == nil && err2 == nil && f <= t {
			return &EphemeralChoice{Name: "custom", Range: nacl.PortRange{From: uint16(f), To: uint16(t)}}, nil
		}
	}
	names := make([]string, 0, len(ephemeral.Profiles)+1)
	for _, p := range ephemeral.Profiles {
		names = append(names, p.Name)
	}
	names = append(names, "iana")
	return nil, fmt.Errorf("ephemeral %q: want a profile (%s) or FROM-TO with FROM <= TO <= 65535", s, strings.Join(names, ", "))
}
