package render

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// TestPacketJSONUncertainReason: an uncertain verdict names the unknown
// field and why; a certain one has neither field.
func TestPacketJSONUncertainReason(t *testing.T) {
	w := NewPacketWriter(&Options{Files: []string{"x.pcap"}})
	p := &capture.Packet{Kind: capture.KindIP, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"),
		Proto: 43, ProtoUnknown: true, Truncated: true, Reason: "truncated ipv6 extension header"}
	r := &replay.PacketResult{Judgement: replay.Judgement{Verdict: replay.Deny, NCheck: 1,
		Checks: [2]replay.Check{{ACL: "acl-1", Direction: nacl.Ingress, Rule: 32768, Action: nacl.Deny, Uncertain: true}}}}
	var got map[string]any
	if err := json.Unmarshal(w.JSON(p, r), &got); err != nil {
		t.Fatal(err)
	}
	if got["uncertain"] != true || got["uncertain_reason"] != "protocol unknown: truncated ipv6 extension header" {
		t.Errorf("uncertain fields: %v / %v", got["uncertain"], got["uncertain_reason"])
	}
	r.Judgement.Checks[0].Uncertain = false
	got = nil
	if err := json.Unmarshal(w.JSON(p, r), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["uncertain_reason"]; ok {
		t.Errorf("uncertain_reason on a certain verdict: %v", got)
	}
}
