// Package cli writes NACLs as `aws ec2 create-network-acl-entry` commands,
// one per line, ready to paste into a POSIX shell. The format is write-only.
package cli

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/emit"
)

// Write writes, per ACL, a leading comment and one create-network-acl-entry
// command per entry (inbound then outbound, each by rule number). An
// entry's Comment becomes a "#" line before its command. Only options AWS
// needs are emitted: --port-range for TCP/UDP, --icmp-type-code for ICMP
// and for ICMPv6 with an IPv6 CIDR; the implicit default rules are not
// written (AWS creates them with the ACL).
func Write(w io.Writer, acls []*nacl.ACL) error {
	return emit.EachACL(w, acls, writeACL)
}

func writeACL(w *bufio.Writer, a *nacl.ACL) {
	fmt.Fprintf(w, "# flowverify: %d entries for network ACL %s; the default deny rules (32767/32768) exist already.\n", len(a.Entries), emit.OneLine(a.Label()))
	if !strings.HasPrefix(a.ID, "acl-") {
		fmt.Fprintf(w, "# %q is not a NetworkAclId: create the ACL (aws ec2 create-network-acl --vpc-id VPC-ID) and replace it.\n", a.ID)
	}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		for _, e := range nacl.SortedEntries(a, dir) {
			if c := emit.OneLine(e.Comment); c != "" {
				fmt.Fprintf(w, "# %s\n", c)
			}
			w.WriteString(Command(a.ID, e) + "\n")
		}
	}
}

// Command returns the create-network-acl-entry command for one entry.
func Command(aclID string, e *nacl.Entry) string {
	args := []string{"aws", "ec2", "create-network-acl-entry", "--network-acl-id", quote(aclID)}
	if e.Direction == nacl.Egress {
		args = append(args, "--egress")
	} else {
		args = append(args, "--ingress")
	}
	args = append(args, "--rule-number", fmt.Sprint(e.RuleNumber), "--protocol", protocol(e.Protocol))
	if e.UsesPorts() {
		args = append(args, "--port-range", fmt.Sprintf("From=%d,To=%d", e.Ports.From, e.Ports.To))
	}
	if e.UsesICMP() {
		args = append(args, "--icmp-type-code", fmt.Sprintf("Type=%d,Code=%d", e.ICMPType, e.ICMPCode))
	}
	if e.IsIPv6() {
		args = append(args, "--ipv6-cidr-block", e.CIDR.String())
	} else {
		args = append(args, "--cidr-block", e.CIDR.String())
	}
	args = append(args, "--rule-action", e.Action.String())
	return strings.Join(args, " ")
}

// protocol spells the protocol as the AWS CLI examples do: tcp, udp,
// icmp by name, everything else (including -1) by number.
func protocol(p int) string {
	switch p {
	case nacl.ProtoTCP, nacl.ProtoUDP, nacl.ProtoICMP:
		return nacl.ProtocolName(p)
	}
	return fmt.Sprint(p)
}

var safe = regexp.MustCompile(`^[A-Za-z0-9_./:=,@%+-]+$`)

// quote shell-quotes s for a POSIX shell when it is not a plain word.
func quote(s string) string {
	if safe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
