package render

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// ConvSelect chooses the conversations a report lists (the conversation
// table and the broken conversations in text; the conversations of json,
// jsonl and csv). Totals, what broke, fixes and rule hits always cover
// the whole capture.
type ConvSelect struct {
	// All lists every conversation in text, not only the affected ones
	// (those with a denied packet). Machine formats always list every
	// conversation Match accepts.
	All bool
	// Limit caps the rows of the text listings (0: no cap).
	Limit int
	// Match, when not nil, keeps only the conversations it accepts (the
	// conversation has its ID, protocol, endpoints, client side and
	// state). A filter lists every conversation it accepts, affected or
	// not. It is called from several goroutines at once.
	Match func(c *flows.Conversation, st replay.Status) bool
	// Describe says how the filter was given ("--where 'port 443'"), for
	// the listing's heading.
	Describe string
}

// keep reports whether the text listings show c (of status st).
func (s *ConvSelect) keep(c *flows.Conversation, st replay.Status) bool {
	if s.Match != nil {
		return s.Match(c, st)
	}
	return s.All || isDenied(st)
}

// eachListed is r.EachConversation over the conversations the machine
// formats list (those o.Select.Match accepts; every one without it).
func (o *Options) eachListed(r *replay.Report, fn func(*replay.ConvResult) error) error {
	m := o.Select.Match
	if m == nil {
		return r.EachConversation(fn)
	}
	return r.EachConversation(func(cr *replay.ConvResult) error {
		if !m(cr.Conv, cr.Status) {
			return nil
		}
		return fn(cr)
	})
}

// eachListedOrdered is eachListed for output, over every core: render
// appends what one listed conversation prints, with its own Options (the
// caches of Options are per goroutine), and emit receives the output of
// consecutive conversations in ID order, the same bytes as one goroutine
// would write (see replay.Report.EachConversationOrdered). When check is
// set (the output is an Output over a TermWriter), each conversation's
// bytes are checked for terminal safety on the goroutine that rendered
// them, and emit's safe says every byte rendered so far (so every byte it
// receives) passed: it may skip TermWriter's scan.
func (o *Options) eachListedOrdered(r *replay.Report, check bool, render func(ow *Options, cr *replay.ConvResult, b []byte) []byte, emit func(b []byte, safe bool) error) error {
	workers := replay.DefaultWorkers()
	if o.workers > 0 {
		workers = o.workers
	}
	opts := make([]*Options, workers)
	for i := range opts {
		ow := *o
		ow.phrases, ow.checks, ow.indented, ow.fileJSON = nil, checkCache{}, nil, nil
		opts[i] = &ow
	}
	// unsafe is set once a rendered conversation holds a byte TermWriter
	// escapes; from then on every chunk goes through its scan. A chunk's
	// rendering happens before its emit, so a chunk with such a byte is
	// never passed as safe.
	var unsafe atomic.Bool
	m := o.Select.Match
	return r.EachConversationOrdered(workers, func(w int, cr *replay.ConvResult, b []byte) ([]byte, error) {
		if m != nil && !m(cr.Conv, cr.Status) {
			return b, nil
		}
		start := len(b)
		b = render(opts[w], cr, b)
		if check && !unsafe.Load() && safePrefix(b[start:]) != len(b)-start {
			unsafe.Store(true)
		}
		return b, nil
	}, func(b []byte) error { return emit(b, check && !unsafe.Load()) })
}

// isDenied reports whether st is a status with a denied packet.
func isDenied(st replay.Status) bool {
	return st == replay.StatusRequestDenied || st == replay.StatusResponseDenied || st == replay.StatusBothDenied
}

// errLimit stops a listing at ConvSelect.Limit.
var errLimit = errors.New("limit reached")

// heading is the text listing's heading: what it shows.
func (s *ConvSelect) heading(title string, affected, total int) string {
	switch {
	case s.Match != nil:
		return title + ": conversations matching " + s.Describe
	case s.All:
		return title + ": all " + strconv.Itoa(total) + " conversations"
	}
	return title + ": " + strconv.Itoa(affected) + " affected of " + strconv.Itoa(total) + " conversations (--all lists every one)"
}

// ParseStatus turns a --status value into a status test: ok,
// request-denied, response-denied, both-denied, exempt, not-filtered, or
// denied / affected (both: any packet denied). Several values may be given
// separated by commas.
func ParseStatus(v string) (func(replay.Status) bool, error) {
	var want []replay.Status
	denied := false
	for _, f := range strings.Split(v, ",") {
		switch f = strings.TrimSpace(f); f {
		case "denied", "affected":
			denied = true
		case string(replay.StatusOK), string(replay.StatusRequestDenied), string(replay.StatusResponseDenied),
			string(replay.StatusBothDenied), string(replay.StatusExempt), string(replay.StatusNotFiltered):
			want = append(want, replay.Status(f))
		default:
			return nil, fmt.Errorf("unknown status %q: want denied, affected, ok, request-denied, response-denied, both-denied, exempt or not-filtered", f)
		}
	}
	return func(st replay.Status) bool {
		if denied && isDenied(st) {
			return true
		}
		for _, w := range want {
			if st == w {
				return true
			}
		}
		return false
	}, nil
}
