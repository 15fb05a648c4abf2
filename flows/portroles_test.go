package flows

import "testing"

func TestPortRoles(t *testing.T) {
	cases := []struct {
		pa, pb    uint16
		clientIsA bool
		ev        Evidence
		conf      Confidence
	}{
		{40000, 443, true, EvidenceServicePort, High},
		{443, 40000, false, EvidenceServicePort, High},
		{1023, 22, true, EvidenceServicePort, Medium},
		{50000, 900, true, EvidenceEphemeral, Medium},
		{5000, 50000, false, EvidenceEphemeral, Low},
		{50001, 50000, true, EvidenceLowerPort, Low},
		{123, 123, true, EvidenceFirstPacket, Low},
	}
	for _, c := range cases {
		a, ev, conf := PortRoles(c.pa, c.pb)
		if a != c.clientIsA || ev != c.ev || conf != c.conf {
			t.Errorf("PortRoles(%d, %d) = %v %s %s, want %v %s %s", c.pa, c.pb, a, ev, conf, c.clientIsA, c.ev, c.conf)
		}
	}
}
