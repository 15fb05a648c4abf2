package render

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl/replay"
)

// Headlines are the facts a check report prints first: one sentence per
// Amazon DNS resolver inferred from the traffic.
func Headlines(r *replay.Report) []string {
	if len(r.InferredResolvers) == 0 {
		return nil
	}
	out := make([]string, 0, len(r.InferredResolvers))
	for _, ir := range r.InferredResolvers {
		out = append(out, ResolverHeadline(&ir))
	}
	return out
}

// ExemptNote says why an exemption reason is uncertain ("" when AWS
// states it; see replay.Unconfirmed).
func ExemptNote(reason string) string {
	if !replay.Unconfirmed(reason) {
		return ""
	}
	switch reason {
	case replay.ReasonECSMetadata:
		return "AWS says NACLs do not filter ECS task metadata endpoints; the address 169.254.170.2 is UNCONFIRMED by an AWS page"
	}
	return "the basis of " + reason + " is UNCONFIRMED by an AWS page"
}

// ResolverHeadline says that ir was taken for the Amazon DNS resolver and
// how to say otherwise.
func ResolverHeadline(ir *replay.InferredResolver) string {
	vpcRange := ir.Widest.String()
	if ir.Narrowest != ir.Widest {
		vpcRange = "any of " + ir.Widest.String() + " .. " + ir.Narrowest.String()
	}
	return fmt.Sprintf("Amazon DNS resolver %s inferred from the traffic: %d DNS conversation(s) (UDP/TCP 53) go to it, and it is base+2 of a VPC CIDR holding subnet %s (%s), which AWS reserves for the resolver; NACLs never filter it, so it is counted as exempt. If the VPC CIDR is none of these, %s is an ordinary DNS server: give --vpc-cidr or --vpcs FILE to say so.",
		ir.Addr, ir.Conversations, ir.Subnet, vpcRange, ir.Addr)
}
