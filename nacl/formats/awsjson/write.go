package awsjson

import (
	"encoding/json"
	"io"
	"strconv"

	"github.com/flowverify/flowverify/nacl"
)

// Field order follows the AWS CLI's output (alphabetical keys).
type docOut struct {
	NetworkAcls []aclOut `json:"NetworkAcls"`
}

type aclOut struct {
	Associations []assocOut `json:"Associations"`
	Entries      []entryOut `json:"Entries"`
	IsDefault    bool       `json:"IsDefault"`
	NetworkAclID string     `json:"NetworkAclId"`
	Tags         []tagOut   `json:"Tags"`
	VpcID        string     `json:"VpcId,omitempty"`
}

type assocOut struct {
	NetworkAclID string `json:"NetworkAclId"`
	SubnetID     string `json:"SubnetId"`
}

type tagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type entryOut struct {
	CidrBlock     string    `json:"CidrBlock,omitempty"`
	Egress        bool      `json:"Egress"`
	IcmpTypeCode  *icmpOut  `json:"IcmpTypeCode,omitempty"`
	Ipv6CidrBlock string    `json:"Ipv6CidrBlock,omitempty"`
	PortRange     *portsOut `json:"PortRange,omitempty"`
	Protocol      string    `json:"Protocol"`
	RuleAction    string    `json:"RuleAction"`
	RuleNumber    int       `json:"RuleNumber"`
}

type icmpOut struct {
	Code int `json:"Code"`
	Type int `json:"Type"`
}

type portsOut struct {
	From int `json:"From"`
	To   int `json:"To"`
}

// Write writes the ACLs as a describe-network-acls document, entries
// egress first then ingress, each by rule number, followed in each
// direction by the implicit default deny entries as AWS shows them (32767,
// and 32768 when the ACL has IPv6 entries). Protocols are numeric
// strings. Comments cannot be represented and are dropped.
func Write(w io.Writer, acls []*nacl.ACL) error {
	doc := docOut{NetworkAcls: make([]aclOut, 0, len(acls))}
	for _, a := range acls {
		doc.NetworkAcls = append(doc.NetworkAcls, toOut(a))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// toOut converts one ACL.
func toOut(a *nacl.ACL) aclOut {
	o := aclOut{
		Associations: []assocOut{},
		Entries:      []entryOut{},
		IsDefault:    a.IsDefault,
		NetworkAclID: a.ID,
		Tags:         []tagOut{},
		VpcID:        a.VPCID,
	}
	for _, s := range a.Subnets {
		o.Associations = append(o.Associations, assocOut{NetworkAclID: a.ID, SubnetID: s})
	}
	if a.Name != "" {
		o.Tags = append(o.Tags, tagOut{Key: "Name", Value: a.Name})
	}
	v6 := a.HasIPv6()
	for _, dir := range []nacl.Direction{nacl.Egress, nacl.Ingress} {
		for _, e := range nacl.SortedEntries(a, dir) {
			o.Entries = append(o.Entries, entryToOut(e))
		}
		o.Entries = append(o.Entries, entryOut{CidrBlock: "0.0.0.0/0", Egress: dir == nacl.Egress, Protocol: "-1", RuleAction: "deny", RuleNumber: nacl.DefaultRuleIPv4})
		if v6 {
			o.Entries = append(o.Entries, entryOut{Ipv6CidrBlock: "::/0", Egress: dir == nacl.Egress, Protocol: "-1", RuleAction: "deny", RuleNumber: nacl.DefaultRuleIPv6})
		}
	}
	return o
}

// entryToOut converts one entry.
func entryToOut(e *nacl.Entry) entryOut {
	o := entryOut{
		Egress:     e.Direction == nacl.Egress,
		Protocol:   strconv.Itoa(e.Protocol),
		RuleAction: e.Action.String(),
		RuleNumber: e.RuleNumber,
	}
	if e.IsIPv6() {
		o.Ipv6CidrBlock = e.CIDR.String()
	} else {
		o.CidrBlock = e.CIDR.String()
	}
	if e.UsesPorts() {
		o.PortRange = &portsOut{From: int(e.Ports.From), To: int(e.Ports.To)}
	}
	if e.UsesICMP() {
		o.IcmpTypeCode = &icmpOut{Code: e.ICMPCode, Type: e.ICMPType}
	}
	return o
}
