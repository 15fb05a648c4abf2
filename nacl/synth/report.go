package synth

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/flowverify/flowverify/flows"
)

// maxListed bounds the excluded conversations listed one per line.
const maxListed = 20

// WriteText writes the human report: rules with what they serve, client
// ranges, exclusions, merges, warnings, then rule counts per direction,
// the over-permission measure and the self-check result (check may be nil).
func (r *Result) WriteText(w io.Writer, check *CheckResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "synth: %d conversation(s) produced rules, %d excluded", r.Used, r.NumExcluded())
	if !r.First.IsZero() {
		fmt.Fprintf(&b, "; observed %s .. %s (%s): rare traffic outside this window is not covered",
			stamp(r.First), stamp(r.Last), r.Last.Sub(r.First).Round(time.Second))
	}
	b.WriteString("\n\nRules:\n")
	for _, ru := range r.Rules {
		fmt.Fprintf(&b, "  %-48s  %s", ruleText(ru.Entry), ru.Kind)
		if ru.Intent != "" && ru.Intent != IntentExact {
			fmt.Fprintf(&b, " (peers: %s)", ru.Intent)
		}
		if ru.Kind != KindKeptDeny && ru.Kind != KindPMTUD {
			fmt.Fprintf(&b, "  %d conv", ru.Conversations)
			if ru.Example.IsValid() {
				fmt.Fprintf(&b, ", e.g. %s", ru.Example)
			}
			fmt.Fprintf(&b, ", over-permission %.1f bits", ru.OverBits)
		}
		b.WriteByte('\n')
	}
	if len(r.Clients) > maxListed {
		r.writeClientSummary(&b)
	} else if len(r.Clients) > 0 {
		b.WriteString("\nClient response ranges:\n")
		for _, c := range r.Clients {
			fmt.Fprintf(&b, "  %s %s: %d conv, ports %d-%d -> %s", c.Client, flows.ProtoName(c.Proto), c.Convs, c.Lo, c.Hi, c.Profile)
			if c.Profile != "exact" {
				fmt.Fprintf(&b, " %s", c.Range)
			}
			switch {
			case len(c.Outside) > 0 && c.Forced:
				fmt.Fprintf(&b, " (outside it: %s, replies denied)", portList(c.Outside))
			case len(c.Outside) > 0:
				fmt.Fprintf(&b, " (+ exact %s)", portList(c.Outside))
			}
			b.WriteByte('\n')
		}
	}
	r.writeDecisions(&b)
	r.writeExcluded(&b)
	if len(r.Conflicts) > 0 {
		b.WriteString("\nConflicts with kept deny rules:\n")
		for _, c := range r.Conflicts {
			fmt.Fprintf(&b, "  %s: denied by kept rule %s %d\n", convLabel(c.Conv), c.Direction, c.Rule)
		}
	}
	if len(r.OutsideForced) > 0 {
		b.WriteString("\nReplies outside the forced ephemeral range (no rule, denied by the generated ACL):\n")
		for i := range r.OutsideForced {
			if i == maxListed {
				fmt.Fprintf(&b, "  ... %d more client(s)\n", len(r.OutsideForced)-maxListed)
				break
			}
			fmt.Fprintf(&b, "  %s\n", r.OutsideForced[i].Message())
		}
	}
	if len(r.Merges) > 0 || r.Lossless > 0 {
		fmt.Fprintf(&b, "\nMerges: %d lossy to fit the budget, %d free (adjacent ports, sibling prefixes, contained rules)\n", len(r.Merges), r.Lossless)
		for _, m := range r.Merges {
			fmt.Fprintf(&b, "  %s + %s -> %s (+%.1f bits)\n", m.A, m.B, m.To, m.AddedBits)
		}
	}
	r.writeCurve(&b)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wn)
	}
	b.WriteString("\nRule counts per direction and family, including the default deny rule (the AWS quota page says the quota counts it):\n")
	for _, c := range r.Counts {
		fmt.Fprintf(&b, "  %-8s %s: %d of %d\n", c.Direction, family(c.IPv6), c.Rules, c.Budget)
	}
	fmt.Fprintf(&b, "Over-permission: %.1f bits (log2 of allowed-but-not-observed address x service units)\n", r.OverBits)
	if check != nil {
		fmt.Fprintf(&b, "Self-check: %s\n", check)
		for i, f := range check.Failures {
			if i == maxListed {
				fmt.Fprintf(&b, "  ... %d more\n", len(check.Failures)-maxListed)
				break
			}
			fmt.Fprintf(&b, "  conversation #%d %s -> %s proto %d port %d: denied by %s rule %d (%d packets, first at file %d frame %d)\n",
				f.ConvID, f.Packet.Src, f.Packet.Dst, f.Packet.Proto, f.Packet.DstPort, f.Direction, f.Rule, f.Packets, f.First.File, f.First.Frame)
		}
	}
	r.writeUnseen(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeExcluded lists failed and conflicting conversations one per line
// and counts the others by reason.
func (r *Result) writeExcluded(b *strings.Builder) {
	if r.NumExcluded() == 0 {
		return
	}
	b.WriteString("\nExcluded conversations:\n")
	type cnt struct {
		key string
		n   int
	}
	counts := map[string]int{}
	listed := 0
	list := func(e *Excluded) {
		if e.Category == ExclFailed || e.Category == ExclConflict {
			if listed < maxListed {
				fmt.Fprintf(b, "  %s: %s\n", convLabel(e.Conv), e.Reason)
			}
			listed++
		}
	}
	if x := r.compact; x != nil {
		counts = x.counts()
		for _, e := range x.recs {
			if c := exclCategories[e.cat]; c == ExclFailed || c == ExclConflict {
				listed++
			}
		}
		total := listed
		listed = 0
		// Rebuild only the conversations listed.
		stop := errors.New("stop")
		x.each(func(e *Excluded) bool { return e.Category == ExclFailed || e.Category == ExclConflict }, func(e *Excluded) error {
			list(e)
			if listed >= maxListed {
				return stop
			}
			return nil
		})
		listed = total
	} else {
		for i := range r.Excluded {
			e := &r.Excluded[i]
			counts[e.Category+": "+e.Reason]++
			list(e)
		}
	}
	if listed > maxListed {
		fmt.Fprintf(b, "  ... %d more failed or conflicting\n", listed-maxListed)
	}
	var cs []cnt
	for k, n := range counts {
		cs = append(cs, cnt{k, n})
	}
	slices.SortFunc(cs, func(x, y cnt) int { return cmp.Compare(x.key, y.key) })
	for _, c := range cs {
		fmt.Fprintf(b, "  %5d  %s\n", c.n, c.key)
	}
}

// writeClientSummary counts client groups by protocol and chosen range
// when there are too many to list.
func (r *Result) writeClientSummary(b *strings.Builder) {
	type key struct {
		proto   uint8
		profile string
		rng     string
	}
	n := map[key]int{}
	ex := map[key]string{}
	var keys []key
	for _, c := range r.Clients {
		k := key{c.Proto, c.Profile, c.Range.String()}
		if c.Profile == "exact" {
			k.rng = ""
		}
		if n[k] == 0 {
			keys = append(keys, k)
			ex[k] = c.Client.String()
		}
		n[k]++
	}
	slices.SortFunc(keys, func(x, y key) int {
		if c := cmp.Compare(x.proto, y.proto); c != 0 {
			return c
		}
		if c := cmp.Compare(x.profile, y.profile); c != 0 {
			return c
		}
		return cmp.Compare(x.rng, y.rng)
	})
	fmt.Fprintf(b, "\nClient response ranges (%d client groups):\n", len(r.Clients))
	for _, k := range keys {
		fmt.Fprintf(b, "  %s %s %s: %d client(s), e.g. %s\n", flows.ProtoName(k.proto), k.profile, k.rng, n[k], ex[k])
	}
}
