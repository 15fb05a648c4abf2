package synth

import (
	"fmt"
	"net/netip"

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
	opts     *Options
	res      *Result
	judge    *replay.Judge
	denies   *nacl.Evaluator // kept denies only, nil without --keep-denies
	services map[svcKey]*peerMap
	// clients indexes groups by client; groupOf queues the group of each
	// conversation with hasClientGroup, in order, for the second pass
	// (groupNext is the next to take).
	clients     clientMap
	groups      []clientPorts
	clientSets  []clientSets
	groupOf     []int32
	groupNext   int
	lowConf     []ConvExample
	nLowConf    int
	unknownICMP int
	// decs are the peer decisions by service; modelled the prefixes
	// peers may be generalised to (Options.modelled).
	decs     map[decKey]*decAcc
	modelled []netip.Prefix
	// closed are the server ports conversations that never worked found
	// closed; blocked counts merges refused because of them.
	closed  map[closedKey][]uint16
	blocked int
	// copyConvs: conversation values are reused by the source.
	copyConvs bool
	// svcMemo and decMemo remember the last lookups of add and
	// decisionFor (ok: decMemo holds one).
	svcMemo [2]struct {
		k svcKey
		m *peerMap
	}
	decMemo struct {
		k  decKey
		a  *decAcc
		ok bool
	}
	// profiles are the names of the chosen response ranges' profiles
	// (clientPorts.profile indexes them).
	profiles []string
	// rulesOnly: the result serves only to replay traffic against its
	// rules (the held-out estimate): the per-client ranges
	// (Result.Clients), their notes and the texts of the budget merges
	// are not made.
	rulesOnly bool
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
// its request and response legs cross.
type usedConv struct {
	c         *flows.Conversation
	req, resp dirSet
	// seenReq and seenResp say whether each leg carried real packets
	// (ICMP errors quoting the conversation do not count).
	seenReq, seenResp bool
}

// convState packs what the second pass needs of a conversation in one
// byte: whether it is used, its legs' direction sets and seen flags.
type convState uint8

const (
	stUsed      convState = 1 << 0
	stSeenReq   convState = 1 << 1
	stSeenResp  convState = 1 << 2
	stReqShift            = 3 // req dirSet in bits 3-4
	stRespShift           = 5 // resp dirSet in bits 5-6
)

func packState(u *usedConv) convState {
	s := stUsed | convState(u.req)<<stReqShift | convState(u.resp)<<stRespShift
	if u.seenReq {
		s |= stSeenReq
	}
	if u.seenResp {
		s |= stSeenResp
	}
	return s
}

func (s convState) unpack(c *flows.Conversation) usedConv {
	return usedConv{c: c, req: dirSet(s>>stReqShift) & 3, resp: dirSet(s>>stRespShift) & 3,
		seenReq: s&stSeenReq != 0, seenResp: s&stSeenResp != 0}
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

// convSource yields the conversations of a synthesis in order, twice.
type convSource interface {
	// each calls fn for every conversation in order; the value may be
	// reused between calls.
	each(fn func(c *flows.Conversation) error) error
	// reused says whether each reuses its conversation values (then kept
	// ones must be copied).
	reused() bool
}

type recSource struct{ rec *replay.Recording }

func (s recSource) each(fn func(*flows.Conversation) error) error { return s.rec.EachConversation(fn) }

func (s recSource) reused() bool { return s.rec.Conversations == nil }

// SynthesizeRecording generates the minimal ACL allowing the
// conversations of a replay recording (see the package documentation),
// in ID order, built one at a time: memory grows with the distinct (peer,
// service) pairs and client groups, plus, while it runs, one byte per
// conversation and four per conversation whose response crosses the
// boundary (its client group, from the first pass to the second), not
// with the conversations. (The tests keep a materialised reference,
// Synthesize.) Result.Excluded is left nil
// (there may be millions); EachExcluded yields them.
func SynthesizeRecording(rec *replay.Recording, opts Options) (*Result, error) {
	return synthesize(recSource{rec}, opts, true, false)
}

// synthesize builds the result from the conversations of src; compact
// keeps exclusions compact (Result.compact), rulesOnly skips what only a
// report shows (see builder.rulesOnly).
func synthesize(src convSource, opts Options, compact, rulesOnly bool) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	b := &builder{opts: &opts, services: map[svcKey]*peerMap{}, copyConvs: src.reused(),
		decs: map[decKey]*decAcc{}, modelled: opts.modelled(), rulesOnly: rulesOnly}
	b.res = &Result{opts: opts, excluded: map[int]string{}}
	if compact {
		b.res.compact = &compactExcluded{src: src, reasonIdx: map[ExclusionReason]uint16{}}
	}
	j, err := replay.NewJudge(Topology(allowAll(), &opts))
	if err != nil {
		return nil, fmt.Errorf("placing the subnets: %w", err)
	}
	b.judge = j
	kept := keptDenies(opts.KeepDenies)
	if len(kept) > 0 {
		b.denies = nacl.Compile(&nacl.ACL{ID: opts.KeepDenies.ID, Entries: kept})
	}
	// First pass: classify, and collect the client groups (the response
	// range depends on every port a client used).
	var states []convState
	src.each(func(c *flows.Conversation) error {
		var st convState
		if opts.Learn != nil && !opts.Learn(c) {
			b.res.heldOut.set(c.ID)
			b.res.HeldOut++
			states = append(states, st)
			return nil
		}
		if cl, ok := b.classify(c); ok {
			u := usedConv{c: c, req: dirsOf(&cl.jreq), resp: dirsOf(&cl.jresp), seenReq: cl.seenReq, seenResp: cl.seenResp}
			st = packState(&u)
			b.res.Used++
			b.noteClient(&u)
			b.noteDecision(&u)
		}
		states = append(states, st)
		return nil
	})
	b.decide()
	b.chooseRanges()
	i := 0
	src.each(func(c *flows.Conversation) error {
		if st := states[i]; st&stUsed != 0 {
			u := st.unpack(c)
			b.require(&u)
		}
		i++
		return nil
	})
	b.groups, b.groupOf, b.clientSets = nil, nil, nil
	if b.nLowConf > 0 {
		b.warn(Message{Kind: MsgLowConfidence, Count: b.nLowConf, Convs: b.lowConf})
	}
	if b.unknownICMP > 0 {
		b.warn(Message{Kind: MsgUnknownICMP, Count: b.unknownICMP})
	}
	if b.res.Used == 0 {
		b.warn(Message{Kind: MsgNothingAllowed, Count: b.res.NumExcluded()})
	}
	boxes := b.boxes()
	if err := b.finish(boxes, kept); err != nil {
		return nil, err
	}
	return b.res, nil
}

func (b *builder) warn(m Message) { b.res.Warnings = append(b.res.Warnings, m) }

func (b *builder) note(m Message) { b.res.Notes = append(b.res.Notes, m) }

func (b *builder) exclude(c *flows.Conversation, cat string, reason ExclusionReason) {
	if x := b.res.compact; x != nil {
		x.add(c.ID, cat, reason)
		return
	}
	b.res.Excluded = append(b.res.Excluded, Excluded{Conv: c, Category: cat, ExclusionReason: reason})
	b.res.excluded[c.ID] = cat
}

// keep returns c, copied when the source reuses its values.
func (b *builder) keep(c *flows.Conversation) *flows.Conversation {
	if !b.copyConvs {
		return c
	}
	cc := *c
	return &cc
}
