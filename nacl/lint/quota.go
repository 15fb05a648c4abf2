package lint

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
)

// AWS quota on entries per direction and IP family, default rule included.
const (
	QuotaDefault = 20 // default "Rules per network ACL" (L-2AEEBF1A)
	QuotaMax     = 40 // the largest value the quota can be raised to
)

// quotaFinding checks the entry count of one group.
func (g *group) quotaFinding() (Finding, bool) {
	n := len(g.rules) + 1 // the default rule counts
	f := Finding{Direction: g.dir, IPv6: g.v6}
	switch {
	case n > QuotaMax:
		f.Severity, f.Code = nacl.SevError, CodeQuotaHard
		f.Message = fmt.Sprintf("%s %s has %d entries including the default rule *: above the hard limit of %d, AWS refuses the extra entries (NetworkAclEntryLimitExceeded)",
			g.dir, g.family(), n, QuotaMax)
		f.Fix = fmt.Sprintf("merge rules (wider CIDRs or port ranges, see 'flowverify synth') or split the subnets over several ACLs to get to %d or fewer", QuotaMax)
	case n > QuotaDefault:
		f.Severity, f.Code = nacl.SevWarning, CodeQuota
		f.Message = fmt.Sprintf("%s %s has %d entries including the default rule *: above the default quota of %d per direction and IP family",
			g.dir, g.family(), n, QuotaDefault)
		f.Fix = fmt.Sprintf("request a quota increase for \"Rules per network ACL\" (Service Quotas code L-2AEEBF1A, up to %d; AWS warns it may affect network performance), or merge rules", QuotaMax)
	default:
		return Finding{}, false
	}
	return f, true
}
