package render

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/formats/text"
	"github.com/flowverify/flowverify/nacl/synth"
)

// maxListed bounds the excluded conversations listed one per line.
const maxListed = 20

// WriteSynthText writes the human report of flowverify synth: rules with
// what they serve, client ranges, exclusions, merges, warnings, then rule
// counts per direction, the over-permission measure and the self-check
// result (check may be nil).
func WriteSynthText(w io.Writer, r *synth.Result, check *synth.CheckResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "synth: %d conversation(s) produced rules, %d excluded", r.Used, r.NumExcluded())
	if !r.First.IsZero() {
		fmt.Fprintf(&b, "; observed %s .. %s (%s): rare traffic outside this window is not covered",
			FormatTimeSeconds(r.First), FormatTimeSeconds(r.Last), r.Last.Sub(r.First).Round(time.Second))
	}
	b.WriteString("\n\nRules:\n")
	for _, ru := range r.Rules {
		fmt.Fprintf(&b, "  %-48s  %s", text.Rule(&ru.Entry), ru.Kind)
		if ru.Intent != "" && ru.Intent != synth.IntentExact {
			fmt.Fprintf(&b, " (peers: %s)", ru.Intent)
		}
		if ru.Kind != synth.KindKeptDeny && ru.Kind != synth.KindPMTUD {
			fmt.Fprintf(&b, "  %d conv", ru.Conversations)
			if ru.Example.IsValid() {
				fmt.Fprintf(&b, ", e.g. %s", ru.Example)
			}
			fmt.Fprintf(&b, ", over-permission %.1f bits", ru.OverBits)
		}
		b.WriteByte('\n')
	}
	if len(r.Clients) > maxListed {
		writeSynthClientSummary(&b, r)
	} else if len(r.Clients) > 0 {
		b.WriteString("\nClient response ranges:\n")
		for _, c := range r.Clients {
			fmt.Fprintf(&b, "  %s %s: %d conv, ports %d-%d -> %s", c.Client, flows.ProtoName(c.Proto), c.Convs, c.Lo, c.Hi, c.Profile)
			if c.Profile != "exact" {
				fmt.Fprintf(&b, " %s", c.Range)
			}
			switch {
			case len(c.Outside) > 0 && c.Forced:
				fmt.Fprintf(&b, " (outside it: %s, replies denied)", synthPorts(c.Outside))
			case len(c.Outside) > 0:
				fmt.Fprintf(&b, " (+ exact %s)", synthPorts(c.Outside))
			}
			b.WriteByte('\n')
		}
	}
	writeSynthDecisions(&b, r)
	writeSynthExcluded(&b, r)
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
			fmt.Fprintf(&b, "  %s\n", SynthOutsideForced(&r.OutsideForced[i]))
		}
	}
	if len(r.Merges) > 0 || r.Lossless > 0 {
		fmt.Fprintf(&b, "\nMerges: %d lossy to fit the budget, %d free (adjacent ports, sibling prefixes, contained rules)\n", len(r.Merges), r.Lossless)
		for _, m := range r.Merges {
			fmt.Fprintf(&b, "  %s + %s -> %s (+%.1f bits)\n", m.A, m.B, m.To, m.AddedBits)
		}
	}
	writeSynthCurve(&b, r)
	for i := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", SynthMessage(&r.Notes[i]))
	}
	for i := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", SynthMessage(&r.Warnings[i]))
	}
	b.WriteString("\nRule counts per direction and family, including the default deny rule (the AWS quota page says the quota counts it):\n")
	for _, c := range r.Counts {
		fmt.Fprintf(&b, "  %-8s %s: %d of %d\n", c.Direction, family(c.IPv6), c.Rules, c.Budget)
	}
	fmt.Fprintf(&b, "Over-permission: %.1f bits (log2 of allowed-but-not-observed address x service units)\n", r.OverBits)
	if check != nil {
		fmt.Fprintf(&b, "Self-check: %s\n", SynthCheckSummary(check))
		for i, f := range check.Failures {
			if i == maxListed {
				fmt.Fprintf(&b, "  ... %d more\n", len(check.Failures)-maxListed)
				break
			}
			fmt.Fprintf(&b, "  conversation #%d %s -> %s proto %d port %d: denied by %s rule %d (%d packets, first at file %d frame %d)\n",
				f.ConvID, f.Packet.Src, f.Packet.Dst, f.Packet.Proto, f.Packet.DstPort, f.Direction, f.Rule, f.Packets, f.First.File, f.First.Frame)
		}
	}
	writeSynthUnseen(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSynthExcluded lists failed and conflicting conversations one per
// line and counts the others by reason.
func writeSynthExcluded(b *strings.Builder, r *synth.Result) {
	if r.NumExcluded() == 0 {
		return
	}
	b.WriteString("\nExcluded conversations:\n")
	listed := 0
	// Only the conversations listed are rebuilt.
	stop := errors.New("stop")
	err := r.EachExcludedIn(func(e *synth.Excluded) error {
		fmt.Fprintf(b, "  %s: %s\n", convLabel(e.Conv), synthExclusion(&e.ExclusionReason))
		if listed++; listed >= maxListed {
			return stop
		}
		return nil
	}, synth.ExclFailed, synth.ExclConflict)
	if err != nil && !errors.Is(err, stop) {
		fmt.Fprintf(b, "  (listing stopped: %v)\n", err)
	}
	if n := r.NumExcludedIn(synth.ExclFailed, synth.ExclConflict); n > maxListed {
		fmt.Fprintf(b, "  ... %d more failed or conflicting\n", n-maxListed)
	}
	counts := map[string]int{}
	for k, n := range r.ExcludedCounts() {
		counts[k.Category+": "+synthExclusion(&k.ExclusionReason)] += n
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(b, "  %5d  %s\n", counts[k], k)
	}
}

// writeSynthClientSummary counts client groups by protocol and chosen
// range when there are too many to list.
func writeSynthClientSummary(b *strings.Builder, r *synth.Result) {
	// Clients are counted by their range's value; its text (the sort
	// key) is made once per distinct range, not once per client.
	type group struct {
		proto   uint8
		profile string
		rng     nacl.PortRange
	}
	type key struct {
		proto   uint8
		profile string
		rng     string
	}
	n := map[group]int{}
	ex := map[group]string{}
	var groups []group
	for _, c := range r.Clients {
		g := group{c.Proto, c.Profile, c.Range}
		if c.Profile == "exact" {
			g.rng = nacl.PortRange{}
		}
		if n[g] == 0 {
			groups = append(groups, g)
			ex[g] = c.Client.String()
		}
		n[g]++
	}
	var keys []key
	counts := map[key]int{}
	examples := map[key]string{}
	for _, g := range groups {
		k := key{g.proto, g.profile, g.rng.String()}
		if g.profile == "exact" {
			k.rng = ""
		}
		if counts[k] == 0 {
			keys = append(keys, k)
			examples[k] = ex[g]
		}
		counts[k] += n[g]
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
		fmt.Fprintf(b, "  %s %s %s: %d client(s), e.g. %s\n", flows.ProtoName(k.proto), k.profile, k.rng, counts[k], examples[k])
	}
}

// convLabel is "#ID tcp 10.0.0.1:40000 -> 10.0.0.2:443".
func convLabel(c *flows.Conversation) string {
	return synthConvLabel(&synth.ConvRef{ID: c.ID, Proto: c.Proto, Client: c.Client, Server: c.Server})
}

// synthConvLabel is "#ID tcp 10.0.0.1:40000 -> 10.0.0.2:443" for a
// conversation synth quotes.
func synthConvLabel(r *synth.ConvRef) string {
	return "#" + strconv.Itoa(r.ID) + " " + flows.ProtoName(r.Proto) + " " + endpoint(r.Client, r.HasPorts()) + " -> " + endpoint(r.Server, r.HasPorts())
}

// family names an IP family: IPv4 or IPv6.
func family(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// ACLIDVar is the shell variable the cli output uses for the network ACL
// ID when no --acl-id is given: the placeholder ID (acl-synth) looks like
// a real one, and the commands would fail against AWS or, worse, hit an
// ACL of that name.
const ACLIDVar = "ACL_ID"

// WriteSynthCLIPlaceholder writes the cli format with
// --network-acl-id "$ACL_ID" and a leading comment and guard telling the
// user to set ACL_ID (or to create the ACL) first.
func WriteSynthCLIPlaceholder(w io.Writer, acl *nacl.ACL) error {
	var buf bytes.Buffer
	if err := aclfile.Write(&buf, []*nacl.ACL{acl}, aclfile.FormatCLI); err != nil {
		return fmt.Errorf("writing the ACL as cli: %w", err)
	}
	from := "--network-acl-id " + acl.ID + " "
	to := `--network-acl-id "$` + ACLIDVar + `" `
	var out strings.Builder
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "aws ") {
			l = strings.Replace(l, from, to, 1)
		}
		out.WriteString(l)
		if i == 0 {
			fmt.Fprintf(&out, "# No --acl-id was given: the commands use $%[1]s. Set it to the network ACL to fill first, e.g. a new one:\n", ACLIDVar)
			fmt.Fprintf(&out, "#   %[1]s=$(aws ec2 create-network-acl --vpc-id VPC-ID --query NetworkAcl.NetworkAclId --output text)\n", ACLIDVar)
			fmt.Fprintf(&out, "# or rerun flowverify synth with --acl-id acl-... to write the ID into the commands.\n")
			fmt.Fprintf(&out, ": \"${%[1]s:?set %[1]s to the network ACL ID first (see the comment above)}\"\n", ACLIDVar)
		}
	}
	_, err := io.WriteString(w, out.String())
	return err
}
