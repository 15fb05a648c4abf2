package synth

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// svcKey identifies one service of one direction and family: a protocol
// with an exact port range or ICMP type:code.
type svcKey struct {
	dir          nacl.Direction
	v6           bool
	proto        int
	ports        nacl.PortRange
	icmpT, icmpC int
	kind         string
	profile      string
}

// builder holds the state of one synthesis.
type builder struct {
	opts        *Options
	res         *Result
	judge       *replay.Judge
	denies      *nacl.Evaluator // kept denies only, nil without --keep-denies
	services    map[svcKey]map[netip.Addr]peerUse
	clients     map[clientKey]*clientPorts
	lowConf     []string
	nLowConf    int
	unknownICMP int
}

// dirSet is a set of NACL directions (bit 1<<Ingress, 1<<Egress): the
// boundary checks one leg meets.
type dirSet uint8

// dirsOf returns the directions a judgement's checks evaluated.
func dirsOf(jd *replay.Judgement) dirSet {
	var d dirSet
	if jd.Verdict != replay.Allow && jd.Verdict != replay.Deny {
		return 0
	}
	for i := 0; i < jd.NCheck; i++ {
		d |= 1 << jd.Checks[i].Direction
	}
	return d
}

// usedConv is a conversation that produces rules, with the directions
// its request and response legs cross (kept small: one per conversation).
type usedConv struct {
	c         *flows.Conversation
	req, resp dirSet
	// seenReq and seenResp say whether each leg carried real packets
	// (ICMP errors quoting the conversation do not count).
	seenReq, seenResp bool
}

// classified is a conversation being classified, with the judgements of
// its legs against the allow-all topology.
type classified struct {
	c                 *flows.Conversation
	seenReq, seenResp bool
	req, resp         nacl.Packet
	jreq              replay.Judgement
	jresp             replay.Judgement
}

// Synthesize generates the minimal ACL allowing the conversations (see
// the package documentation). The input order does not matter: the result
// is the same for any permutation of convs.
func Synthesize(convs []*flows.Conversation, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	b := &builder{opts: &opts, services: map[svcKey]map[netip.Addr]peerUse{}, clients: map[clientKey]*clientPorts{}}
	b.res = &Result{opts: opts, excluded: map[int]string{}}
	j, err := replay.NewJudge(Topology(allowAll(), &opts))
	if err != nil {
		return nil, fmt.Errorf("placing the subnets: %w", err)
	}
	b.judge = j
	kept := keptDenies(opts.KeepDenies)
	if len(kept) > 0 {
		b.denies = nacl.Compile(&nacl.ACL{ID: opts.KeepDenies.ID, Entries: kept})
	}
	sorted := slices.Clone(convs)
	slices.SortFunc(sorted, compareConvs)
	var used []usedConv
	for _, c := range sorted {
		if c == nil {
			continue
		}
		if cl, ok := b.classify(c); ok {
			used = append(used, usedConv{c: c, req: dirsOf(&cl.jreq), resp: dirsOf(&cl.jresp), seenReq: cl.seenReq, seenResp: cl.seenResp})
		}
	}
	b.res.Used = len(used)
	// Client groups first: the response range depends on every port a
	// client used.
	for i := range used {
		b.noteClient(&used[i])
	}
	b.chooseRanges()
	for i := range used {
		b.require(&used[i])
	}
	if b.nLowConf > 0 {
		b.warn("%d conversation(s) producing rules had low-confidence client/server roles (no handshake; decided by port or first packet), e.g. %s",
			b.nLowConf, joinMax(b.lowConf, 3))
	}
	if b.unknownICMP > 0 {
		b.warn("%d ICMP conversation(s) of unknown type (no packet observations given): allowed as all ICMP types", b.unknownICMP)
	}
	if len(used) == 0 {
		b.warn("no conversation needs a rule: the generated ACL allows nothing (%d conversation(s) read, all excluded)", len(b.res.Excluded))
	}
	boxes := b.boxes()
	if err := b.finish(boxes, kept); err != nil {
		return nil, err
	}
	return b.res, nil
}

// compareConvs orders conversations by ID, then by content, so that any
// permutation of the input gives the same result.
func compareConvs(a, b *flows.Conversation) int {
	if a == nil || b == nil {
		return cmp.Compare(boolInt(a == nil), boolInt(b == nil))
	}
	if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := a.Client.Addr.Compare(b.Client.Addr); c != 0 {
		return c
	}
	if c := a.Server.Addr.Compare(b.Server.Addr); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Client.Port, b.Client.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Server.Port, b.Server.Port); c != 0 {
		return c
	}
	return a.First().Compare(b.First())
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (b *builder) warn(format string, args ...any) {
	b.res.Warnings = append(b.res.Warnings, fmt.Sprintf(format, args...))
}

func (b *builder) exclude(c *flows.Conversation, cat, reason string) {
	b.res.Excluded = append(b.res.Excluded, Excluded{Conv: c, Category: cat, Reason: reason})
	b.res.excluded[c.ID] = cat
}
